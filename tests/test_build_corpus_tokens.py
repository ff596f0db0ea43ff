"""build_corpus shortcuts give exactly what the plain computation gives: token counts by cached chunks equal the
tokenizer's own counts, and text cleaning and word units take their fast paths without changing a character."""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tokenizers import Tokenizer

from common.token_count import KNOWN_SPLITS, TokenCounter, chunkable
from data_collection.corpus import clean
from data_collection.corpus.dedup import units

ODD = ["", " ", "  ", "a  b", " a", "a ", "a \nb", "a\n b", "x\u3000 y", "x \u00a0y", "tab\t x", "a\x1c b",
       "é\u2028 ü", "it's  ok 's 123 4567 8", "<|begin_of_text|> hi <|begin_of_text|>", "new\r\nline  \n\n\n end ",
       "中文 文本 和 English 混合", "日本語の文章です。 次の文", "Привет, мир!  Как дела?", "a\u200bb c", "x\n\n\ny"]


def _texts(samples_dir: Path) -> list[str]:
    texts = list(ODD)
    for path in sorted((samples_dir / "culturax").glob("*/*.parquet")):
        texts += pq.read_table(path, columns=["text"]).column("text").to_pylist()
    for path in sorted((samples_dir / "mmedbench" / "Test").glob("*.jsonl")):
        texts += [json.loads(x)["question"] for x in path.read_text(encoding="utf-8").splitlines()]
    return texts


def _variant(tiny_model_dir: Path, out: Path, **changes) -> Path:
    spec = json.loads((tiny_model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    spec.update(changes)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    return out


def _library_counts(tok_dir: Path, texts: list[str]) -> list[int]:
    tok = Tokenizer.from_file(str(tok_dir / "tokenizer.json"))
    return [len(tok.encode(t, add_special_tokens=False).ids) for t in texts]


def test_chunked_counts_equal_the_tokenizer_on_every_sample(samples_dir, tiny_model_dir, tmp_path):
    llama3 = _variant(tiny_model_dir, tmp_path / "llama3-style", pre_tokenizer={
        "type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": sorted(KNOWN_SPLITS)[0]}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]})
    texts = _texts(samples_dir)
    for tok_dir in (tiny_model_dir, llama3):
        counter = TokenCounter(str(tok_dir))
        assert counter._first is not None, tok_dir  # the cached path is the one under test
        want = _library_counts(tok_dir, texts)
        assert counter.count(texts) == want
        assert counter.count(texts[::-1]) == want[::-1]  # and again from a warm cache


def test_other_tokenizers_are_counted_whole(samples_dir, tiny_model_dir, tmp_path):
    spec = json.loads((tiny_model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    assert chunkable(spec)
    prefixed = _variant(tiny_model_dir, tmp_path / "prefix", pre_tokenizer={
        "type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True})
    normalised = _variant(tiny_model_dir, tmp_path / "nfkc", normalizer={"type": "NFKC"})
    texts = _texts(samples_dir)[:80]
    for tok_dir in (prefixed, normalised):
        counter = TokenCounter(str(tok_dir))
        assert counter._first is None
        assert counter.count(texts) == _library_counts(tok_dir, texts)


def _random_texts(n: int, seed: int) -> list[str]:
    alphabet = list("ab é,.\n\n\t\r\u00a0\u3000\u200b\x07\ufeffe\u0301中") + ["  ", "\n\n\n", " \n"]
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def test_normalise_fast_path_changes_nothing(samples_dir):
    # the fast path relies on this: the only printable whitespace character is the ASCII space
    assert [c for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c).isprintable()] == [32]
    texts = _random_texts(20000, 1) + _texts(samples_dir)
    shortcut = 0
    for text in texts:
        assert clean.normalise_text(text) == clean._normalise(text), repr(text)
        shortcut += clean._is_normal(text)
    assert 0 < shortcut < len(texts)  # both paths were exercised


@pytest.mark.parametrize("seed", [0, 1])
def test_ascii_words_equal_the_regex(seed):
    rng = random.Random(seed)
    ascii_chars = [chr(c) for c in range(128)]
    word = re.compile(r"[^\W_]+")
    for _ in range(5000):
        text = "".join(rng.choice(ascii_chars) for _ in range(rng.randint(0, 30)))
        assert units(text, True) == word.findall(unicodedata.normalize("NFKC", text).casefold())


@pytest.mark.parametrize("seed,rate", [(0, 0.3), (1, 0.3), (2, 0.004), (3, 0.004)])
def test_mixed_script_words_equal_the_regex(seed, rate, samples_dir):
    """Text with non-ASCII characters: with many (the regex over the whole text) or few (cut on the UTF-8 bytes,
    only the pieces around them through the regex), the same words as the regex, including case folding that
    changes length (ß, İ), NFKC (ﬁ, no-break space), non-ASCII punctuation and lone surrogates."""
    rng = random.Random(seed)
    pool = ([chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c < 0xE000]
            + list(" .,-_'\n\tﬁßİΣ\u00a0\u2028\u00b0\u2019\u0301") + ["\ud800"])
    texts = _texts(samples_dir)
    for _ in range(3000):
        length = rng.randint(0, 40) if rate > 0.1 else rng.randint(0, 1200)
        texts.append("".join(rng.choice(pool) if rng.random() < rate else rng.choice("abc XYZ 123.,\n")
                             for _ in range(length)))
    word = re.compile(r"[^\W_]+")
    assert sum(not t.isascii() for t in texts) > 2000
    for text in texts:
        assert units(text, True) == word.findall(unicodedata.normalize("NFKC", text).casefold()), repr(text)


def test_exact_keys_of_ascii_text_equal_the_definition(samples_dir):
    """ASCII text takes a bytes path (lower-case, drop whitespace including \\x1c-\\x1f); the key is still sha1
    of the NFKC casefolded text without whitespace."""
    import hashlib

    from data_collection.corpus.dedup import dedup_key

    rng = random.Random(0)
    ascii_chars = [chr(c) for c in range(128)]
    texts = _texts(samples_dir) + ["".join(rng.choice(ascii_chars) for _ in range(rng.randint(0, 30)))
                                   for _ in range(5000)]
    assert sum(t.isascii() for t in texts) > 5000
    for text in texts:
        norm = "".join(unicodedata.normalize("NFKC", text).casefold().split())
        assert dedup_key(text) == hashlib.sha1(norm.encode("utf-8", "surrogatepass")).digest(), repr(text)


def test_gram_hashes_are_the_polynomial_of_each_window():
    import numpy as np

    from data_collection.corpus.dedup import _Q, _mix, gram_hashes

    rng = np.random.default_rng(0)
    mask, q = (1 << 64) - 1, int(_Q)
    for length, n in ((1, 5), (4, 5), (5, 5), (40, 5), (300, 13), (2000, 50)):
        h = rng.integers(0, 2**63, length, dtype=np.uint64)
        m = min(n, length)
        plain = [sum(int(h[i + j]) * pow(q, j, 1 << 64) for j in range(m)) & mask for i in range(length - m + 1)]
        assert gram_hashes(h, n, whole_if_short=True).tolist() == _mix(np.array(plain, dtype=np.uint64)).tolist()
        assert len(gram_hashes(h, n)) == (length - n + 1 if length >= n else 0)
