"""The top label of a fastText supervised model (lid.176 and the like), for a batch of texts at once, in numpy,
with the fasttext library deciding every text on which the two could disagree.

Why: build_corpus asks lid.176 about every document, and the library's `predict` costs about 150 microseconds
per 1,000 characters, most of it fetching the quantized rows of ~20 character n-grams per word. Words repeat
(Zipf), so this module sums each word's rows once, keeps the sum in a cache, and adds whole words. Measured
(scripts/bench_langid.py): 2.5-4x less CPU per document on English web-style text; about the library's cost
when every word is new (vectorised n-gram hashing), and less for zh/ja.

What is computed is fastText's model (fastText 0.9 src/dictionary.cc, model.cc, loss.cc, productquantizer.cc):

- tokens: the text split on the bytes " \\n\\r\\t\\v\\f\\0", then the end-of-line token `</s>`; reading stops after
  a `</s>` token inside the text. A token in the vocabulary adds its own row; every token except `</s>` and
  labels (`__label__...`) adds the rows of its character n-grams (minn..maxn UTF-8 characters of "<token>",
  FNV-1a hashed with signed bytes, modulo `bucket`, through the pruned-bucket map of a quantized model).
- hidden = mean of those rows (a quantized row is `norm * centroid` per sub-vector, as float32).
- hierarchical softmax: the Huffman tree of the label counts; a label's score is the sum, along its path, of
  log(f + 1e-5) (right child) or log(1 - f + 1e-5) (left child), f = sigmoid(node row . hidden). The answer is
  the label with the highest score.

Why the answer is the library's, exactly: the library computes the same sums in float32, in another order, and
searches the tree with a pruning that can miss a leaf by at most depth x 1e-5 (log(1 + 1e-5) per node). For each
text we bound how far float32 rounding can move every label's score (from the number and size of the rows
summed, the node rows, and the rounding of exp/log; `_score_bounds`). When the best label does not beat every
other one by more than those bounds plus the pruning slack, the text goes to the library itself. On web text
that is rare (scripts/bench_langid.py prints the share), and tests/test_fasttext_model.py checks equality with
the library on every sample document and on texts built to sit near a tie.

Supported: supervised models with hierarchical softmax (lid.176's loss) and word n-grams 1, quantized (.ftz) or
not (.bin). Other models raise `UnsupportedModel`; data_collection/corpus/langid.py then uses the library for all texts.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np

_MAGIC, _VERSION = 793712314, 12
_EOS = b"</s>"
_LABEL = b"__label__"
_LOSS_HS, _MODEL_SUP = 1, 3
_U = 2.0 ** -24  # unit roundoff of float32
_CACHE_MAX_WORDS = 200_000  # about 26 MB of sums; cleared when full
_TIE_SLACK = 1e-9  # and our float64 arithmetic
_NEW_WORDS_CHUNK = 4096  # words whose rows are summed at once


class UnsupportedModel(ValueError):
    """A fastText model this module does not compute (the library must be used)."""


@dataclass(frozen=True)
class _Header:
    dim: int
    word_ngrams: int
    loss: int
    model: int
    bucket: int
    minn: int
    maxn: int


class _Reader:
    def __init__(self, data: bytes, path: Path):
        self.data, self.pos, self.path = data, 0, path

    def take(self, fmt: str) -> tuple:
        fmt = "<" + fmt
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError(f"{self.path}: truncated fastText model file")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        if self.pos + size > len(self.data):
            raise ValueError(f"{self.path}: truncated fastText model file")
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += size
        return out

    def cstring(self) -> bytes:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise ValueError(f"{self.path}: truncated fastText model file")
        out = self.data[self.pos:end]
        self.pos = end + 1
        return out


def _product_quantizer(r: _Reader) -> tuple[int, int, int, int, np.ndarray]:
    dim, nsubq, dsub, lastdsub = r.take("iiii")
    return dim, nsubq, dsub, lastdsub, r.array("<f4", dim * 256)


def _decode(codes: np.ndarray, pq: tuple, scale: np.ndarray) -> np.ndarray:
    """Rows of a product-quantized matrix as fastText adds them: float32 `scale * centroid` per sub-vector."""
    dim, nsubq, dsub, lastdsub, centroids = pq
    rows = np.empty((codes.shape[0], dim), dtype=np.float32)
    for q in range(nsubq):
        width = lastdsub if q == nsubq - 1 else dsub
        block = centroids[q * 256 * dsub: q * 256 * dsub + 256 * width].reshape(256, width)
        rows[:, q * dsub: q * dsub + width] = block[codes[:, q]] * scale[:, None]
    return rows


def _matrix(r: _Reader, quantized: bool) -> np.ndarray:
    """A fastText matrix (DenseMatrix or QuantMatrix::load) as float32 rows."""
    if not quantized:
        m, n = r.take("qq")
        return r.array("<f4", m * n).reshape(m, n)
    qnorm, m, n, codesize = r.take("?qqi")
    codes = r.array("u1", codesize)
    pq = _product_quantizer(r)
    scale = np.ones(m, dtype=np.float32)
    if qnorm:
        norm_codes = r.array("u1", m)
        npq = _product_quantizer(r)
        scale = npq[4][norm_codes.astype(np.int64)]  # a 1-d quantizer: centroid[code]
    return _decode(codes.reshape(m, pq[1]), pq, scale)


class FastTextModel:
    """A supervised fastText model file, applied in numpy (module docstring). `predict_many(texts)` returns the
    top label of each text (with the `__label__` prefix), as `fasttext.load_model(path).predict(text)` would."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        r = _Reader(self.path.read_bytes(), self.path)
        magic, version = r.take("ii")
        if magic != _MAGIC or version != _VERSION:
            raise UnsupportedModel(f"{self.path}: not a fastText model of version {_VERSION}")
        a = r.take("iiiiiiiiiiiid")
        self.h = _Header(dim=a[0], word_ngrams=a[5], loss=a[6], model=a[7], bucket=a[8], minn=a[9], maxn=a[10])
        if self.h.model != _MODEL_SUP or self.h.loss != _LOSS_HS or self.h.word_ngrams != 1:
            raise UnsupportedModel(f"{self.path}: only supervised hierarchical-softmax models with wordNgrams 1 "
                                   "are computed here")
        label_counts = self._read_dictionary(r)
        quant_input, = r.take("?")
        self.rows = _matrix(r, quant_input)
        # what a word's cache entry sums over its rows: the row, its L1 norm, 1 (float32)
        self._row_terms = np.concatenate([self.rows, np.abs(self.rows).sum(axis=1, keepdims=True),
                                          np.ones((len(self.rows), 1), np.float32)], axis=1)
        qout, = r.take("?")
        self.out_rows = _matrix(r, quant_input and qout).astype(np.float64)
        self._build_tree(label_counts)
        self._abs_out = np.abs(self.out_rows[:len(self.labels) - 1])
        self._max_abs_out = self._abs_out.max(axis=1)
        self._slots: dict[bytes, int] = {}
        # per cached word, float32: the sum of its rows, the sum of their L1 norms, the number of rows
        self._words = np.zeros((1024, self.h.dim + 2), dtype=np.float32)
        self._library = None
        self.decided_by_library = 0  # texts so far that the library decided (near ties, unencodable text)

    def _read_dictionary(self, r: _Reader) -> list[int]:
        """Dictionary::load: the words (ids 0..nwords-1), the labels after them, and the pruned n-gram buckets
        (bucket -> row; -1: pruned away; an unpruned model, prune_size -1, has a row for every bucket). Returns
        the label counts (for the tree)."""
        size, self.nwords, _nlabels, _ntokens, prune_size = r.take("iiiqq")
        words, counts = [], []
        for _ in range(size):
            words.append(r.cstring())
            count, _kind = r.take("qb")  # words come before labels, so the kind follows from the position
            counts.append(count)
        self.word_ids = {w: i for i, w in enumerate(words[:self.nwords])}
        self.labels = [w.decode("utf-8") for w in words[self.nwords:]]
        pairs = r.array("<i4", 2 * prune_size).reshape(-1, 2) if prune_size > 0 else np.zeros((0, 2), np.int32)
        if prune_size < 0:
            self.bucket_rows = np.arange(self.nwords, self.nwords + self.h.bucket, dtype=np.int32)
        else:
            self.bucket_rows = np.full(self.h.bucket, -1, dtype=np.int32)
            self.bucket_rows[pairs[:, 0]] = self.nwords + pairs[:, 1]
        return counts[self.nwords:]

    # ------------------------------------------------------------------------------------------- the tree
    def _build_tree(self, label_counts: list[int]) -> None:
        """HierarchicalSoftmaxLoss::buildTree; then each label's path as a 0/1 row over the internal nodes'
        branches."""
        osz = len(label_counts)
        count = [*label_counts, *([10 ** 15] * (osz - 1))]
        parent, right = [-1] * (2 * osz - 1), [False] * (2 * osz - 1)
        leaf, node = osz - 1, osz
        for i in range(osz, 2 * osz - 1):
            pick = []
            for _ in range(2):
                if leaf >= 0 and count[leaf] < count[node]:
                    pick.append(leaf)
                    leaf -= 1
                else:
                    pick.append(node)
                    node += 1
            count[i] = count[pick[0]] + count[pick[1]]
            parent[pick[0]] = parent[pick[1]] = i
            right[pick[1]] = True
        # labels x (left branches of the internal nodes, then right branches): 1 where the label's path goes
        self.paths = np.zeros((osz, 2 * (osz - 1)))
        depth = np.zeros(osz)
        for label in range(osz):
            at = label
            while parent[at] != -1:
                self.paths[label, parent[at] - osz + (osz - 1 if right[at] else 0)] = 1.0
                depth[label] += 1
                at = parent[at]
        self.depth = depth
        self.max_depth = int(depth.max()) if osz > 1 else 0

    # ------------------------------------------------------------------------------------------- words
    def _tokens(self, text: str) -> list[bytes] | None:
        """fastText's tokens of one line (the `</s>` that ends it excluded; cut after a `</s>` inside it); None
        when the text cannot be UTF-8 encoded (the library decides)."""
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return None
        words = data.replace(b"\0", b" ").split()  # bytes.split(): b" \t\n\r\x0b\x0c", as fastText's readWord
        if _EOS in data and _EOS in words:
            words = words[:words.index(_EOS)]
        return words

    def _add_words(self, new: list[bytes]) -> None:
        """Cache the row sums of words not cached yet."""
        start = len(self._slots)
        if start + len(new) > len(self._words):
            grown = np.zeros((max(2 * len(self._words), start + len(new)), self._words.shape[1]), np.float32)
            grown[:start] = self._words[:start]
            self._words = grown
        for first in range(0, len(new), _NEW_WORDS_CHUNK):  # bounded memory: ~33 floats per character
            chunk = new[first:first + _NEW_WORDS_CHUNK]
            self._words[start + first:start + first + len(chunk)] = self._word_terms(chunk)
        self._slots.update(zip(new, range(start, start + len(new))))

    def _word_slots(self, flat: list[bytes]) -> np.ndarray:
        """The cache slot of each word, adding the words not cached yet."""
        slots = np.fromiter(map(self._slots.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        missing = np.flatnonzero(slots < 0)
        if len(missing):
            words = [flat[i] for i in missing.tolist()]
            new = list(dict.fromkeys(words))
            if len(self._slots) + len(new) > _CACHE_MAX_WORDS:  # full: start again with this batch's words
                self._slots.clear()
                missing, words = np.arange(len(flat)), flat
                new = list(dict.fromkeys(flat))
            self._add_words(new)
            slots[missing] = np.fromiter(map(self._slots.__getitem__, words), dtype=np.int64, count=len(missing))
        return slots

    def _word_terms(self, words: list[bytes]) -> np.ndarray:
        """Per word, the sum of `_row_terms` over its rows: its own row when it is in the vocabulary, then the
        rows of the character n-grams of "<word>" (Dictionary::computeSubwords and pushHash), vectorised over
        all characters of all words: the n-grams that start at a character are hashed together, each one the
        previous one continued by a character."""
        sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
        joined = b"<" + b"><".join(words) + b">"
        buf = np.frombuffer(joined, dtype=np.uint8)
        signed = buf.astype(np.uint32)
        signed[buf >= 0x80] |= np.uint32(0xFFFFFF00)  # fastText hashes bytes as int8, sign-extended
        pos = np.flatnonzero((buf & 0xC0) != 0x80)  # where each UTF-8 character starts
        width = np.diff(np.append(pos, len(buf)))  # its bytes
        word_of = np.repeat(np.arange(len(words)), sizes)[pos]
        chars = np.bincount(word_of, minlength=len(words))
        k_in_word = np.arange(len(pos)) - (np.cumsum(chars) - chars)[word_of]
        left = chars[word_of] - k_in_word  # characters from this one to the word's end, itself included
        subwords = np.ones(len(words), dtype=bool)
        if b"<" + _LABEL in joined:  # label tokens add no rows
            subwords = np.fromiter((not w.startswith(_LABEL) for w in words), dtype=bool, count=len(words))
        vocab = np.fromiter(map(self.word_ids.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        out = np.zeros((len(words), self._row_terms.shape[1]), dtype=np.float32)
        own = vocab >= 0
        out[own] = self._row_terms[vocab[own]]
        hashes = np.full(len(pos), 2166136261, dtype=np.uint32)
        for n in range(1, self.h.maxn + 1):
            k = np.flatnonzero(left >= n)  # characters that start an n-gram: extend it by character k + n - 1
            last = k + n - 1
            for b in range(int(width[last].max(initial=0))):
                at = k if b == 0 else k[width[last] > b]
                hashes[at] = (hashes[at] ^ signed[pos[at + n - 1] + b]) * np.uint32(16777619)
            if n < self.h.minn:
                continue
            if n == 1:  # not "<" nor ">" alone
                k = k[(k_in_word[k] != 0) & (left[k] != 1)]
            rows = self.bucket_rows[hashes[k] % np.uint32(self.h.bucket)]
            kept = (rows >= 0) & subwords[word_of[k]]
            owners = word_of[k[kept]]  # in increasing order: k is
            bounds = np.concatenate([[0], np.cumsum(np.bincount(owners, minlength=len(words)))])
            out += _segment_sums(self._row_terms[rows[kept]], bounds)
        return out

    # ------------------------------------------------------------------------------------------- predict
    def predict_many(self, texts: list[str]) -> list[str | None]:
        """The top label of each text, as the library's `predict(text, k=1)` gives it (None where it gives none).
        One line per text: a newline inside one is an error, as in the library."""
        tokens, sums, l1_sums, counts = self._text_sums(texts)
        out = self._decide(sums, l1_sums, counts)
        undecided = [i for i, (label, words) in enumerate(zip(out, tokens)) if label is None or words is None]
        if undecided:
            library = self._library_model()
            self.decided_by_library += len(undecided)
            for i in undecided:
                labels, _ = library.predict(texts[i], k=1)
                out[i] = labels[0] if labels else None
        return out

    def label_scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(scores, bounds), texts x labels (in `self.labels` order): every label's log-probability as computed
        here, and how far the library's float32 value of it can be. For tests and the benchmark."""
        _, sums, l1_sums, counts = self._text_sums(texts)
        with _one_blas_thread():
            return self._nodes(sums, l1_sums, counts).label_bounds(np.arange(len(texts)), self.paths, self.depth)

    def _text_sums(self, texts: list[str]) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
        """Per text: its tokens (None: not UTF-8 encodable), the sum of its rows and of their L1 norms, and the
        number of rows, end-of-line token included."""
        if any("\n" in t for t in texts):
            raise ValueError("predict processes one line at a time (remove '\\n')")
        tokens = [self._tokens(t) for t in texts]
        flat: list[bytes] = []
        bounds = np.zeros(len(texts) + 1, dtype=np.int64)
        for i, words in enumerate(tokens):
            flat += words or ()
            bounds[i + 1] = len(flat)
        dim = self.h.dim
        slots = self._word_slots(flat)  # first: adding words may grow the table
        per_text = _segment_sums(self._words[slots], bounds).astype(np.float64)
        sums, l1_sums, counts = per_text[:, :dim], per_text[:, dim], per_text[:, dim + 1]
        eos = self.word_ids.get(_EOS, -1)
        if eos >= 0:  # the end-of-line token: its own row
            sums += self.rows[eos]
            l1_sums += float(np.abs(self.rows[eos].astype(np.float64)).sum())
            counts += 1
        return tokens, sums, l1_sums, counts

    def _decide(self, sums: np.ndarray, l1_sums: np.ndarray, counts: np.ndarray) -> list[str | None]:
        """The top label per text, or None where float32 rounding in the library could pick another one."""
        with _one_blas_thread():  # small products: BLAS threads would only spin
            return self._decide_in_thread(sums, l1_sums, counts)

    def _nodes(self, sums: np.ndarray, l1_sums: np.ndarray, counts: np.ndarray) -> _Nodes:
        n = np.maximum(counts, 1)
        return _Nodes(sums / n[:, None], l1_sums / n, counts, self.out_rows[:len(self.labels) - 1], self._abs_out,
                      self._max_abs_out)

    def _decide_in_thread(self, sums: np.ndarray, l1_sums: np.ndarray, counts: np.ndarray) -> list[str | None]:
        nodes = self._nodes(sums, l1_sums, counts)
        scores = nodes.values @ self.paths.T
        best = np.argmax(scores, axis=1)
        top = scores[np.arange(len(scores)), best]
        scores[np.arange(len(scores)), best] = -np.inf
        margin = top - scores.max(axis=1)
        slack = 1.1e-5 * (self.max_depth + 1) + _TIE_SLACK  # the library's tree search misses at most this
        # every label's bound is at most the sum over all nodes: enough for nearly every text
        sure = (counts > 0) & (margin > 2 * nodes.loose_bound(self.max_depth) + slack)
        unsure = np.flatnonzero((counts > 0) & ~sure)
        if len(unsure):  # near a tie: each label's own bound
            scores, bounds = nodes.label_bounds(unsure, self.paths, self.depth)
            b = best[unsure]
            rows = np.arange(len(unsure))
            low = scores[rows, b] - bounds[rows, b]
            rivals = scores + bounds
            rivals[rows, b] = -np.inf
            sure[unsure] = low - rivals.max(axis=1) > slack
        out: list[str | None] = [None] * len(counts)
        for i in np.flatnonzero(sure):
            out[i] = self.labels[best[i]]
        return out

    def _library_model(self):
        if self._library is None:
            import fasttext

            self._library = fasttext.load_model(str(self.path))
        return self._library


def _segment_sums(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sums of values[bounds[i]:bounds[i + 1]] along axis 0 (zero for empty segments)."""
    out = np.zeros((len(bounds) - 1, *values.shape[1:]), dtype=values.dtype)
    filled = bounds[1:] > bounds[:-1]
    if filled.any():  # consecutive non-empty segments tile `values`: reduceat from each one's start
        out[filled] = np.add.reduceat(values, bounds[:-1][filled], axis=0)
    return out


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _one_blas_thread():
    return _blas_controller().limit(limits=1, user_api="blas")


class _Nodes:
    """The tree's internal nodes for a batch of hidden vectors: the values log(1 - f + 1e-5) (left child) and
    log(f + 1e-5) (right child) side by side (texts x 2 nodes), f = sigmoid(node row . hidden), and bounds on
    how far the library's float32 computation of them can be (module docstring):

    - hidden: a float32 sum of n rows in sequence is off by at most gamma(n) * sum|row| per component
      (gamma(n) = n u / (1 - n u)), then the mean's two roundings 3u|h|. Our own sum (float32 sums per word,
      added in float32) has the same bound, so the bound is taken twice (and 1% more for the float32 sums it
      is computed from). Only the rows' L1 norms are summed (a third of the memory traffic of per-component
      sums): sum_j |w_j| sum|row_j| <= max_j |w_j| * sum of L1 norms;
    - a node's score (float32 dot of `dim` terms): sum |w| * that + gamma(dim) * sum |w| (|h| + that);
    - a value log(g + 1e-5), g = 1 - f or f: the score's error (the derivative is at most 1), plus exp's and the
      float casts' rounding of f (4u f / (g + 1e-5), u) and of the value itself (2u |value|);
    - a label's score, the float32 sum of the values on its path: u * depth * sum |values| more."""

    def __init__(self, hidden: np.ndarray, l1_mean: np.ndarray, counts: np.ndarray, out_rows: np.ndarray,
                 abs_out: np.ndarray, max_abs_out: np.ndarray):
        n = counts[:, None].astype(np.float64)
        sum_error = 2.02 * (n * _U / np.maximum(1 - n * _U, 0.5)) * l1_mean[:, None]  # per component, at most
        s = hidden @ out_rows.T
        size = np.abs(hidden) @ abs_out.T
        d_dot = sum_error * max_abs_out[None, :] + 3 * _U * size  # from the error in hidden
        d_s = d_dot + hidden.shape[1] * _U * 1.01 * (size + d_dot)
        f = 1.0 / (1.0 + np.exp(-s))
        self.values = np.concatenate([np.log(1.0 - f + 1e-5), np.log(f + 1e-5)], axis=1)
        err = np.concatenate([4 * _U * f / (1.0 - f + 1e-5), 4 * _U * f / (f + 1e-5)], axis=1)
        self.errors = err + (d_s + _U)[:, np.r_[0:s.shape[1], 0:s.shape[1]]] + 2 * _U * np.abs(self.values)

    def loose_bound(self, max_depth: int) -> np.ndarray:
        """Per text, a bound for every label at once: all nodes, each with its larger branch."""
        k = self.values.shape[1] // 2
        worst = np.maximum(self.errors[:, :k], self.errors[:, k:]).sum(axis=1)
        size = np.maximum(np.abs(self.values[:, :k]), np.abs(self.values[:, k:])).sum(axis=1)
        return worst + _U * max_depth * size

    def label_bounds(self, texts: np.ndarray, paths: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray,
                                                                                                np.ndarray]:
        """(scores, bounds), texts x labels, for the given texts."""
        values, errors = self.values[texts], self.errors[texts]
        return values @ paths.T, errors @ paths.T + _U * depth[None, :] * (np.abs(values) @ paths.T)
