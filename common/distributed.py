"""Process-group setup from torchrun's environment (or a single process without torchrun), and small collectives.

NCCL on CUDA, gloo on CPU, same code. A single process (no RANK/WORLD_SIZE in the environment) still gets a
one-member process group, so FSDP2, DCP checkpoints and the collectives below work identically everywhere.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist


@dataclass
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _pick_device(device: str, local_rank: int) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("train.device=cuda but no CUDA device is visible")
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def die_with_launcher() -> None:
    """torchrun starts every worker in a session of its own, so killing the launcher's process group (or the
    launcher alone with SIGKILL, or a scheduler that tracks processes by parent) would leave the workers running,
    holding GPUs and the run's lock. Ask Linux to kill this worker when its parent dies (PR_SET_PDEATHSIG)."""
    if "TORCHELASTIC_RUN_ID" not in os.environ or not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the launcher died before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)


def init_distributed(backend: str = "auto", device: str = "auto") -> DistInfo:
    """Join (or create) the default process group; idempotent."""
    die_with_launcher()
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = _pick_device(device, local_rank)
    if backend == "auto":
        backend = "nccl" if dev.type == "cuda" else "gloo"
    if not dist.is_initialized():
        if "TORCHELASTIC_RUN_ID" in os.environ or ("MASTER_ADDR" in os.environ and world_size > 1):
            dist.init_process_group(backend=backend, device_id=dev if dev.type == "cuda" else None)
        else:
            # plain `python -m ...`: a one-process group in memory, no port to pick
            dist.init_process_group(backend=backend, store=dist.HashStore(), rank=0, world_size=1)
    return DistInfo(rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=local_rank, device=dev)


def is_main() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def barrier() -> None:
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Sum a few Python numbers over ranks (float64 so token counts stay exact)."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(t)
    return t.tolist()


def all_reduce_max(value: float, device: torch.device) -> float:
    return all_reduce_max_many([value], device)[0]


def all_reduce_max_many(values: list[float], device: torch.device) -> list[float]:
    """Element-wise max of a few Python numbers over ranks, in one collective."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.tolist()


_HOST_GROUP: tuple = (None, None)  # (the default group it was made for, the host-side group)


def host_group() -> dist.ProcessGroup | None:
    """A process group whose collectives run on the host: the default group under gloo, else (NCCL) a gloo group
    over the same ranks, made once (collective on its first call: every rank calls it at the same point); None for
    a single process. Small control values (stop flags) agreed over it never wait for the GPU's queue."""
    global _HOST_GROUP
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return None
    world = dist.group.WORLD
    if _HOST_GROUP[0] is not world:
        group = world if dist.get_backend() == "gloo" else dist.new_group(backend="gloo")
        _HOST_GROUP = (world, group)
    return _HOST_GROUP[1]


def all_reduce_max_host(values: list[float]) -> list[float]:
    """Element-wise max of a few Python numbers over ranks, as a CPU tensor over host_group(): no device sync."""
    t = torch.tensor(values, dtype=torch.float64)
    group = host_group()
    if group is not None:
        dist.all_reduce(t, op=dist.ReduceOp.MAX, group=group)
    return t.tolist()


# Set by scripts/slurm/lib.sh for a training job: a launcher writes a signal's name into the stop file to ask every
# rank to checkpoint and stop (a signal cannot reach torchrun's workers under every Slurm process tracking); rank 0
# writes the run's end into the status file, from which the batch script decides between done and requeue.
STOP_FILE_ENV, STATUS_FILE_ENV = "MMED_STOP_FILE", "MMED_STATUS_FILE"


def requested_stop() -> int:
    """The signal number named in the stop file (SIGUSR1 when it names none), or 0 when no stop is requested."""
    path = os.environ.get(STOP_FILE_ENV)
    if not path or not os.path.exists(path):
        return 0
    try:
        with open(path, encoding="utf-8") as f:
            name = f.read().strip()
    except OSError:
        name = ""
    return int(signal.Signals.__members__.get(name, signal.SIGUSR1))


def report_status(summary: dict) -> None:
    """Rank 0: write the run's end (finished, stopped, steps) to the status file the launcher reads, if any."""
    path = os.environ.get(STATUS_FILE_ENV)
    if not path or not is_main():
        return
    from common.records import write_json

    write_json(Path(path), {k: summary.get(k) for k in ("finished", "stopped", "steps", "total_steps")})


def cleanup() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
