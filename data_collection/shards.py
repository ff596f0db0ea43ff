"""Shard bookkeeping shared by the data_collection stages: slicing work, per-shard stats, input names.

Completion (done markers with fingerprints), locks, manifests and per-unit failures are common/run.py's.
`write_shard_stats(out, stats)` writes `<out>.stats.json` beside a shard (atomic); `read_shard_stats` reads it.

Slicing (Slurm arrays, common/sharding.py, re-exported here): `slice_for_task(items, shard_index, num_shards)` takes
every num_shards-th item starting at shard_index, so array tasks split the work without talking to each other.
`resolve_shard_args(shard_index, num_shards)` fills defaults from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT
(task ids are made 0-based using SLURM_ARRAY_TASK_MIN).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.cli import UserError
from common.records import expand_inputs, is_hf_dataset_dir, refuse_dangling_link, write_json
from common.sharding import resolve_shard_args, slice_for_task  # noqa: F401  (re-exported for the stages)

STATS_SUFFIX = ".stats.json"


def _sidecar(out_path: str | os.PathLike, suffix: str) -> Path:
    p = Path(out_path)
    stem = p.name[: -len(".parquet")] if p.name.endswith(".parquet") else p.name
    return p.with_name(stem + suffix)


def stats_path(out_path: str | os.PathLike) -> Path:
    return _sidecar(out_path, STATS_SUFFIX)


def write_shard_stats(out_path: str | os.PathLike, stats: dict[str, Any]) -> Path:
    path = stats_path(out_path)
    write_json(path, stats)
    return path


def read_shard_stats(out_path: str | os.PathLike) -> dict[str, Any]:
    return json.loads(stats_path(out_path).read_text(encoding="utf-8"))


def safe_output_name(rel_path: str | os.PathLike) -> str:
    """A flat, filesystem-safe output stem for an input given relative to its root (`en/part-0.parquet` ->
    `en__part-0`), so inputs with the same file name in different folders never share an output."""
    rel = str(rel_path).replace(os.sep, "/")
    for suffix in (".parquet", ".jsonl.gz", ".json.gz", ".jsonl", ".ndjson"):
        if rel.endswith(suffix):
            rel = rel[: -len(suffix)]
            break
    return re.sub(r"[^A-Za-z0-9._-]+", "_", rel.replace("/", "__")).strip("_") or "shard"


def _wanted_file(path: Path, keep: Callable[[Path], bool] | None) -> bool:
    """An input file `keep` accepts. A link to nothing that `keep` would accept is a file the user meant to give:
    an error naming it, never skipped in silence (as common.records.expand_inputs does)."""
    if keep is not None and not keep(path):
        return False
    refuse_dangling_link(path)
    return path.is_file()


def find_named_inputs(specs: Sequence[str], keep: Callable[[Path], bool] | None = None) -> list[tuple[Path, str]]:
    """(path, name relative to its input root) for every input file, sorted by name.

    `specs` are globs, files or folders (searched recursively; hidden files and names starting with `_` skipped,
    as common.records.expand_inputs does; `keep` filters by path).
    The name is what ids and output names are built from, so they do not depend on where a folder sits or how it
    was given; two different files that would share a name are an error.
    """
    import glob

    found: dict[str, Path] = {}

    def add(name: str, path: Path) -> None:
        if name in found and found[name].resolve() != path.resolve():
            raise ValueError(f"two inputs have the same name {name!r}: {found[name]} and {path} "
                             "(give their common folder as the input instead)")
        found[name] = path

    for spec in specs:
        if any(ch in spec for ch in "*?["):
            matches = [Path(m) for m in sorted(glob.glob(spec, recursive=True))]
            if not matches:
                raise FileNotFoundError(f"input glob matched nothing: {spec}")
            for m in matches:
                if _wanted_file(m, keep):
                    add(m.name, m)
            continue
        p = Path(spec)
        if not p.exists():
            raise FileNotFoundError(f"input not found: {p}")
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                # hidden files and `_` names (a command's own state, `_run/`) are not input
                if not any(part.startswith((".", "_")) for part in rel.parts) and _wanted_file(f, keep):
                    add(rel.as_posix(), f)
        else:
            add(p.name, p)
    return sorted(((path, rel) for rel, path in found.items()), key=lambda t: t[1])


# ------------------------------------------------------------------------------------------------ planning
@dataclass(frozen=True)
class ShardTask:
    path: str
    rel: str  # path relative to its input root: the id key and the output name
    name: str


def _input_root(spec: str) -> Path:
    if any(ch in spec for ch in "*?["):
        prefix = spec[: min(spec.index(ch) for ch in "*?[" if ch in spec)]
        return Path(prefix) if prefix.endswith(("/", "\\")) else Path(prefix).parent
    p = Path(spec)
    return p if p.is_dir() and not is_hf_dataset_dir(p) else p.parent


def plan_tasks(specs: list[str]) -> list[ShardTask]:
    """All input shards, in a stable order, each with its relative name and output name (unique)."""
    tasks: dict[str, ShardTask] = {}
    for spec in specs:
        root = _input_root(spec)
        for path in expand_inputs(spec):
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
            name = safe_output_name(rel)
            if name in tasks and tasks[name].path != str(path):
                raise UserError(f"two inputs map to the same output name {name!r}: {tasks[name].path} and {path}"
                                 " (give them under one common input folder)")
            tasks[name] = ShardTask(str(path), rel, name)
    return sorted(tasks.values(), key=lambda t: t.name)
