"""Checkpoints with torch.distributed.checkpoint (DCP): everything that defines the state of a run.

    <output>/checkpoints/step_00001000/
        __0_0.distcp ... .metadata   model + optimizer (sharded DCP; loadable at another world size)
        trainer_state.json           step, data position (sampler), scheduler, tokens seen, world size
        rng/rank_00000.pt            each rank's torch / CUDA / Python RNG states (tensors and ints only)
        COMPLETE                     written last

Every rank writes into `.tmp_step_XXXXXXXX`; after a barrier rank 0 renames it to `step_XXXXXXXX` and only then
writes COMPLETE, so a checkpoint cut short by a kill is never picked up. The newest K complete ones are kept;
a step dir left without COMPLETE (a save or a prune cut short) is removed by the next save.

Loading never runs code from the checkpoint folder. DCP's own reader unpickles `.metadata` with plain pickle and
its planner reads every non-tensor entry with `torch.load(weights_only=False)`: a crafted folder could run anything.
`load_dcp` reads `.metadata` with an unpickler that admits only DCP's metadata classes (and torch.Size/dtypes), and
non-tensor entries with `torch.load(weights_only=True)`; tensors were already read with weights_only=True, RNG
files too, trainer_state.json is JSON. Anything else makes it raise UnsafeCheckpointError naming the file.
"""

from __future__ import annotations

import errno
import io
import pickle
import random
import re
import shutil
from pathlib import Path

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint import DefaultLoadPlanner, FileSystemReader
from torch.distributed.checkpoint.api import CheckpointException
from torch.distributed.checkpoint.metadata import Metadata, StorageMeta
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

from common.cli import one_line
from common.distributed import barrier
from common.records import read_json_file, write_json, write_text

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


class UnsafeCheckpointError(ValueError):
    """A checkpoint file holds something other than plain checkpoint data (it could run code when loaded)."""


_METADATA_MODULE = "torch.distributed.checkpoint.metadata"
_METADATA_GLOBALS = {("torch", "Size"), ("torch.serialization", "_get_layout"),
                     ("torch.distributed.checkpoint.filesystem", "_StorageInfo"), ("collections", "OrderedDict"),
                     ("pathlib", "PosixPath"), ("pathlib", "PurePosixPath")}


class _MetadataUnpickler(pickle.Unpickler):
    """Admits only the classes DCP writes into `.metadata`; everything else (os.system, eval, ...) is refused."""

    def find_class(self, module: str, name: str):
        if module == _METADATA_MODULE and "." not in name:
            obj = getattr(__import__(module, fromlist=[name]), name, None)
            if isinstance(obj, type) and obj.__module__ == module:  # a class defined there, not an import
                return obj
        if (module, name) in _METADATA_GLOBALS:
            return super().find_class(module, name)
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return getattr(torch, name)
        raise UnsafeCheckpointError(f"refers to {module}.{name}, which checkpoint metadata never holds")


class SafeFileSystemReader(FileSystemReader):
    """FileSystemReader whose `.metadata` is read by _MetadataUnpickler instead of pickle.load."""

    def read_metadata(self, *args, **kwargs) -> Metadata:
        path = self._get_metadata_path(kwargs.get("rank"))
        try:
            with self.fs.create_stream(path, "rb") as f:
                metadata = _MetadataUnpickler(f).load()
        except UnsafeCheckpointError as e:
            raise UnsafeCheckpointError(f"{path}: {e}; refusing to load it") from None
        except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as e:
            raise UnsafeCheckpointError(f"{path}: not readable checkpoint metadata ({e})") from None
        if not isinstance(metadata, Metadata):
            raise UnsafeCheckpointError(f"{path}: holds a {type(metadata).__name__}, not checkpoint metadata")
        if getattr(metadata, "storage_meta", None) is None:
            metadata.storage_meta = StorageMeta()
        metadata.storage_meta.load_id = self.load_id
        return metadata


class SafeLoadPlanner(DefaultLoadPlanner):
    """DefaultLoadPlanner that reads non-tensor entries (optimizer hyperparameters) with weights_only=True."""

    def load_bytes(self, read_item, value: io.BytesIO) -> None:
        try:
            obj = torch.load(value, weights_only=True)
        except pickle.UnpicklingError:
            raise UnsafeCheckpointError(f"entry {read_item.dest_index.fqn} is not plain data (loading it could "
                                        "run code); refused") from None
        if self.flatten_state_dict:
            from torch.distributed.checkpoint._traverse import set_element

            set_element(self.original_state_dict, self.mappings[read_item.dest_index.fqn], obj)
        else:
            self.state_dict[read_item.dest_index.fqn] = obj


