"""The Arrow path of the keyword filter (normalise.arrow_normalise + buffer_counts) equals the definition."""

from __future__ import annotations

import random
import sys

import pyarrow as pa
import pytest

from data_collection.filtering.matcher import KeywordMatcher
from data_collection.filtering.normalise import arrow_normalise, normalise

TRICKY = ["\u00a0", "№", "²", "…", "ß", "İ", "ς", "Σ", "ﬁ", "Ａ", "：", "\u3000", "\u0301", "\u0308", "e", "\u1100",
          "\u1161", "\u11a8", "가", "Ꭰ", "ꭰ", "µ", "ǅ", "ſ", "㎏", "½", "\ufb01", "\u0b47", "\u0b3e", "\u0cd5", "😀",
          "\U000e0041", "\U000f0000", "\U00031350", "\u2126", "K", "\u212a", "ǰ", "\u0345", "Ω", "ᾳ", "ﾊﾟ", "ﾟ"]


def arrow_results(texts: list[str]) -> dict[int, str]:
    """row -> normalised text, for the rows arrow_normalise covers."""
    out = {}
    for rows, normalised in arrow_normalise(pa.array(texts)):
        out.update(zip(rows.tolist(), normalised.to_pylist()))
    return out


def test_every_code_point_alone_and_in_context():
    """Each code point alone, between letters, doubled, before a combining mark and after a letter it could
    compose with: wherever the Arrow path answers, it answers normalise()."""
    points = [chr(c) for c in range(0x40000) if not 0xD800 <= c < 0xE000] + ["\U000e0001", "\U0010fffd"]
    for wrap, covered in ((lambda c: c, 0.5), (lambda c: "a" + c + "b", 0.5), (lambda c: c + c, 0.5),
                          (lambda c: c + "\u0301", 0.0), (lambda c: "e" + c, 0.5), (lambda c: "\u1100" + c, 0.5)):
        texts = [wrap(c) for c in points]
        got = arrow_results(texts)
        wrong = [(texts[i], v) for i, v in got.items() if v != normalise(texts[i])]
        assert not wrong, wrong[:5]
        assert len(got) >= covered * len(texts)  # most characters are covered (a combining mark: Python)


@pytest.mark.parametrize("seed", range(4))
def test_random_texts_of_tricky_characters(seed):
    rng = random.Random(seed)
    alphabet = TRICKY + list("abcXYZ ,.-\n") + ["врач", "Straße", "日本", "がん"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    got = arrow_results(texts)
    assert all(v == normalise(texts[i]) for i, v in got.items())
    assert len(got) > 100  # many texts hold a character only Python normalises


def test_mappable_characters_are_replaced_and_hard_ones_left_to_python():
    texts = ["Пациент №5 весит 70\u00a0кг", "m² … STRASSE ß", "plain text", "e\u0301", "A\u0301", "", None]
    got = arrow_results(texts)
    assert got[0] == normalise(texts[0]) == "пациент no5 весит 70 кг"
    assert got[1] == "m2 ... strasse ss" and got[2] == "plain text" and got[5] == ""
    assert 3 not in got and 4 not in got and 6 not in got  # combining marks: Python; null: nobody


def test_many_distinct_mappable_characters_go_to_python(monkeypatch):
    from data_collection.filtering import normalise as mod

    monkeypatch.setattr(mod, "_MAX_MAPPED_CHARS", 2)
    texts = ["№ ² … ½ ﬁ", "№ only"]
    got = arrow_results(texts)
    assert 0 not in got and 1 not in got  # the batch's mappable rows, together


SPACE_KEYWORDS = ["ear", "heart", "blood", "blood pressure", "aa", "aaa", "a a", "covid-19", "straße", "no5", "кг",
                  "рак", "врач", "1", "ab ab", "..."]


@pytest.mark.parametrize("seed", range(3))
def test_score_many_with_the_column_equals_without(seed):
    rng = random.Random(seed)
    words = SPACE_KEYWORDS + ["the", "heartbeat", "earring", "BLOOD", "Blood", "a", "b", "_", "ß", "SS", "№5",
                              "драка", "ВРАЧ", "aaaa", "x-ray", "\u00a0", "…", "é", "e\u0301", "İ"]
    seps = [" ", "", "-", ",", "\n", "\u00a0", "1", "é"]
    texts = []
    for _ in range(1500):
        parts = [rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(0, 12))]
        texts.append("".join(parts))
    matcher = KeywordMatcher(SPACE_KEYWORDS, space_delimited=True)
    assert matcher.score_many(texts, pa.array(texts)) == matcher.score_many(texts)
    assert matcher.score_many(texts, pa.array(texts, pa.large_string())) == [matcher.score(t) for t in texts]


def test_occurrences_never_span_two_texts():
    matcher = KeywordMatcher(["blood", "heart"], space_delimited=True)
    texts = ["my blo", "od heart", "blood", "", "heart"]
    scores = matcher.score_many(texts, pa.array(texts))
    assert scores == [matcher.score(t) for t in texts]
    assert [s.mkc for s in scores] == [0, 1, 1, 0, 1]


def test_python_version_of_unicode_is_the_one_checked():
    import unicodedata

    assert unicodedata.unidata_version  # the classes are built from this Python's tables at run time
    assert sys.maxunicode == 0x10FFFF
