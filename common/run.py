"""One run of a command in its output folder, for one task of an array: docs/run.md is the guide.

    with Run("data_collection.web", cfg.output, cfg, task=(index, num), depends_on=("lang", "min_chars"),
             on_mismatch=cfg.on_mismatch) as run:
        units = run.slice([Unit(p.name, inputs=(str(p),)) for p in files])   # this task's share
        run.map(convert_one, units, workers=cfg.num_proc)                     # skips done units, captures errors
        run.counts["documents"] += ...
    return run.exit_code                                                      # 1 when a unit failed

What the object owns, so a command does not re-implement it:
- the folder: a file where the folder should be is a one-line error; one process per task writes there (RunLock
  on `_run/task-I-of-N/`, so the tasks of an array run side by side);
- the task's units: `slice` (round robin, names unique); a unit is skipped only when its completion marker
  (`_run/done/<unit>.json`) holds the same fingerprint: the content of its inputs plus the config fields named
  in `depends_on`. A different fingerprint is an error naming what changed, or with `on_mismatch="redo"` the
  unit's recorded outputs are deleted and it is done again: never a mix of two configurations;
- commands that append to one output across reruns (generation) call `guard(outputs)` instead: the config
  fingerprint is stored per task and checked the same way;
- failures: `map` runs units in a process pool and `capture(name)` wraps one unit; an exception fails that unit
  only (errors file `errors.jsonl` / `errors-I-of-N.jsonl`, exit 1 through `exit_code`), the others go on;
- the manifest (`manifest.json` / `manifest-I-of-N.json`) is written when the block ends, also on an error
  (status error, the message) or an interrupt; config.yaml is rewritten only by a run that succeeded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from common.cli import UserError, one_line
from common.manifest import RunManifest
from common.records import write_json, write_jsonl
from common.run_lock import RunLock

RUN_DIR = "_run"  # names starting with "_" are not data for expand_inputs
OnMismatch = Literal["error", "redo"]  # a config field's type: what a unit whose fingerprint changed does
ON_MISMATCH: tuple[str, ...] = get_args(OnMismatch)


@dataclass(frozen=True)
class Unit:
    """One piece of a command's work whose output is complete on its own (an input file, a book, a language)."""

    name: str  # stable across reruns and unique in the command: a relative input path, a language code
    inputs: tuple[str, ...] = ()  # files (or dataset dirs) it reads: their content is part of its fingerprint
    key: str = ""  # anything else its output depends on that the command knows (e.g. a digest of its records)
    config: tuple[str, ...] = ()  # config fields this unit depends on beyond the run's depends_on (a later stage's)
    payload: Any = field(default=None, compare=False)  # handed to the worker as is; not fingerprinted


def digest(obj: Any) -> str:
    """16 hex digits of blake2b over the canonical JSON of `obj`."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _file_digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=8)).hexdigest()


def input_identity(path: str | os.PathLike, known: dict | None = None) -> dict:
    """{"size", "mtime_ns", "digest"} of a file (a dir: of its files). The digest is of the content; a known entry
    with the same size and mtime is trusted, so a rerun does not reread unchanged inputs (as make and git do)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"input not found: {p}")
    files = [p] if p.is_file() else sorted(x for x in p.rglob("*") if x.is_file())
    stats = [(str(f.relative_to(p)) if f != p else "", f.stat()) for f in files]
    size, mtime = sum(s.st_size for _, s in stats), max((s.st_mtime_ns for _, s in stats), default=0)
    if known and known.get("size") == size and known.get("mtime_ns") == mtime and known.get("digest"):
        return dict(known)
    parts = [[name, _file_digest(f)] for (name, _), f in zip(stats, files, strict=True)]
    return {"size": size, "mtime_ns": mtime, "digest": parts[0][1] if p.is_file() else digest(parts)}


