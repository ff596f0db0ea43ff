"""BLEU/ROUGE with language-aware tokenisers, BERTScore offline, bootstrap intervals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from inference.metrics import (
    MAX_PIECES_PER_WORD,
    RATIONALE_METRICS,
    BertScore,
    bootstrap_ci,
    rouge_scores,
    score_rationale_pairs,
    sentence_bleu_scores,
    tokenize,
    tokenizer_coverage,
)

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "mmedbench"

TEXTS = {
    "Chinese": ("患者出现胸痛并向左臂放射，心电图提示下壁心肌梗死，应尽快进行再灌注治疗。",
                "患者出现胸痛，心电图提示前壁心肌梗死，应给予阿司匹林。"),
    "Japanese": ("患者は胸痛を訴え、心電図で下壁の心筋梗塞が疑われるため、速やかに再灌流療法を行う。",
                 "患者は胸痛を訴え、心電図で前壁の心筋梗塞が疑われるため、アスピリンを投与する。"),
    "Russian": ("У пациента боль в груди, на ЭКГ признаки нижнего инфаркта миокарда, нужна реперфузия.",
                "У пациента боль в груди, на ЭКГ признаки переднего инфаркта миокарда, нужен аспирин."),
}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_identical_texts_score_100(language):
    text, _ = TEXTS[language]
    bleu = sentence_bleu_scores([text], [text], language)
    rouge = rouge_scores([text], [text], language)
    for value in [*bleu.values(), *rouge.values()]:
        assert value == pytest.approx(100.0)


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_partial_overlap_scores_partially(language):
    cand, ref = TEXTS[language]
    bleu = sentence_bleu_scores([cand], [ref], language)
    rouge = rouge_scores([cand], [ref], language)
    assert 0 < bleu["BLEU-4"] < bleu["BLEU-1"] < 100
    for name in ("ROUGE-1", "ROUGE-2", "ROUGE-L"):
        assert 0 < rouge[name] < 100


def test_tokenisers_segment_words_not_characters_or_nothing():
    assert tokenize("心肌梗死的治疗", "zh") == ["心肌梗死", "的", "治疗"]
    assert "アスピリン" in tokenize("アスピリンを投与する。", "Japanese")
    assert tokenize("Инфаркт миокарда!", "ru") == ["инфаркт", "миокарда"]


def test_unrelated_text_scores_zero_bleu():
    assert sentence_bleu_scores(["红色的苹果"], ["肾功能衰竭"], "zh")["BLEU-1"] == 0


@pytest.fixture(scope="module")
def minilm():
    return BertScore()


def _references(language: str) -> list[str]:
    return [json.loads(line)["rationale"] for split in ("Train", "Test")
            for line in (SAMPLES / split / f"{language}.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_corrected_pairs_average_to_the_table_values(language):
    cand, ref = TEXTS[language]
    rows = score_rationale_pairs("corrected", [cand, ref, ""], [ref, ref, ref], language)
    assert [sorted(row) for row in rows] == [sorted(RATIONALE_METRICS)] * 3
    assert rows[1]["BLEU-4"] == pytest.approx(100.0) and rows[2] == dict.fromkeys(RATIONALE_METRICS, 0.0)
    means = {**sentence_bleu_scores([cand, ref, ""], [ref, ref, ref], language),
             **rouge_scores([cand, ref, ""], [ref, ref, ref], language)}
    for name in RATIONALE_METRICS:
        assert means[name] == pytest.approx(sum(row[name] for row in rows) / 3)


@pytest.mark.slow
def test_bertscore_runs_offline_on_the_bundled_model(minilm):
    scorer = minilm
    assert scorer.path.name == "model" and (scorer.path / "config.json").exists()
    same, other, empty = scorer.f1(["The heart pumps blood.", "The heart pumps blood.", ""],
                                   ["The heart pumps blood.", "Insulin lowers glucose.", "x"])
    assert same == pytest.approx(1.0, abs=1e-4)
    assert 0 < other < same
    assert empty == 0.0


@pytest.mark.slow
def test_bertscore_in_batches_equals_one_pair_at_a_time(minilm):
    cands = [TEXTS[lang][0] for lang in sorted(TEXTS)] + ["The heart pumps blood through the body."]
    refs = [TEXTS[lang][1] for lang in sorted(TEXTS)] + ["Insulin lowers glucose."]
    batched = minilm.f1(cands, refs)
    assert batched == pytest.approx([minilm.f1([c], [r])[0] for c, r in zip(cands, refs)], abs=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("language,expected", [("English", True), ("French", True), ("Spanish", True),
                                               ("Chinese", False), ("Japanese", False), ("Russian", False)])
def test_bundled_minilm_is_applicable_only_where_its_tokenizer_reads_the_language(minilm, language, expected):
    ok, reason = minilm.applicable(_references(language), language)
    assert ok is expected
    assert language in reason and "unknown tokens" in reason
    if not expected:
        assert reason.startswith(f"BERTScore left empty for {language}")
        assert "bertscore_model: /path/to/bert-base-multilingual-cased (layer 9)" in reason


@pytest.mark.slow
def test_unknown_tokens_alone_miss_russian_fragmentation_catches_it(minilm):
    tok = minilm.scorer._tokenizer
    ru, zh, en = (tokenizer_coverage(tok, _references(lang)) for lang in ("Russian", "Chinese", "English"))
    assert ru.unk_rate == 0.0 and ru.pieces_per_word > MAX_PIECES_PER_WORD  # Cyrillic spelled out letter by letter
    assert zh.unk_rate > 0.5  # most Chinese characters are not in the English vocabulary
    assert en.unk_rate == 0.0 and en.pieces_per_word < 2


@pytest.mark.slow
def test_bertscore_with_no_references_is_not_applicable(minilm):
    ok, reason = minilm.applicable(["", "  "], "fr")
    assert not ok and "French" in reason


def test_missing_bertscore_model_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-bert"):
        BertScore(str(tmp_path / "no-such-bert"))


def test_bootstrap_is_reproducible_and_brackets_the_mean():
    flags = [True] * 30 + [False] * 20
    low, high = bootstrap_ci(flags, samples=500, seed=0)
    assert (low, high) == bootstrap_ci(flags, samples=500, seed=0)
    assert low < 60 < high


def test_corrected_values_by_hand_f_measure_not_recall():
    """cand "The heart pumps blood." (4 words) against ref "The heart pumps oxygenated blood quickly." (6 words),
    lowercased words. ROUGE is the F-measure 2PR/(P+R): recall alone (4/6) or precision alone (1) must fail here."""
    row = score_rationale_pairs("corrected", ["The heart pumps blood."],
                                ["The heart pumps oxygenated blood quickly."], "en")[0]

    def f(p: float, r: float) -> float:
        return 100 * 2 * p * r / (p + r)

    assert row["ROUGE-1"] == pytest.approx(f(4 / 4, 4 / 6), abs=1e-9)   # 80.0: 4 shared words
    assert row["ROUGE-2"] == pytest.approx(f(2 / 3, 2 / 5), abs=1e-9)   # 50.0: "the heart", "heart pumps"
    assert row["ROUGE-L"] == pytest.approx(f(4 / 4, 4 / 6), abs=1e-9)   # LCS "the heart pumps blood"
    # sacreBLEU sentence BLEU: brevity penalty exp(1 - r/c) with c = 4, r = 6; n-gram precisions 1, 2/3, 1/2 and
    # for 4-grams a zero count smoothed exponentially to 1 / (2 * 1)
    bp = math.exp(1 - 6 / 4)
    precisions = [1.0, 2 / 3, 1 / 2, 1 / 2]
    for n in range(1, 5):
        expected = 100 * bp * math.prod(precisions[:n]) ** (1 / n)
        assert row[f"BLEU-{n}"] == pytest.approx(expected, abs=1e-9), n


@pytest.mark.slow
def test_a_rationale_without_words_gets_bertscore_zero_as_documented(minilm):
    """A rationale of punctuation only is an empty pair (docs/metrics.md): 0 on every metric, BERTScore included."""
    assert minilm.f1(["。。。", "..."], ["The heart pumps blood.", "The heart pumps blood."]) == [0.0, 0.0]
