"""Splitting work across Slurm array tasks (or any set of independent processes).

`resolve_shard_args(shard_index, num_shards)`: explicit values win; else SLURM_ARRAY_TASK_ID / COUNT (made
0-based with SLURM_ARRAY_TASK_MIN, so `--array=1-8` works); else (0, 1).
`slice_for_task(items, index, num)`: round robin over the given (sorted) order, so tasks split the work without
talking to each other.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def resolve_shard_args(shard_index: int | None, num_shards: int | None) -> tuple[int, int]:
    """Explicit values win; else the Slurm array environment; else (0, 1)."""
    env = os.environ
    if num_shards is None:
        num_shards = int(env["SLURM_ARRAY_TASK_COUNT"]) if "SLURM_ARRAY_TASK_COUNT" in env else 1
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    if shard_index is None:
        if "SLURM_ARRAY_TASK_ID" in env:
            shard_index = int(env["SLURM_ARRAY_TASK_ID"]) - int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
        else:
            shard_index = 0
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"shard_index {shard_index} is outside [0, {num_shards})")
    return shard_index, num_shards


def slice_for_task(items: Sequence[T], shard_index: int, num_shards: int) -> list[T]:
    """The items array task `shard_index` of `num_shards` owns (round robin over the given order)."""
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"shard_index must be in [0, {num_shards}), got {shard_index}")
    return [item for i, item in enumerate(items) if i % num_shards == shard_index]
