"""One writer per output folder: `<folder>/.lock`, held with flock for the life of the run.

    with RunLock("outputs/pretrain/run"):      # RunLockedError (one line naming the holder) if another run holds it
        ...

The file records the holder (host, pid, Slurm job, command) for the message. A holder that died (killed, node
rebooted) releases the kernel lock, so its leftover file is stale and simply taken over. On a file system without
flock the record itself decides: a holder on this host whose pid is gone, or an earlier attempt of this same Slurm
job (a requeue), is stale; a holder elsewhere is reported with the path to delete when it is known to be dead.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
from pathlib import Path

from common.errors import RunLockedError

LOCK_NAME = ".lock"
_HELD: dict[Path, RunLock] = {}


def _me() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
            "slurm_restart_count": os.environ.get("SLURM_RESTART_COUNT", "0"),
            "started": dt.datetime.now().isoformat(timespec="seconds"), "command": " ".join(sys.argv)[:300]}


def _describe(holder: dict) -> str:
    job = f", Slurm job {holder['slurm_job_id']}" if holder.get("slurm_job_id") else ""
    return (f"pid {holder.get('pid')} on {holder.get('host')}{job}, started {holder.get('started')}: "
            f"{holder.get('command', '')}")


def _is_stale(holder: dict) -> bool:
    """For file systems without flock: can the recorded holder be known dead?"""
    me = _me()
    same_job = holder.get("slurm_job_id") and holder["slurm_job_id"] == me["slurm_job_id"]
    if same_job and holder.get("slurm_restart_count") != me["slurm_restart_count"]:
        return True  # an earlier attempt of this job (a requeue); the same attempt is judged by its process below
    if holder.get("host") != me["host"]:
        return False
    try:
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, KeyError, TypeError, ValueError):
        return False
    return False


class RunLock:
    """Exclusive lock on an output folder; re-entrant within one process."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder).resolve()
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None
        self._depth = 0

    def acquire(self) -> RunLock:
        held = _HELD.get(self.folder)
        if held is not None:
            held._depth += 1
            return held
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._read(fd)
            os.close(fd)
            raise RunLockedError(f"{self.folder} is in use by another run ({_describe(holder)}); wait for it or "
                                 "use another output folder") from None
        except OSError:  # no flock on this file system: the record decides
            holder = self._read(fd)
            if holder and not _is_stale(holder):
                os.close(fd)
                raise RunLockedError(f"{self.folder} is in use by another run ({_describe(holder)}); if that run "
                                     f"is dead, delete {self.path}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(_me()) + "\n").encode(), 0)
        self._fd, self._depth = fd, 1
        _HELD[self.folder] = self
        return self

    @staticmethod
    def _read(fd: int) -> dict:
        try:
            return json.loads(os.pread(fd, 65536, 0).decode() or "{}")
        except (ValueError, UnicodeDecodeError):
            return {}

    def release(self) -> None:
        held = _HELD.get(self.folder, self)
        held._depth -= 1
        if held._depth > 0 or held._fd is None:
            return
        # the file stays (unlinking it would let two later runs lock two different files); empty means free
        os.ftruncate(held._fd, 0)
        os.close(held._fd)
        held._fd = None
        _HELD.pop(self.folder, None)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_for_all_ranks(folder: str | Path, device) -> RunLock | None:
    """Collective: rank 0 takes the folder's lock (and gets it back); if it cannot, every rank raises, so no
    rank starts writing into a folder another run owns."""
    from common.distributed import all_reduce_max, is_main

    lock, error = None, None
    if is_main():
        try:
            lock = RunLock(folder).acquire()
        except RunLockedError as e:
            error = e
    if all_reduce_max(float(error is not None), device) > 0:
        raise error or RunLockedError(f"{folder} is in use by another run (see rank 0's message)")
    return lock
