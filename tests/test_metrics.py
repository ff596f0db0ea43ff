"""BLEU/ROUGE with language-aware tokenisers, BERTScore offline, bootstrap intervals."""

from __future__ import annotations

import pytest

from inference.metrics import (
    BertScore,
    bootstrap_ci,
    corpus_bleu,
    rouge_scores,
    sentence_bleu_scores,
    tokenize,
)

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
    assert corpus_bleu([text], [text], language) == pytest.approx(100.0)


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


def test_bertscore_runs_offline_on_the_bundled_model():
    scorer = BertScore()
    assert scorer.path.name == "model" and (scorer.path / "config.json").exists()
    same, other, empty = scorer.f1(["The heart pumps blood.", "The heart pumps blood.", ""],
                                   ["The heart pumps blood.", "Insulin lowers glucose.", "x"])
    assert same == pytest.approx(1.0, abs=1e-4)
    assert 0 < other < same
    assert empty == 0.0


def test_missing_bertscore_model_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-bert"):
        BertScore(str(tmp_path / "no-such-bert"))


def test_bootstrap_is_reproducible_and_brackets_the_mean():
    flags = [True] * 30 + [False] * 20
    low, high = bootstrap_ci(flags, samples=500, seed=0)
    assert (low, high) == bootstrap_ci(flags, samples=500, seed=0)
    assert low < 60 < high
