"""The zh/ja raw-text path of the keyword filter (data_collection/filtering/raw_scores.py) equals the definition."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from data_collection.filtering.keyword_lists import keyword_list
from data_collection.filtering.matcher import KeywordMatcher, Score
from data_collection.filtering.raw_scores import raw_scorer

# keywords whose characters have other forms: Latin letters (upper case, full width, "ⅱ" -> "ii"), a kana that
# composes ("か" + U+3099, half-width "ｶﾞ"), an ideograph with a compatibility twin (U+F900 -> "豈"), and "..."
# (what "…" becomes)
KEYWORDS = ["dna", "hiv", "がん", "ガン", "豈", "...", "ii", "心脏病", "糖尿病", "癌"]
TRICKY = ["Ｄ", "D", "ｄ", "Ⅱ", "ⅱ", "…", "か", "\u3099", "ｶ", "ﾞ", "\uf900", "㎎", "，", "：", "\u3000", "Ａ",
          "\u0301", "e", "ß", "İ", "\U000e0041", "\U00031350", "😀", "\U000f0000", "\u2f3c", "心", "。"]


def raw_results(matcher: KeywordMatcher, texts: list[str]) -> dict[int, Score]:
    """row -> score, for the rows the raw-text path covers."""
    out = {}
    piece = raw_scorer(tuple(matcher.keywords)).score_column(pa.array(texts), matcher._keyword_chars)
    for i, m, c, n in zip(piece.rows.tolist(), piece.mkc.tolist(), piece.matched.tolist(), piece.n_chars.tolist()):
        out[i] = Score(m, c / n if n else 0.0, n)
    return out


def check(matcher: KeywordMatcher, texts: list[str], covered: float) -> dict[int, Score]:
    got = raw_results(matcher, texts)
    wrong = [(texts[i], s, matcher.score(texts[i])) for i, s in got.items() if s != matcher.score(texts[i])]
    assert not wrong, wrong[:5]
    assert len(got) >= covered * len(texts), (len(got), len(texts))
    return got


def test_every_code_point_alone_and_next_to_keywords():
    """Each code point alone, doubled, inside keywords, after a kana it could compose with and before a
    combining mark: wherever the raw path answers, it answers the definition's score."""
    matcher = KeywordMatcher(KEYWORDS, space_delimited=False)
    points = [chr(c) for c in range(0x40000) if not 0xD800 <= c < 0xE000] + ["\U000e0001", "\U0010fffd"]
    for wrap, covered in ((lambda c: c, 0.5), (lambda c: c + c, 0.5), (lambda c: "糖尿" + c + "病dn" + c + "a", 0.5),
                          (lambda c: "か" + c + "ん", 0.5), (lambda c: "i" + c + "i", 0.5),
                          (lambda c: c + "\u0301", 0.0)):
        check(matcher, [wrap(c) for c in points], covered)


@pytest.mark.parametrize("seed", range(4))
def test_random_texts_of_tricky_characters(seed):
    rng = random.Random(seed)
    alphabet = TRICKY + KEYWORDS + ["DNA", "ＨＩＶ", "ｶﾞﾝ", "が", "ん", "ガ", "ン", "i", "a", "\n", " "]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    check(KeywordMatcher(KEYWORDS, space_delimited=False), texts, 0.02)


@pytest.mark.parametrize("lang", ["zh", "ja"])
def test_real_lists_on_web_style_text(lang):
    """Texts built from the real list's keywords with full-width punctuation, ellipses, Latin words in both
    cases and compatibility forms: the raw or lowered tier covers the plain ones, and all agree."""
    keywords = list(keyword_list(lang).words)
    matcher = KeywordMatcher(keywords, space_delimited=False)
    rng = random.Random(lang)
    fillers = ["，", "。", "：", "（", "）", "……", "、", "的", "是", "患者", "DNA", "Hiv", "ＣＴ", "２０２３", "㎎", "\u3000",
               "\n", " "]
    rare = ["Ⅱ", "ｶﾞ", "e\u0301", "\uf900"]  # each sends its text to the normalising path for one list or both

    def token() -> str:
        draw = rng.random()
        return rng.choice(keywords) if draw < 0.3 else rng.choice(rare) if draw < 0.302 else rng.choice(fillers)

    texts = ["".join(token() for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    check(matcher, texts, 0.6)


def test_examples():
    matcher = KeywordMatcher(KEYWORDS, space_delimited=False)
    texts = ["糖尿病，心脏病……", "DNA检查", "ｶﾞﾝ", "か\u3099ん", "Ⅱ期", "ＤＮＡ", "", "\uf900"]
    got = raw_results(matcher, texts)
    assert 0 not in got  # "…" becomes "...", a keyword of this list
    zh = KeywordMatcher(["糖尿病", "心脏病", "癌"], space_delimited=False)
    assert raw_results(zh, texts[:1])[0] == zh.score(texts[0]) == Score(2, 6 / 13, 13)  # "……": 6 characters
    assert got[1] == matcher.score(texts[1]) and got[1].mkc == 1  # "DNA" is a spelling of "dna"
    assert 2 not in got and 3 not in got  # half-width and combining sound marks compose: the normalising path
    assert 4 not in got  # "Ⅱ" becomes "ii", a keyword, which the raw text does not show
    assert got[5] == matcher.score(texts[5]) and got[5].mkc == 1  # so is full-width "ＤＮＡ"
    assert got[6] == Score(0, 0.0, 0)
    assert got[7] == matcher.score(texts[7]) and got[7].mkc == 1  # U+F900 normalises to the keyword "豈"
    column = pa.array(texts)
    assert matcher.score_many(texts, column) == [matcher.score(t) for t in texts]


def test_large_string_columns_and_slices():
    matcher = KeywordMatcher(KEYWORDS, space_delimited=False)
    texts = ["糖尿病，心脏病……" * (i % 3) + "ＤＮＡ" * (i % 2) for i in range(50)]
    column = pa.array(texts, pa.large_string()).slice(5, 30)
    assert matcher.score_many(texts[5:35], column) == [matcher.score(t) for t in texts[5:35]]


def test_spellings_past_the_budget_leave_their_texts_to_the_normalising_path():
    """A long Latin keyword has more case spellings than the budget: its upper-case letters then need care, and
    the answers stay the definition's."""
    keywords = ["pneumonoultramicroscopic", "癌", "dna"]
    matcher = KeywordMatcher(keywords, space_delimited=False)
    texts = ["癌 pneumonoultramicroscopic", "癌 PNEUMONOultramicroscopic", "Pneumonoultramicroscopic", "癌，dna",
             "ＤＮＡ癌"]
    got = check(matcher, texts, 0.4)
    assert 0 in got and 3 in got and got[0].mkc == 2
    rng = random.Random(0)
    pieces = keywords + ["P", "N", "Ｐ", "ｐ", "，", "e", "x"]
    check(matcher, ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(2000)], 0.1)