@dataclass(frozen=True)
class AllFieldsBut:
    """`depends_on` for a command whose outputs every config field may change except the ones named here, each
    with the reason it cannot (an output path, a cadence, a speed or memory switch). A field added to the config
    later is then in the fingerprint unless someone writes down why not: it cannot be forgotten."""

    ignore: dict[str, str]  # dotted field or section -> why it does not change the outputs

    def values(self, cfg: Any) -> dict[str, Any]:
        """Every field of `cfg` (dotted) but the ignored ones; an ignored name that is not a field is a bug."""
        flat = flatten(dataclasses.asdict(cfg))
        for name in self.ignore:
            if not any(key == name or key.startswith(name + ".") for key in flat):
                raise KeyError(f"AllFieldsBut names {name!r}, which is not a field of {type(cfg).__name__}")
        return {k: v for k, v in flat.items()
                if not any(k == name or k.startswith(name + ".") for name in self.ignore)}


def flatten(data: dict, prefix: str = "") -> dict[str, Any]:
    """{"train": {"lr": 1}} -> {"train.lr": 1}: config sections as dotted fields."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def same_config(old: dict, new: dict) -> bool:
    """Whether two recorded configs agree on every field both record (dotted). A field only one side records is
    one the other's code did not know or did not count (a field added since, or one now known not to matter)."""
    old, new = flatten(old), flatten(new)
    only_old, only_new = old.keys() - new.keys(), new.keys() - old.keys()
    # a mapping that was empty on one side ({} -> {"a": 1}): the same field, changed
    regrown = any(o.startswith(n + ".") for o in only_old for n in only_new) or \
        any(n.startswith(o + ".") for o in only_old for n in only_new)
    return not regrown and all(old[k] == new[k] for k in old.keys() & new.keys())


def config_values(cfg: Any, names: Sequence[str] | AllFieldsBut) -> dict[str, Any]:
    """The named (dotted) config fields, as plain data."""
    if isinstance(names, AllFieldsBut):
        return names.values(cfg)
    out = {}
    for name in names:
        value = cfg
        for part in name.split("."):
            value = getattr(value, part)
        out[name] = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    return out


