"""Exact and near-duplicate detection (MinHash LSH, numpy only), keeping the highest-priority source.

Exact: documents whose `dedup_key` (NFKC, casefolded, whitespace removed) is equal are duplicates.
Near: MinHash signatures over shingles (n consecutive words for space-delimited languages, n consecutive
characters for zh/ja), split into `bands` bands of `rows` rows; documents sharing any band bucket are candidates
and are duplicates when their estimated Jaccard similarity (share of equal signature values) is at least the
threshold. Duplicate groups are closed transitively (union-find). In each group the document kept is the one
with the best (source priority, longer text, smaller id): e.g. a textbook page beats the same text from the web.

Memory: one signature (num_perm uint32) plus a few ints per document; the builder streams texts. For very large
runs the signatures can be computed per shard in parallel and the banding done per band (see docs).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

MAX_BUCKET_CHECKS = 32
_MERSENNE = np.uint64((1 << 61) - 1)
_WORD = re.compile(r"[^\W_]+")
_NOT_WORD = re.compile(r"[\W_]+")


def dedup_key(text: str) -> bytes:
    """Exact-duplicate key: sha1 of the NFKC casefolded text with all whitespace removed."""
    norm = "".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha1(norm.encode("utf-8", "surrogatepass")).digest()


def shingles(text: str, space_delimited: bool, n: int) -> list[str]:
    """n-word (or n-character for zh/ja) shingles of the normalised text; short texts give one shingle."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    if space_delimited:
        units = _WORD.findall(norm)
        grams = [" ".join(units[i:i + n]) for i in range(max(1, len(units) - n + 1))]
    else:
        units = _NOT_WORD.sub("", norm)
        grams = [units[i:i + n] for i in range(max(1, len(units) - n + 1))]
    return [g for g in grams if g]


def choose_bands(num_perm: int, threshold: float) -> tuple[int, int]:
    """(bands, rows) with bands*rows == num_perm whose S-curve midpoint (1/b)^(1/r) is nearest the threshold."""
    options = [(b, num_perm // b) for b in range(1, num_perm + 1) if num_perm % b == 0]
    return min(options, key=lambda br: abs((1 / br[0]) ** (1 / br[1]) - threshold))


class MinHasher:
    def __init__(self, num_perm: int = 128, seed: int = 1):
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self.a = rng.integers(1, 1 << 32, size=num_perm, dtype=np.uint64)
        self.b = rng.integers(0, 1 << 32, size=num_perm, dtype=np.uint64)

    def signature(self, grams: list[str]) -> np.ndarray:
        if not grams:
            return np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        h = np.fromiter((zlib.crc32(g.encode("utf-8", "surrogatepass")) for g in set(grams)), dtype=np.uint64)
        # (a*h + b) mod p with a, h < 2^32 stays below 2^64; keep the low 32 bits of the minimum
        values = (np.outer(h, self.a) + self.b) % _MERSENNE
        return (values.min(axis=0) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


@dataclass
class Candidate:
    key: bytes  # exact-duplicate key
    rank: tuple  # smaller is better: (source priority, -length, id)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def source_rank(source: str, priority: list[str]) -> int:
    return priority.index(source) if source in priority else len(priority)


class Deduplicator:
    """Add documents (one language) with `add`; `resolve()` returns {index: reason} for those to drop."""

    def __init__(self, space_delimited: bool, priority: list[str], near: bool = True, threshold: float = 0.8,
                 num_perm: int = 128, shingle_size: int = 5, seed: int = 1):
        self.space_delimited = space_delimited
        self.priority = priority
        self.near = near
        self.threshold = threshold
        self.shingle_size = shingle_size
        self.hasher = MinHasher(num_perm, seed)
        self.bands, self.rows = choose_bands(num_perm, threshold)
        self.items: list[Candidate] = []
        self.signatures: list[np.ndarray] = []

    def add(self, doc_id: str, text: str, source: str) -> int:
        self.items.append(Candidate(dedup_key(text), (source_rank(source, self.priority), -len(text), doc_id)))
        if self.near:
            self.signatures.append(self.hasher.signature(shingles(text, self.space_delimited, self.shingle_size)))
        return len(self.items) - 1

    def resolve(self) -> dict[int, str]:
        """Indices to drop -> "exact" or "near" (the reason); one best document survives per group."""
        n = len(self.items)
        uf = _UnionFind(n)
        first: dict[bytes, int] = {}
        for i, item in enumerate(self.items):
            j = first.setdefault(item.key, i)
            if j != i:
                uf.union(i, j)
        if self.near and n > 1:
            self._near_pairs(uf)
        groups: dict[int, list[int]] = {}
        for i in range(n):
            groups.setdefault(uf.find(i), []).append(i)
        drop: dict[int, str] = {}
        for members in groups.values():
            if len(members) == 1:
                continue
            best = min(members, key=lambda i: self.items[i].rank)
            for i in members:
                if i != best:
                    drop[i] = "exact" if self.items[i].key == self.items[best].key else "near"
        return drop

    def _near_pairs(self, uf: _UnionFind) -> None:
        sigs = np.stack(self.signatures)
        for band in range(self.bands):
            cols = sigs[:, band * self.rows:(band + 1) * self.rows]
            buckets: dict[bytes, list[int]] = {}
            for i, row in enumerate(cols):
                members = buckets.setdefault(row.tobytes(), [])
                # verify against earlier members of the bucket (capped: a huge bucket is one template anyway)
                for j in members[:MAX_BUCKET_CHECKS]:
                    if uf.find(i) != uf.find(j) and float(np.mean(sigs[i] == sigs[j])) >= self.threshold:
                        uf.union(i, j)
                members.append(i)
