"""Run manifests: what produced an output folder (git commit, versions, command, times, counts)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common.config import save_config
from common.records import write_json

_PACKAGES = ("torch", "transformers", "datasets", "peft", "tokenizers", "pyarrow", "accelerate", "mmed")


def git_commit(repo_dir: str | Path | None = None) -> str:
    cwd = Path(repo_dir) if repo_dir else Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return out.stdout.strip() + ("+dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = distribution_version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def distribution_version(name: str) -> str:
    """`importlib.metadata.version(name)`, reading only the header of the METADATA file: the email parser that
    `version` runs over the whole file (long descriptions: torch, transformers) is most of a manifest's cost."""
    dist = importlib.metadata.distribution(name)
    header = (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").partition("\n\n")[0]
    for line in header.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "version":
            return value.strip()
    return dist.version


class RunManifest:
    """Start one when a command starts; `finish(counts)` writes manifest.json (and config.yaml) into out_dir.

    config.yaml describes the outputs in the folder, so only a run that succeeded replaces it; a first run writes
    it at the start (a killed first run still says how it was started)."""

    def __init__(self, command: str, out_dir: str | Path, config: Any = None):
        self.command = command
        self.out_dir = Path(out_dir)
        self.config = config
        self.started = dt.datetime.now(dt.timezone.utc)
        self._t0 = time.monotonic()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if config is not None and not (self.out_dir / "config.yaml").exists():
            save_config(config, self.out_dir)

    def finish(self, counts: dict[str, Any] | None = None, name: str = "manifest.json", status: str = "ok",
               **extra: Any) -> Path:
        """Write the manifest; `status` other than "ok" (error, interrupted) leaves config.yaml as it was."""
        if status == "ok" and self.config is not None:
            save_config(self.config, self.out_dir)
        path = self.out_dir / name
        write_json(path, {
            "command": self.command,
            "status": status,
            "argv": sys.argv,
            "git_commit": git_commit(),
            "versions": package_versions(),
            "host": socket.gethostname(),
            "started": self.started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - self._t0, 3),
            "counts": counts or {},
            **extra,
        })
        return path