def _marker_name(unit_name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", unit_name).strip("._")[:100]
    return f"{safe}-{digest(unit_name)[:8]}.json"


def _changes(old: dict, new: dict) -> list[str]:
    old, new = flatten(old), flatten(new)
    changed = [f"{k}: {old[k]!r} -> {new[k]!r}" for k in sorted(old.keys() & new.keys()) if old[k] != new[k]]
    return changed or [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in sorted(old.keys() ^ new.keys())]


def _call(fn: Callable[[Unit], Any], unit: Unit) -> Any:
    return fn(unit)


class Run:
    """The output folder of one command for one task; use as a context manager (see the module docstring)."""

    def __init__(self, command: str, out_dir: str | Path, cfg: Any = None, *, task: tuple[int, int] = (0, 1),
                 depends_on: Sequence[str] | AllFieldsBut = (), on_mismatch: OnMismatch = "error", manifest_name: str = ""):
        if on_mismatch not in ON_MISMATCH:
            raise UserError(f"on_mismatch must be one of {ON_MISMATCH}, got {on_mismatch!r}")
        self.command, self.cfg = command, cfg
        self.out_dir = Path(out_dir)
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise UserError(f"{self.out_dir}: the output folder is a file; name a folder")
        self.index, self.num = task
        self.tag = "" if self.num == 1 else f"-{self.index:05d}-of-{self.num:05d}"
        self.state_dir = self.out_dir / RUN_DIR
        self.config = config_values(cfg, depends_on) if cfg is not None else {}
        self.on_mismatch = on_mismatch
        # several independent outputs may share a folder (lm-eval task packages of several prompt styles)
        self.manifest_name = manifest_name or f"manifest{self.tag}.json"
        self.counts: Counter = Counter()
        self.failed: list[dict] = []
        self.extra: dict[str, Any] = {}  # more manifest fields (e.g. a data fingerprint)
        self._lock: RunLock | None = None
        self._manifest: RunManifest | None = None

    # ------------------------------------------------------------------------------------------- lifetime

    def __enter__(self) -> Run:
        self._lock = RunLock(self.state_dir / f"task{self.tag or '-00000-of-00001'}").acquire()
        try:
            self._finish_staged()  # a swap cut short by a kill is completed, an unfinished staging folder dropped
            self._manifest = RunManifest(self.command, self.out_dir, self.cfg)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            status = "ok" if exc is None else ("interrupted" if isinstance(exc, KeyboardInterrupt) else "error")
            extra = dict(self.extra, failed_units=[f["unit"] for f in self.failed])
            if exc is not None:
                extra["error"] = one_line(exc)
            self._write_records(status, extra)
        except OSError as err:
            if exc is None:
                raise
            # the run already failed (often on the same full disk): its own error is the one to show
            print(f"{self.command}: the manifest could not be written either: {one_line(err)}", file=sys.stderr)
        finally:
            self._lock.release()

    def _write_records(self, status: str, extra: dict) -> None:
        errors = self.out_dir / f"errors{self.tag}.jsonl"
        if self.failed:
            write_jsonl(errors, self.failed)
        elif status == "ok" and errors.exists():
            errors.unlink()  # failed units are always retried, so an old list is out of date
        self._manifest.finish(dict(self.counts), name=self.manifest_name, status=status, **extra)

    @property
    def exit_code(self) -> int:
        """1 when a unit failed (the others are written), else 0."""
        return 1 if self.failed else 0

    # ------------------------------------------------------------------------------------------- units

    def slice(self, units: Sequence[Unit], stable: bool = False) -> list[Unit]:
        """This task's units, round robin over the given order (the same on every task); `stable` assigns each
        unit by a hash of its name instead (`owns`), so a unit added before a rerun moves no other unit to
        another task: for commands that gather a task's units into one output per task."""
        seen: set[str] = set()
        for u in units:
            if u.name in seen:
                raise UserError(f"two units are both named {u.name!r}: unit names must be unique")
            seen.add(u.name)
        mine = ([u for u in units if self.owns(u.name)] if stable
                else [u for i, u in enumerate(units) if i % self.num == self.index])
        self.counts["units_total"] += len(units)
        self.counts["units_this_task"] += len(mine)
        return mine

    def owns(self, key: str) -> bool:
        """Whether this task owns the item `key` (by a hash of the key, so inserting or removing items elsewhere
        in the input moves no item to another task: for streams of records rather than a list of units)."""
        return int(digest(key), 16) % self.num == self.index

    def _marker(self, unit: Unit) -> Path:
        return self.state_dir / "done" / _marker_name(unit.name)

    def _fingerprint(self, unit: Unit, known: dict | None = None) -> dict:
        known_inputs = (known or {}).get("inputs", {})
        config = {**self.config, **config_values(self.cfg, unit.config)} if unit.config else self.config
        return {"config": config, "key": unit.key,
                "inputs": {p: input_identity(p, known_inputs.get(p)) for p in unit.inputs}}

    @staticmethod
    def _same(old: dict, new: dict) -> bool:
        def content(fp: dict) -> dict:  # sizes and times only speed the check up; the digests decide
            return {"key": fp.get("key"), "inputs": {p: i.get("digest") for p, i in fp.get("inputs", {}).items()}}
        return content(old) == content(new) and same_config(old.get("config") or {}, new.get("config") or {})

    def is_done(self, unit: Unit) -> bool:
        """True when the unit's marker holds its current fingerprint and its recorded outputs are all there. A
        marker with another fingerprint is an error (on_mismatch=error) or is removed with the unit's outputs
        (redo)."""
        path = self._marker(unit)
        if not path.exists():
            return False
        old = json.loads(path.read_text(encoding="utf-8"))
        if any(not (self.out_dir / rel).exists() for rel in old.get("outputs", [])):
            path.unlink()  # an output was deleted since: do the unit again rather than skip to a hole
            return False
        new = self._fingerprint(unit, old.get("fingerprint"))
        if self._same(old.get("fingerprint", {}), new):
            return True
        self._mismatch(f"unit {unit.name!r}", old.get("fingerprint", {}), new, old.get("outputs", []))
        path.unlink()
        return False

    def _mismatch(self, what: str, old: dict, new: dict, outputs: Sequence[str]) -> None:
        changed = _changes(old.get("config", {}), new.get("config", {}))
        old_in = {p: i.get("digest") for p, i in old.get("inputs", {}).items()}
        new_in = {p: i.get("digest") for p, i in new.get("inputs", {}).items()}
        changed += [f"input {p} changed" for p in sorted(set(old_in) | set(new_in)) if old_in.get(p) != new_in.get(p)]
        if old.get("key") != new.get("key"):
            changed.append("its records changed")
        if self.on_mismatch == "error":
            raise UserError(f"{self.out_dir}: {what} was made with other settings ({'; '.join(changed)}); use "
                            "another output folder, or on_mismatch: redo to redo it here")
        for rel in outputs:
            target = self.out_dir / rel
            if target.is_dir():  # a dataset or checkpoint folder
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        print(f"{self.command}: redoing {what} ({'; '.join(changed)})", file=sys.stderr)
        self.counts["units_redone"] += 1

    def mark_done(self, unit: Unit, counts: dict[str, int] | None = None, outputs: Sequence[str | Path] = ()) -> None:
        """Record a finished unit (after its outputs are in place): its fingerprint, counts and output files."""
        rel = [self._relative(p) for p in outputs]
        write_json(self._marker(unit), {"unit": unit.name, "fingerprint": self._fingerprint(unit),
                                        "counts": counts or {}, "outputs": rel,
                                        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
        self.counts["units_done"] += 1
        self.counts.update(counts or {})

    def _relative(self, path: str | Path) -> str:
        """An output's path relative to the folder. Commands give it absolute, relative to the working directory
        (under a relative output folder: "out/part.parquet"), or relative to the folder ("part.parquet")."""
        path = Path(path)
        if not path.is_absolute() and ((self.out_dir / path).exists() or not path.exists()):
            return str(path)
        return str(path.resolve().relative_to(self.out_dir.resolve()))

    def forget(self, unit: Unit) -> None:
        """Remove a unit's marker (its outputs were consumed and deleted, e.g. parts joined into one output), so
        a later run does it again instead of trusting files that are gone."""
        self._marker(unit).unlink(missing_ok=True)

    def mark_failed(self, name: str, err: BaseException) -> None:
        self.failed.append({"unit": name, "error": one_line(err), "type": type(err).__name__})
        self.counts["units_failed"] += 1
        print(f"{self.command}: {name}: failed: {one_line(err)}", file=sys.stderr)

    @contextmanager
    def capture(self, name: str) -> Iterator[None]:
        """Run one unit's block: an exception fails this unit (recorded, exit 1) and the run goes on."""
        try:
            yield
        except Exception as err:  # noqa: BLE001 - per-unit capture is the point; KeyboardInterrupt passes
            self.mark_failed(name, err)

    def map(self, fn: Callable[[Unit], dict | None], units: Sequence[Unit], workers: int = 1,
            context: str = "spawn") -> dict[str, dict]:
        """Run `fn(unit)` for every unit not done, in `workers` processes (`fn` must be a module-level function).
        `fn` returns counts (a dict of ints) and may list its files under "outputs"; a unit that raises is failed.
        Returns {unit name: counts} of the units run now."""
        todo = [u for u in units if not self.is_done(u)]
        self.counts["units_skipped_done"] += len(units) - len(todo)
        self.counts.update({"units_done": 0, "units_failed": 0})  # the keys are in the manifest also when 0
        results: dict[str, dict] = {}

        def finish(unit: Unit, out: dict | None) -> None:
            out = dict(out or {})
            outputs = out.pop("outputs", [])
            self.mark_done(unit, out, outputs)
            results[unit.name] = out

        if workers <= 1 or len(todo) <= 1:
            for unit in todo:
                with self.capture(unit.name):
                    finish(unit, fn(unit))
            return results
        ctx = multiprocessing.get_context(context)
        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=ctx) as pool:
            futures = {pool.submit(_call, fn, unit): unit for unit in todo}
            for future in as_completed(futures):
                with self.capture(futures[future].name):
                    finish(futures[future], future.result())
        return results

    # ------------------------------------------------------------------------------------------- whole outputs

    @contextmanager
    def outputs(self) -> Iterator[Path]:
        """All-or-nothing outputs for a command that rewrites its outputs whole (evaluation, reports): the block
        writes them into the yielded staging folder, under the names they have in the output folder. When it
        succeeds they replace the folder's files at once, and the files of the previous run that this one did not
        write are removed; when it fails, the folder keeps the previous run's outputs, all of them, unchanged."""
        staging = self.state_dir / f"staging{self.tag}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        files = sorted(str(f.relative_to(staging)) for f in staging.rglob("*") if not f.is_dir())
        # the list is the commit point: once it is written, a kill mid-swap is completed by the next run
        write_json(self.state_dir / f"staged{self.tag}.json", {"files": files, "command": self.command})
        self._finish_staged()

    def _finish_staged(self) -> None:
        """Move the staged files into the folder and delete the previous run's files this one did not write;
        without a commit list (the staging was cut short) the staging folder is dropped."""
        staging, commit = self.state_dir / f"staging{self.tag}", self.state_dir / f"staged{self.tag}.json"
        if not commit.exists():
            shutil.rmtree(staging, ignore_errors=True)
            return
        record = json.loads(commit.read_text(encoding="utf-8"))
        files = record["files"]
        # per command: a command sharing the folder (judge sheets, then judge score) never removes another's files
        listing = self.state_dir / f"outputs{self.tag}-{_marker_name(record.get('command', self.command))}"
        for rel in files:
            if (staging / rel).exists():  # absent: moved before a kill
                (self.out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, self.out_dir / rel)
        old = json.loads(listing.read_text(encoding="utf-8"))["files"] if listing.exists() else []
        for rel in sorted(set(old) - set(files)):
            (self.out_dir / rel).unlink(missing_ok=True)
        write_json(listing, {"files": files})
        commit.unlink()
        shutil.rmtree(staging, ignore_errors=True)

    # ------------------------------------------------------------------------------------------- appended outputs

    def guard(self, outputs: Sequence[Path], data: Any = None, key: str = "") -> bool:
        """For outputs that grow across reruns (one file appended per task, training checkpoints): check that
        what is there was made with the same config fields (and `key`: e.g. a digest of the data, compared too)
        as this run, then record them. Returns True when they were removed to redo (on_mismatch=redo). `data`
        (e.g. a digest of the inputs) is recorded in the manifest, not compared: whether old records still
        belong to the data is the command's check."""
        path = self.state_dir / f"fingerprint{self.tag}.json"
        rel = [str(Path(p).resolve().relative_to(self.out_dir.resolve())) for p in outputs]
        new = {"config": self.config, "key": key, "outputs": rel}
        redone = False
        if path.exists() and any((self.out_dir / p).exists() for p in rel):
            old = json.loads(path.read_text(encoding="utf-8"))
            if not same_config(old.get("config", {}), self.config) or old.get("key", "") != key:
                old.setdefault("key", "")
                self._mismatch(f"the output of task {self.index} of {self.num}", old, new,
                               [p for p in rel if (self.out_dir / p).exists()])
                redone = True
        self._check_other_tasks(path)
        write_json(path, new)
        if data is not None:
            self.extra["data_fingerprint"] = data
        return redone

    def _check_other_tasks(self, mine: Path) -> None:
        """Tasks of one folder must share a config: tables read all their files together."""
        for other in sorted(self.state_dir.glob("fingerprint*.json")):
            if other == mine:
                continue
            record = json.loads(other.read_text(encoding="utf-8"))
            if not any((self.out_dir / p).exists() for p in record.get("outputs", [])):
                continue  # its outputs were deleted: nothing to mix with
            old = record.get("config", {})
            if not same_config(old, self.config) and self.on_mismatch == "error":
                raise UserError(f"{self.out_dir}: another task's output ({other.name}) was made with other settings "
                                f"({'; '.join(_changes(old, self.config))}); use another output folder")
