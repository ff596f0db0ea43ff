"""Exact token counts of corpus documents with a local HF tokenizer dir, for the corpus statistics.

A `tokenizer.json` is run by the `tokenizers` library (no special tokens); other dirs load through AutoTokenizer
(trust_remote_code off). Nothing is downloaded.

Byte-level BPE tokenizers (GPT-2 style, Llama 3, Qwen2: no normalizer, a pre-tokenizer from KNOWN_SPLITS) are
counted chunk by chunk with a cache, because documents repeat their words: the text is cut at every space that
has a non-space character on both sides, and each chunk (" word," with its leading space) is encoded by the
library once. The count is the library's, exactly: none of these pre-tokenizer patterns lets a pre-token hold a
space after a non-space character (a space only opens a pre-token, or sits in an all-whitespace one), so such a
space always starts a pre-token, and the pre-tokens from there on do not depend on the text before it. Python's
`str.isspace` is a superset of the Unicode White_Space class the library's regex uses, so a character we call
non-space is non-space for the library too. Texts where this does not hold (spaces next to whitespace or at an
end) or that contain an added token are encoded whole. tests/test_build_corpus_tokens.py compares both ways.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

# Split patterns of byte-level BPE tokenizers for which the cut at " X" is exact (see the module docstring)
KNOWN_SPLITS = {
    # Llama 3, tiktoken cl100k
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    # Qwen2
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}
_LONELY_SPACE = re.compile(r"(?<!\S) | (?!\S)")  # a space at an end or next to whitespace: no exact cut there
_CACHE_MAX_ENTRIES = 200_000  # about 25 MB; cleared when full (web text keeps re-filling it with common words)
_CACHE_MAX_CHARS = 48  # longer chunks (zh/ja lines, URLs) are rarely seen twice


def check_tokenizer_dir(tokenizer_dir: str) -> Path:
    """The tokenizer dir, or a one-line error naming it (checked before any stage runs)."""
    path = Path(tokenizer_dir)
    if not path.is_dir():
        raise FileNotFoundError(
            f"tokenizer dir not found: {path} (build the tiny one with `python -m common.tiny_model --output "
            f"artifacts/tiny-llama`, or set --tokenizer to a local HF tokenizer dir such as Llama 3's)")
    return path


# the files of a HF tokenizer dir that decide its tokens (a model dir's weights are not read)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                   "tokenizer.model", "vocab.json", "merges.txt", "vocab.txt")


def tokenizer_files(tokenizer_dir: str) -> list[Path]:
    """The files of `tokenizer_dir` that decide its token counts (their content fingerprints the counts)."""
    return [Path(tokenizer_dir) / name for name in TOKENIZER_FILES if (Path(tokenizer_dir) / name).is_file()]


def _space_free_split(step: dict) -> bool:
    """An isolating Split whose pattern never matches whitespace (the tiny model's "#+"): it cuts only between
    non-spaces, so a space still starts the byte-level pre-token it opens."""
    pattern = (step.get("pattern") or {}).get("Regex")
    try:
        return (step.get("type") == "Split" and step.get("behavior") == "Isolated" and not step.get("invert")
                and pattern is not None and not re.search(pattern, " \t\n\u3000"))
    except re.error:
        return False


def chunkable(spec: dict) -> bool:
    """Is a tokenizer.json one whose counts add up over chunks cut at " X" (module docstring)? Byte-level BPE with
    no normalizer, pre-tokenized by ByteLevel's own regex or a KNOWN_SPLITS Split, after any space-free
    isolating Splits."""
    pre, model = spec.get("pre_tokenizer") or {}, spec.get("model") or {}
    if spec.get("normalizer") is not None or model.get("type") != "BPE" or model.get("dropout"):
        return False
    *first, last = pre.get("pretokenizers", []) if pre.get("type") == "Sequence" else [pre]
    if last.get("type") != "ByteLevel" or last.get("add_prefix_space", False):
        return False
    if last.get("use_regex", True):
        return all(_space_free_split(step) for step in first)
    *space_free, split = first or [{}]
    return (split.get("type") == "Split" and split.get("pattern", {}).get("Regex") in KNOWN_SPLITS
            and split.get("behavior") == "Isolated" and not split.get("invert", False)
            and all(_space_free_split(step) for step in space_free))


def _cuts_exact(text: str) -> bool:
    """Has every space of `text` a non-space character on both sides? Checked with substring tests when the only
    whitespace is " " and "\n" (isprintable is false for every other whitespace character), else by a regex."""
    if text.replace("\n", "").isprintable():
        return not (text.startswith(" ") or text.endswith(" ") or "  " in text or " \n" in text or "\n " in text)
    return _LONELY_SPACE.search(text) is None


class _ChunkCounts(dict):
    """chunk -> token count, filled by the library on a miss; `prefix` is prepended before encoding."""

    def __init__(self, encode, prefix: str):
        super().__init__()
        self.encode, self.prefix = encode, prefix

    def __missing__(self, chunk: str) -> int:
        n = len(self.encode(self.prefix + chunk, add_special_tokens=False).ids)
        if len(chunk) <= _CACHE_MAX_CHARS:
            if len(self) >= _CACHE_MAX_ENTRIES:
                self.clear()
            self[chunk] = n
        return n


class TokenCounter:
    """Token counts with a local HF tokenizer dir (see the module docstring)."""

    def __init__(self, tokenizer_dir: str):
        path = check_tokenizer_dir(tokenizer_dir)
        self.name = str(path)
        self._fast = None
        self.tokenizer = None
        self._first = self._spaced = self._added = None
        if (path / "tokenizer.json").exists():
            from tokenizers import Tokenizer

            self._fast = Tokenizer.from_file(str(path / "tokenizer.json"))
            spec = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))
            if chunkable(spec):
                self._first = _ChunkCounts(self._fast.encode, "")
                self._spaced = _ChunkCounts(self._fast.encode, " ")
                added = [t["content"] for t in spec.get("added_tokens", []) if t.get("content")]
                if added:
                    import ahocorasick_rs

                    self._added = ahocorasick_rs.AhoCorasick(added)
        else:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)

    def count(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        if self._first is not None:
            return [self._chunked(t) for t in texts]
        if self._fast is not None:
            return [len(e.ids) for e in self._fast.encode_batch_fast(texts, add_special_tokens=False)]
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]

    def _chunked(self, text: str) -> int:
        if not _cuts_exact(text) or (self._added is not None and self._added.find_matches_as_indexes(text)):
            return len(self._fast.encode(text, add_special_tokens=False).ids)
        first, *rest = text.split(" ")
        return self._first[first] + sum(map(self._spaced.__getitem__, rest))
