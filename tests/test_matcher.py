"""The fast keyword matcher equals the definition (PAPER.md / data_collection.filtering.matcher docstring) on random texts."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.languages import LANGUAGES
from data_collection.filtering.keyword_lists import keyword_list
from data_collection.filtering.matcher import KeywordMatcher, KeywordRule, keep


# ------------------------------------------------------------------ the definition, written literally
def norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold()


def naive_count(kw: str, text: str, space_delimited: bool) -> int:
    """Scan left to right; an occurrence counts if (space-delimited) its neighbours are not alphanumeric;
    after a counted occurrence, scanning resumes at its end (non-overlapping)."""
    count, i, n, m = 0, 0, len(text), len(kw)
    while i + m <= n:
        hit = text[i:i + m] == kw
        if hit and space_delimited:
            hit = (i == 0 or not text[i - 1].isalnum()) and (i + m == n or not text[i + m].isalnum())
        if hit:
            count += 1
            i += m
        else:
            i += 1
    return count


def regex_count(kw: str, text: str, space_delimited: bool) -> int:
    pattern = re.escape(kw)
    if space_delimited:
        pattern = r"(?<![^\W_])" + pattern + r"(?![^\W_])"
    return sum(1 for _ in re.finditer(pattern, text))


def naive_score(keywords: list[str], text: str, space_delimited: bool) -> tuple[int, float]:
    t = norm(text)
    kws = list(dict.fromkeys(k for k in (norm(k) for k in keywords) if k))
    if not t:
        return 0, 0.0
    counts = {k: naive_count(k, t, space_delimited) for k in kws}
    return sum(1 for c in counts.values() if c > 0), sum(c * len(k) for k, c in counts.items()) / len(t)


# ------------------------------------------------------------------ random texts
SPACE_KEYWORDS = ["ear", "heart", "blood", "blood pressure", "aa", "aaa", "a a", "covid-19", "straße", "œdème",
                  "x-ray", "ﬁbrosis", "İnsulin", "рак", "врач", "السكري", "1", "ab ab"]
CJK_KEYWORDS = ["糖尿病", "尿病", "病", "高血压", "血压", "肝炎", "がん", "ガン", "癌症", "ａｂ", "ab", "aa", "aaa",
                "𠮷", "𠮷野家", "野𠮷", "癌"]  # last ones: outside the BMP (surrogate pairs in UTF-16), one character
FILLER = ["the", "heartbeat", "earring", "BLOOD", "Blood", "bloodpressure", "a", "b", "_", "ß", "SS", "ﬁ", "½",
          "İ", "Ⅻ", "１２", "日本", "病院", "高", "血", "ｶﾞﾝ", "Ａ", "é", "e\u0301", "Рак", "ال", "𠮷", "野", "糖"]
SEPARATORS = [" ", "  ", "\n", ",", ".", "-", "_", "", "·", "\u3000", "(", ")"]


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def variants(words: list[str]) -> st.SearchStrategy[str]:
    base = st.sampled_from(words)
    return st.one_of(
        base, base.map(str.upper), base.map(str.title), base.map(fullwidth),
        st.tuples(st.sampled_from(["x", "1", "é", "_", ""]), base, st.sampled_from(["s", "9", "é", "_", ""]))
        .map(lambda t: "".join(t)),  # keyword inside a longer word (a near-miss)
    )


def texts(words: list[str]) -> st.SearchStrategy[str]:
    piece = st.one_of(variants(words), st.sampled_from(FILLER), st.text(max_size=3))
    return st.lists(st.tuples(piece, st.sampled_from(SEPARATORS)), max_size=25).map(
        lambda parts: "".join(p + s for p, s in parts))


@pytest.mark.parametrize("space_delimited,keywords", [(True, SPACE_KEYWORDS), (False, CJK_KEYWORDS)])
def test_naive_reference_agrees_with_regex(space_delimited, keywords):
    # guards the reference itself: the literal scan and re.finditer with lookarounds are the same definition
    for text in ["heart ear earring ear", "aaaa aa aaa a a a", "blood pressure, BLOOD", "糖尿病病病", "a a a a"]:
        t = norm(text)
        for kw in keywords:
            k = norm(kw)
            assert naive_count(k, t, space_delimited) == regex_count(k, t, space_delimited), (kw, text)


@pytest.mark.parametrize(("keywords", "space_delimited"), [(SPACE_KEYWORDS, True), (CJK_KEYWORDS, False)],
                         ids=["space_delimited", "cjk"])
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_matcher_equals_definition(keywords, space_delimited, data):
    text = data.draw(texts(keywords))
    m = KeywordMatcher(keywords, space_delimited=space_delimited)
    got = m.score(text)
    mkc, dens = naive_score(keywords, text, space_delimited)
    assert (got.mkc, got.dens) == (mkc, pytest.approx(dens, abs=1e-12))
    t = norm(text)
    for k, c in m.counts(text).items():
        assert c == regex_count(k, t, space_delimited)


@pytest.mark.parametrize("lang,name", [(x.code, "paper") for x in LANGUAGES]
                         + [("en", "extended"), ("zh", "extended"), ("ja", "extended")])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_matcher_equals_definition_on_real_keyword_lists(lang, name, data):
    language = next(x for x in LANGUAGES if x.code == lang)
    keywords = list(keyword_list(lang, name).words)
    text = data.draw(texts(keywords))
    got = KeywordMatcher(keywords, language.space_delimited).score(text)
    mkc, dens = naive_score(keywords, text, language.space_delimited)
    assert (got.mkc, got.dens) == (mkc, pytest.approx(dens, abs=1e-12))


def batches(words: list[str]) -> st.SearchStrategy[list[str]]:
    """Batches of texts, with empty texts and keywords split across (or ending / starting) adjacent texts."""
    kw = st.sampled_from(words)
    split = st.tuples(kw, st.integers(0, 3), texts(words), texts(words)).map(
        lambda t: [t[2] + t[0][: t[1]], t[0][t[1]:] + t[3]])
    single = st.one_of(texts(words), st.just(""), kw).map(lambda t: [t])
    return st.lists(st.one_of(single, split), max_size=8).map(lambda parts: [t for part in parts for t in part])


def check_batch(matcher: KeywordMatcher, keywords: list[str], batch: list[str], space_delimited: bool) -> None:
    got = matcher.score_many(batch)
    assert got == [matcher.score(t) for t in batch]
    for text, score in zip(batch, got):
        mkc, dens = naive_score(keywords, text, space_delimited)
        assert (score.mkc, score.dens, score.n_chars) == (mkc, pytest.approx(dens, abs=1e-12), len(norm(text)))


SPACE_MATCHER = KeywordMatcher(SPACE_KEYWORDS, space_delimited=True)
CJK_MATCHER = KeywordMatcher(CJK_KEYWORDS, space_delimited=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(CJK_KEYWORDS))
def test_score_many_equals_definition_cjk(batch):
    check_batch(CJK_MATCHER, CJK_KEYWORDS, batch, False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(SPACE_KEYWORDS))
def test_score_many_equals_definition_space_delimited(batch):
    check_batch(SPACE_MATCHER, SPACE_KEYWORDS, batch, True)


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_score_many_equals_definition_on_real_keyword_lists(lang, data):
    language = next(x for x in LANGUAGES if x.code == lang)
    keywords = list(keyword_list(lang).words)
    check_batch(KeywordMatcher(keywords, language.space_delimited), keywords, data.draw(batches(keywords)),
                language.space_delimited)


def test_score_many_examples():
    zh = KeywordMatcher(["糖尿病", "癌"], space_delimited=False)
    # a keyword split over two texts of a batch counts in neither; one at a text's very start / end counts
    assert [s.mkc for s in zh.score_many(["患有糖", "尿病", "", "癌", "x糖尿病"])] == [0, 0, 0, 1, 1]
    assert zh.score_many([]) == []
    assert zh.score_many(["", "ＡＢ"]) == [zh.score(""), zh.score("ＡＢ")]
    # each text is normalised on its own: a combining mark opening a text does not join the previous text's
    # last letter, and texts that contain NUL themselves are handled too
    batch = ["e", "\u0301癌", "a\0癌", "ß", "\0"]
    assert zh.score_many(batch) == [zh.score(t) for t in batch]
    assert [s.n_chars for s in zh.score_many(batch)] == [1, 2, 3, 2, 1]


def test_examples_a_reader_can_check():
    en = KeywordMatcher(["ear", "blood", "blood pressure", "heart"], space_delimited=True)
    assert en.counts("heartbeat and earring") == {}
    assert en.counts("Blood pressure; BLOOD. heart") == {"blood pressure": 1, "blood": 2, "heart": 1}
    s = en.score("blood pressure")  # blood (5) + blood pressure (14) over 14 chars
    assert s.mkc == 2 and s.dens == pytest.approx(19 / 14)
    zh = KeywordMatcher(["尿病", "糖尿病"], space_delimited=False)
    assert zh.counts("糖尿病患者") == {"尿病": 1, "糖尿病": 1}
    assert zh.score("").mkc == 0 and zh.score("").dens == 0.0
    # full-width and case variants normalise onto the keyword
    assert KeywordMatcher(["covid-19"], True).counts("ＣＯＶＩＤ－１９ cases") == {"covid-19": 1}


PAPER_SOURCE = Path(__file__).resolve().parent.parent / "data_collection" / "keywords" / "paper"


@pytest.mark.parametrize("lang", ["en", "zh", "ja", "fr", "ru", "es"])
def test_paper_lists_are_the_default_and_used_as_the_authors_filter_uses_them(lang):
    kw = keyword_list(lang)  # the default
    assert kw.name == "paper" and kw.describe() == "paper"
    # the authors' load_keywords: both files, lower-cased, de-duplicated
    raw = [w for part in ("medical", "medical_biology")
           for w in (PAPER_SOURCE / f"{lang}.{part}.txt").read_text(encoding="utf-8").splitlines() if w.strip()]
    assert len(raw) >= 199 and set(kw.words) == {w.strip().lower() for w in raw}
    assert len(kw.words) == len(set(kw.words)) and 140 <= len(kw.words) <= 200
    assert (PAPER_SOURCE / "README.md").read_text().count("CC BY-SA 4.0") >= 1


@pytest.mark.parametrize("lang", [x.code for x in LANGUAGES])
def test_extended_lists_have_about_200_entries(lang):
    words = keyword_list(lang, "extended").words
    assert keyword_list(lang, "extended").name == "extended"
    assert 180 <= len(set(norm(w) for w in words)) <= 260, lang


def test_languages_without_a_paper_list_use_extended_and_say_so(tmp_path):
    for lang in ("de", "ar"):
        kw = keyword_list(lang, "paper")
        assert kw.name == "extended" and kw.words == keyword_list(lang, "extended").words
        assert kw.describe() == f"extended (no paper list for {lang})"
    (tmp_path / "en.txt").write_text("# mine\nfever\n\ncough\n", encoding="utf-8")
    mine = keyword_list("en", "paper", tmp_path)
    assert mine.name == "custom" and mine.words == ("fever", "cough") and str(tmp_path) in mine.describe()
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "fr.txt")):
        keyword_list("fr", "paper", tmp_path)
    with pytest.raises(ValueError, match="unknown keyword list 'papers'"):
        keyword_list("en", "papers")


def test_rule_decides_with_the_configured_list():
    text = "Health, patient, doctor, treatment and research: the study data."  # generic words, paper list only
    paper = KeywordRule({"en": {"mkc": 5, "dens": 0.04}})
    extended = KeywordRule({"en": {"mkc": 5, "dens": 0.04}}, keywords="extended")
    (keep_p, score_p), = paper.decide("en", [text])
    (keep_e, score_e), = extended.decide("en", [text])
    assert keep_p and score_p.mkc >= 5 and not keep_e and score_e.mkc < 5
    assert paper.lists() == {"en": "paper"} and extended.lists() == {"en": "extended"}
    with pytest.raises(ValueError, match="thresholds.en must have exactly the keys mkc and dens"):
        KeywordRule({"en": {"mkc": 5}})


def test_thresholds_rule():
    s = KeywordMatcher(["a", "b", "c", "d", "e"], True).score("a b c d e")
    assert keep(s, 5, 0.04) and not keep(s, 6, 0.04) and not keep(s, 5, 0.9)


# ------------------------------------------------------------------ batch normalisation (Arrow for non-NFKC texts)
@pytest.mark.slow
def test_arrow_nfkc_equals_python_on_every_code_point_python_knows():
    """normalise_many relies on this: Arrow's NFKC and this Python's agree on every assigned character; texts
    with characters unknown to this Python (newer Unicode) are detected and normalised by Python."""
    import sys

    import pyarrow as pa
    import pyarrow.compute as pc

    from data_collection.filtering.normalise import unassigned_class

    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    arrow = pc.utf8_normalize(pa.array(chars), "NFKC").to_pylist()
    known = [unicodedata.category(c) != "Cn" for c in chars]
    assert [a for a, c, k in zip(arrow, chars, known) if k and a != unicodedata.normalize("NFKC", c)] == []
    detected = pc.match_substring_regex(pa.array(chars), unassigned_class()).to_pylist()
    assert detected == [not k for k in known]


def test_normalise_many_equals_normalise():
    from data_collection.filtering.normalise import normalise, normalise_many

    texts = ["糖尿病，高血压：", "ＣＯＶＩＤ－１９", "plain ascii", "straße", "e\u0301", "x\U000107bb ｙ", "ﬁbrose",
             "", "\ud800 lone surrogate，", "Ｅ\u0301\u0323"]
    for batch in (texts, texts[:2], texts[2:4], texts[-2:], []):
        assert normalise_many(batch) == [normalise(t) for t in batch]
