"""Data mixtures for training: several sources (tokenized datasets, or one language of one) mixed by weight, e.g.
MMedC's medical data with a general-domain replay set against forgetting.

Every step takes a fixed number of sequences from each source: floor(share x global batch), and the remaining
seats of the step go to the sources furthest behind their share so far (so after s steps each source has had
its share of s x global batch sequences to within one). Each source is read in epochs of its own, each a
permutation seeded by (seed, source, epoch); the step's sequences are then shuffled together with a generator
seeded by (seed, step). Everything is a function of (seed, step): a resumed run, at any world size, sees the
batches an uninterrupted one would have seen, as with StepSampler.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from common.cli import UserError


@dataclass(frozen=True)
class MixtureSource:
    path: str
    lang: str  # '' = every language of the dataset
    weight: float

    @property
    def name(self) -> str:
        return f"{Path(self.path).name}{':' + self.lang if self.lang else ''}"


def parse_mixture(specs: list[str]) -> list[MixtureSource]:
    """'DIR=WEIGHT' or 'DIR:LANG=WEIGHT' entries (the weights are shares; they need not sum to 1)."""
    sources = []
    for spec in specs:
        where, sep, weight = spec.rpartition("=")
        try:
            value = float(weight)
        except ValueError:
            value = -1.0
        if not sep or not where or not value > 0:
            raise UserError(f"mixture entry {spec!r}: write DIR=WEIGHT or DIR:LANG=WEIGHT with a positive weight")
        folder, name = os.path.split(where)
        name, _, lang = name.partition(":")
        path = os.path.join(folder, name)
        sources.append(MixtureSource(path, lang, value))
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise UserError(f"mixture: a source is named twice ({', '.join(names)})")
    return sources


def step_counts(weights: list[float], global_batch: int, steps: int) -> torch.Tensor:
    """(steps, sources) int64: sequences of each source in each step; each row sums to global_batch."""
    share = torch.tensor(weights, dtype=torch.float64) / sum(weights)
    base = torch.floor(share * global_batch).to(torch.int64)
    spare = global_batch - int(base.sum())
    counts = torch.empty(steps, len(weights), dtype=torch.int64)
    taken = torch.zeros(len(weights), dtype=torch.int64)
    for step in range(steps):
        row = base.clone()
        if spare:
            behind = share * global_batch * (step + 1) - (taken + base).double()
            row[torch.argsort(-behind, stable=True)[:spare]] += 1
        counts[step] = row
        taken += row
    return counts


class MixtureSampler:
    """StepSampler's interface over a concatenation of sources: `rows[d]` are source d's row indices in the
    concatenated dataset."""

    def __init__(self, rows: list[list[int]], weights: list[float], global_batch: int, micro_batch: int,
                 world_size: int, rank: int, seed: int):
        self.rows = [torch.tensor(r, dtype=torch.int64) for r in rows]
        if any(len(r) == 0 for r in self.rows):
            raise ValueError("a mixture source has no training sequences")
        self.weights, self.global_batch, self.micro, self.world, self.rank = (weights, global_batch, micro_batch,
                                                                              world_size, rank)
        self.seed, self.n = seed, sum(len(r) for r in self.rows)
        self.steps_per_epoch = max(1, self.n // global_batch)
        self._counts = step_counts(weights, global_batch, 0)
        self._perms: dict[int, tuple[int, torch.Tensor]] = {}

    def _counts_until(self, step: int) -> torch.Tensor:
        if len(self._counts) <= step:
            self._counts = step_counts(self.weights, self.global_batch, max(step + 1, 2 * len(self._counts)))
        return self._counts

    def consumed(self, step: int) -> list[int]:
        """Sequences each source gave to steps 0 .. step - 1."""
        return self._counts_until(step)[:step].sum(0).tolist() if step else [0] * len(self.rows)

    def _source_rows(self, d: int, start: int, count: int) -> list[int]:
        rows, out = self.rows[d], []
        for pos in range(start, start + count):
            epoch, within = divmod(pos, len(rows))
            if self._perms.get(d, (-1, None))[0] != epoch:  # one epoch's permutation per source at a time
                gen = torch.Generator().manual_seed((self.seed * 1_000_003 + d) * 1_000_003 + epoch)
                self._perms[d] = (epoch, torch.randperm(len(rows), generator=gen))
            out.append(int(rows[self._perms[d][1][within]]))
        return out

    def global_batch_indices(self, step: int) -> list[int]:
        counts, done = self._counts_until(step)[step].tolist(), self.consumed(step)
        batch = [i for d in range(len(self.rows)) for i in self._source_rows(d, done[d], counts[d])]
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        return [batch[i] for i in torch.randperm(len(batch), generator=gen).tolist()]

    def micro_batches(self, step: int) -> list[list[int]]:
        batch = self.global_batch_indices(step)
        accum = self.global_batch // (self.micro * self.world)
        return [batch[(a * self.world + self.rank) * self.micro:(a * self.world + self.rank + 1) * self.micro]
                for a in range(accum)]

    def position(self, step: int) -> dict:
        return {"epoch": 0, "index": step * self.global_batch, "dataset_size": self.n, "seed": self.seed,
                "global_batch": self.global_batch, "mixture_consumed": self.consumed(step)}