def load_dcp(state: dict, path: str | Path) -> None:
    """dcp.load into `state` in place, through the safe reader and planner (see the module docstring)."""
    reader = SafeFileSystemReader(str(path))
    reader.read_metadata()  # first, so a refused file is one clear error before DCP's own fallbacks and logs
    try:
        dcp.load(state, storage_reader=reader, planner=SafeLoadPlanner())
    except CheckpointException as e:
        excs = [failure[0] if isinstance(failure, tuple) else failure for failure in e.failures.values()]
        for exc in excs:
            if isinstance(exc, UnsafeCheckpointError):
                raise UnsafeCheckpointError(f"{path}: {exc}") from None
        # a truncated or damaged .distcp file (EOFError, a short read), or the checkpoint of another model
        first = excs[0] if excs else e
        raise UnreadableCheckpointError(f"{path}: the checkpoint's data cannot be read ({type(first).__name__}: "
                                        f"{one_line(first)}); it is damaged or of another model") from None
    except (EOFError, OSError, RuntimeError) as e:
        raise UnreadableCheckpointError(f"{path}: the checkpoint's data cannot be read ({type(e).__name__}: "
                                        f"{one_line(e)}); it is damaged or of another model") from None


class UnreadableCheckpointError(ValueError):
    """A checkpoint file that is truncated or damaged, or that holds another model; the message names it."""


def read_trainer_state(path: Path) -> dict:
    """trainer_state.json of a checkpoint, or one line naming it when it is damaged."""
    state = read_json_file(path / "trainer_state.json")
    if not isinstance(state.get("step"), int) or not isinstance(state.get("world_size"), int):
        raise UnreadableCheckpointError(f"{path / 'trainer_state.json'}: lacks an integer step and world_size "
                                        "(damaged or edited)")
    return state


def load_rng_file(rng_file: Path) -> dict:
    """A rank's RNG states: tensors and numbers only, read with weights_only; anything else is refused (without
    torch's hint to retry with weights_only=False, which would run the file's code)."""
    try:
        return torch.load(rng_file, weights_only=True)
    except pickle.UnpicklingError:
        raise UnsafeCheckpointError(f"{rng_file}: holds something other than RNG states (loading it could run "
                                    "code); refused") from None
    except (EOFError, RuntimeError, OSError) as e:
        raise UnreadableCheckpointError(f"{rng_file}: unreadable RNG states ({type(e).__name__}); damaged "
                                        "checkpoint") from None


def _state_bytes(obj) -> int:
    """Bytes of the tensors (this rank's shards) in a nested state dict."""
    if isinstance(obj, dict):
        return sum(_state_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_state_bytes(v) for v in obj)
    if torch.is_tensor(obj):
        local = getattr(obj, "_local_tensor", obj)
        return local.numel() * local.element_size()
    return 0


def _out_of_space(folder: Path, state) -> OSError | None:
    """ENOSPC when the file system of `folder` has less room than this rank's part of the checkpoint: torch's
    zip writer reports a full disk as 'unexpected pos', not as an OSError."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    need = _state_bytes(state)
    if free >= need:
        return None
    return OSError(errno.ENOSPC, f"No space left on device: {free / 1e6:.1f} MB free, this rank's part of the "
                                 f"checkpoint needs {need / 1e6:.1f} MB")


def disk_error_in(err: BaseException) -> OSError | None:
    """The full-disk / read-only / permission OSError behind `err` (its causes, DCP's per-rank failures)."""
    from common.cli import is_disk_error

    pending, seen = [err], set()
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if is_disk_error(e):
            return e
        failures = [f[0] if isinstance(f, tuple) else f for f in getattr(e, "failures", {}).values()]
        pending += [e.__cause__, e.__context__, *failures]
    return None


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
        try:
            dcp.save({"model": model_sd, "optim": optim_sd}, checkpoint_id=str(tmp))
            torch.save(rng_state(), tmp / "rng" / f"rank_{rank:05d}.pt")
        except (Exception, CheckpointException) as err:  # DCP's is a BaseException wrapping each rank's
            disk = disk_error_in(err) or _out_of_space(tmp, (model_sd, optim_sd))
            if disk is None:
                raise
            raise OSError(disk.errno, f"{disk.strerror} (saving the step {step} checkpoint)", str(tmp)) from err
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
        # a step dir without COMPLETE is a save or a prune cut short (the run holds the folder's lock, so no
        # other writer exists): it can never be resumed from, so it goes
        for leftover in self.root.iterdir():
            if leftover.is_dir() and STEP_DIR.match(leftover.name) and not (leftover / COMPLETE).exists():
                shutil.rmtree(leftover)
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
        trainer_state = read_trainer_state(path)  # first: a damaged small file is named before the big read
        rng_file = path / "rng" / f"rank_{dist.get_rank():05d}.pt"
        load_dcp(state, path)
        set_state_dict(model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"])
        if rng_file.exists() and trainer_state["world_size"] == dist.get_world_size():
            rng = load_rng_file(rng_file)
            try:
                set_rng_state(rng)
            except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as e:
                raise UnreadableCheckpointError(f"{rng_file}: not this codebase's RNG states ({type(e).__name__}: "
                                                f"{one_line(e)})") from None
        else:
            trainer_state["rng_restored"] = False  # resumed at another world size: RNG reseeded by the caller
        return trainer_state
