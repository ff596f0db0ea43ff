"""Core rules pinned to values worked out by hand: the keyword filter's keep decision on each side of each
threshold and its density in characters (not UTF-8 bytes), an input edited to the same size counted as changed,
the accuracy interval's tails, and the lenient reader taking an output's last answer statement. Each test kills
a mutant of scripts/mutation.py that the other tests let live."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from common.cli import UserError
from common.run import Run, Unit
from data_collection.filtering.matcher import KeywordRule, Score
from inference.metrics import bootstrap_ci
from inference.parse import parse_lenient


def rule(tmp_path: Path, lang: str, words: list[str], mkc: int, dens: float) -> KeywordRule:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / f"{lang}.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    return KeywordRule({lang: {"mkc": mkc, "dens": dens}}, keywords_dir=str(tmp_path))


def test_keep_needs_both_thresholds_on_the_list_and_the_array_paths(tmp_path):
    en = rule(tmp_path, "en", ["fever", "cough", "asthma"], mkc=2, dens=0.5)
    texts = ["fever cough",                        # 2 keywords, 10/11 of the text: kept
             "fever cough on a long walk today",   # 2 keywords, 10/32: density too low
             "fever fever fever",                  # density 15/17, 1 keyword: too few
             "fever, cough"]                       # 10/12 (the comma counts as text): kept
    expected = [Score(2, 10 / 11, 11), Score(2, 10 / 32, 32), Score(1, 15 / 17, 17), Score(2, 10 / 12, 12)]
    assert en.decide("en", texts) == list(zip([True, False, False, True], expected))
    for column in (None, pa.array(texts)):  # Python strings; the Arrow path of the filter's parquet batches
        keep, scores = en.decide_arrays("en", texts, column)
        assert keep.tolist() == [True, False, False, True] and scores.to_list() == expected
    at_edge = rule(tmp_path / "edge", "en", ["fever", "cough"], mkc=2, dens=10 / 11)  # both exactly reached
    assert at_edge.decide("en", ["fever cough"])[0][0] and at_edge.decide_arrays("en", ["fever cough"])[0][0]


def test_density_counts_characters_not_bytes_on_every_path(tmp_path):
    zh = rule(tmp_path, "zh", ["糖尿病", "医院"], mkc=2, dens=0.6)
    text = "糖尿病患者在医院"  # 8 characters, 5 of them keyword characters (24 and 15 UTF-8 bytes)
    assert zh.decide("zh", [text]) == [(True, Score(2, 5 / 8, 8))]
    for column in (None, pa.array([text])):
        keep, scores = zh.decide_arrays("zh", [text], column)
        assert keep.tolist() == [True] and scores.to_list() == [Score(2, 5 / 8, 8)]


def copy_unit(unit: Unit) -> dict:
    out = Path(unit.payload) / "copy.txt"
    out.write_text(Path(unit.inputs[0]).read_text(encoding="utf-8"), encoding="utf-8")
    return {"outputs": [str(out)]}


def test_an_input_edited_to_the_same_size_is_a_change(tmp_path):
    source, out = tmp_path / "notes.txt", tmp_path / "out"
    source.write_text("dose 10 mg", encoding="utf-8")

    def run() -> Run:
        with Run("test.copy", out) as r:
            r.map(copy_unit, [Unit("notes", inputs=(str(source),), payload=str(out))])
        return r

    assert run().counts["units_done"] == 1
    stat = source.stat()
    source.write_text("dose 90 mg", encoding="utf-8")  # same size; a later modification time
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with pytest.raises(UserError, match=r"unit 'notes'.*input .*notes\.txt changed"):
        run()
    assert (out / "copy.txt").read_text(encoding="utf-8") == "dose 10 mg"


def test_accuracy_interval_is_the_central_95_percent_of_the_resampled_accuracy():
    # 50 right of 100: resampled accuracy ~ Binomial(100, 0.5) / 100, whose 2.5% and 97.5% quantiles are 40 and
    # 60 (P(X <= 39) = 1.8%, P(X <= 40) = 2.8%); 20,000 resamples put both far inside those steps
    low, high = bootstrap_ci([True, False] * 50, samples=20_000, seed=3)
    assert (low, high) == (40.0, 60.0)


@pytest.mark.parametrize("output, letter", [
    ("Answer: A. On reflection, the correct answer is C.", "C"),
    ("The answer is B... no wait. Final answer: D", "D"),
    ("Réponse : A. Après réflexion, la bonne réponse est C.", "C"),
    ("答案：A。再想一想，答案：C。", "C"),
])
def test_lenient_reads_the_last_of_several_answer_statements(output, letter):
    """Reasoning states its conclusion at the end: a model that corrects itself is read at its final answer."""
    options = {"A": "Aspirin", "B": "Heparin", "C": "Warfarin", "D": "Insulin"}
    assert parse_lenient(output, options).letters == (letter,)
