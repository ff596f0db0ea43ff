"""Checkpoints with torch.distributed.checkpoint (DCP): everything that defines the state of a run.

    <output_dir>/checkpoints/step_00001000/
        __0_0.distcp ... .metadata   model + optimizer (sharded DCP; loadable at another world size)
        trainer_state.json           step, data position (sampler), scheduler, tokens seen, world size
        rng/rank_00000.pt            each rank's torch / CUDA / Python RNG states (tensors and ints only)
        COMPLETE                     written last

Every rank writes into `.tmp_step_XXXXXXXX`; after a barrier rank 0 renames it to `step_XXXXXXXX` and only then
writes COMPLETE, so a checkpoint cut short by a kill is never picked up. The newest K complete ones are kept.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

from common.distributed import barrier
from common.records import write_json, write_text

STEP_DIR = re.compile(r"^step_(\d{8})$")
COMPLETE = "COMPLETE"


def step_dir_name(step: int) -> str:
    return f"step_{step:08d}"


def complete_checkpoints(root: str | Path) -> list[Path]:
    """Complete checkpoint dirs under `root`, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and STEP_DIR.match(p.name) and (p / COMPLETE).exists()]
    return sorted(found, key=lambda p: int(STEP_DIR.match(p.name).group(1)))


def latest_checkpoint(root: str | Path) -> Path | None:
    found = complete_checkpoints(root)
    return found[-1] if found else None


def rng_state() -> dict:
    version, state, gauss = random.getstate()
    out = {"torch": torch.get_rng_state(), "py_version": version,
           "py_state": torch.tensor(state, dtype=torch.int64), "py_gauss": gauss}
    if torch.cuda.is_available():
        out["cuda"] = torch.cuda.get_rng_state()
    return out


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate((state["py_version"], tuple(int(x) for x in state["py_state"].tolist()), state["py_gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


class CheckpointManager:
    """Save/load model, optimizer (DCP), trainer state (JSON) and RNG states; keep the newest `keep_last`."""

    def __init__(self, root: str | Path, keep_last: int = 3):
        self.root = Path(root)
        self.keep_last = keep_last

    def save(self, step: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
             trainer_state: dict) -> Path:
        """Collective: every rank must call it."""
        rank = dist.get_rank()
        final = self.root / step_dir_name(step)
        tmp = self.root / f".tmp_{step_dir_name(step)}"
        if rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)  # the leftover of a save that was killed
            (tmp / "rng").mkdir(parents=True)
        barrier()
        model_sd, optim_sd = get_state_dict(model, optimizer)
        dcp.save({"model": model_sd, "optim": optim_sd}, checkpoint_id=str(tmp))
        torch.save(rng_state(), tmp / "rng" / f"rank_{rank:05d}.pt")
        if rank == 0:
            write_json(tmp / "trainer_state.json", {**trainer_state, "step": step,
                                                     "world_size": dist.get_world_size()})
        barrier()
        if rank == 0:
            if final.exists():  # same step saved by a run killed before COMPLETE: replace it
                shutil.rmtree(final)
            tmp.rename(final)
            write_text(final / COMPLETE, f"step {step}\n")
            self._prune()
        barrier()
        return final

    def _prune(self) -> None:
        if self.keep_last <= 0:
            return
        for old in complete_checkpoints(self.root)[:-self.keep_last]:
            # drop the marker first: a prune cut short leaves an incomplete dir, never a broken "complete" one
            (old / COMPLETE).unlink()
            shutil.rmtree(old)

    def load(self, path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
        """Collective. Restores model and optimizer in place and this rank's RNG; returns the trainer state."""
        path = Path(path)
        if not (path / COMPLETE).exists():
            raise FileNotFoundError(f"{path}: not a complete checkpoint (no {COMPLETE} marker)")
        model_sd, optim_sd = get_state_dict(model, optimizer)
        state = {"model": model_sd, "optim": optim_sd}
        dcp.load(state, checkpoint_id=str(path))
        set_state_dict(model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"])
        trainer_state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
        rng_file = path / "rng" / f"rank_{dist.get_rank():05d}.pt"
        if rng_file.exists() and trainer_state["world_size"] == dist.get_world_size():
            set_rng_state(torch.load(rng_file, weights_only=True))
        else:
            trainer_state["rng_restored"] = False  # resumed at another world size: RNG reseeded by the caller
        return trainer_state
