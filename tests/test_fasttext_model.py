"""lid.176 applied in numpy (data_collection/corpus/fasttext_model.py) answers exactly as the fasttext library does."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from data_collection.corpus import fasttext_model, langid
from data_collection.corpus.fasttext_model import FastTextModel, UnsupportedModel

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def library():
    return langid._model()


@pytest.fixture()
def model():
    return FastTextModel(langid.model_path())


def sample_texts() -> list[str]:
    """Every sample web document and corpus record, and every MMedBench test question with its options."""
    texts = []
    for path in sorted((REPO / "samples/culturax").glob("*/*.parquet")):
        texts += pq.read_table(path, columns=["text"]).column("text").to_pylist()
    for path in sorted((REPO / "samples/corpora").rglob("*.jsonl")):
        texts += [json.loads(x).get("text") or "" for x in path.read_text(encoding="utf-8").splitlines()]
    for path in sorted((REPO / "samples/mmedbench/Test").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            texts.append(rec["question"] + " " + " ".join(map(str, rec["options"].values())))
    return [t for t in texts if isinstance(t, str)]


def mixed_texts(texts: list[str], n: int, seed: int = 0) -> list[str]:
    """Texts that switch language word by word: words of two random texts interleaved in random proportions,
    which puts many of them near the boundary between two labels."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.sample(texts, 2)
        wa, wb = a.split()[:80], b.split()[:80]
        share = rng.random()
        out.append(" ".join(rng.choice(wa) if rng.random() < share and wa else rng.choice(wb or ["x"])
                            for _ in range(rng.randint(1, 60))))
    return out


def reference(library, lines: list[str]) -> list[str | None]:
    return [(library.predict(t, k=1)[0] or [None])[0] for t in lines]


def lines_of(texts: list[str], max_chars: int) -> list[str]:
    return [t[:max_chars].replace("\n", " ") for t in texts]


def test_same_labels_as_the_library_on_samples_and_mixed_texts(model, library):
    texts = sample_texts()
    lines = lines_of(texts, 1000) + lines_of(texts, 100) + lines_of(texts, 20_000) + mixed_texts(texts, 1500)
    got = []
    for start in range(0, len(lines), 700):
        got += model.predict_many(lines[start:start + 700])
    assert got == reference(library, lines)
    assert len(set(got)) > 8  # the mixed texts reach many labels


EDGE_CASES = [
    "", " ", "\t\r\x0b\x0c", "\0", "word", "__label__en", "__label__fr le patient __label__xx",
    "the patient </s> and then many more French words : le médecin examine la patiente",
    "</s>", "a</s>b c", "non\xa0breaking\u3000spaces and\u2003em", "emoji 🙂🏥 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 text", "ß ǅ ﬁ İ",
    "12 345 678 90", "!!! ??? ...", "x" * 5000, "Пациент поступил в больницу с жалобами на боль",
    "患者因胸痛入院。", "患者は胸痛で入院した。", "a\0b\0c", "tab\tseparated\twords", "\u0301\u0301 combining",
    "file\x1cseparator\x1fand\x85next line", "<b>bold</b> <__label__en> x<y>z",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_as_the_library(model, library, text):
    assert model.predict_many([text]) == reference(library, [text])


def test_every_label_score_is_within_its_bound_of_the_library(model, library):
    """The library's probability of every label it returns (k=-1) is exp of its float32 score: it lies within
    the bound computed here of our score, on every text. This is what makes the fallback rule exact."""
    texts = sample_texts()
    lines = lines_of(texts[:300], 1000) + mixed_texts(texts, 300, seed=1)
    scores, bounds = model.label_scores(lines)
    index = {label: i for i, label in enumerate(model.labels)}
    checked = 0
    for row, line in enumerate(lines):
        labels, probs = library.predict(line, k=-1)
        for label, p in zip(labels, probs):
            diff = abs(np.log(p) - scores[row, index[label]])
            assert diff <= bounds[row, index[label]], (line[:60], label, diff, bounds[row, index[label]])
            checked += 1
    assert checked > 10 * len(lines)
    top = bounds[np.arange(len(lines)), scores.argmax(axis=1)]
    assert np.median(top) < 5e-3  # the best label's: tight enough that only near ties go to the library


def test_near_ties_go_to_the_library(model, library, monkeypatch):
    """With a margin no text passes, every text is decided by the library: same answers, all counted."""
    lines = mixed_texts(sample_texts(), 50, seed=2)
    monkeypatch.setattr(fasttext_model, "_TIE_SLACK", 1e9)
    assert model.predict_many(lines) == reference(library, lines)
    assert model.decided_by_library == len(lines)


def test_without_near_ties_the_library_is_not_called(model):
    lines = lines_of(sample_texts(), 1000)
    model.predict_many(lines)
    assert model.decided_by_library <= len(lines) // 100


def test_word_cache_cleared_when_full_gives_the_same_answers(model, library, monkeypatch):
    monkeypatch.setattr(fasttext_model, "_CACHE_MAX_WORDS", 300)
    lines = lines_of(sample_texts()[:400], 1000)
    got = []
    for start in range(0, len(lines), 50):
        got += model.predict_many(lines[start:start + 50])
    assert got == reference(library, lines)
    assert len(model._slots) < len({w for t in lines for w in t.encode().split()})  # it was cleared


def test_text_the_library_cannot_take_fails_as_in_the_library(model, library):
    """A lone surrogate cannot be UTF-8 encoded: the library raises, and so does the batch (its text goes to the
    library); documents never carry one (documents.normalise_document rejects it)."""
    with pytest.raises(TypeError):
        library.predict("bad \ud800 text")
    with pytest.raises(TypeError):
        model.predict_many(["fine text", "bad \ud800 text"])


def test_newline_is_an_error_as_in_the_library(model):
    with pytest.raises(ValueError, match="one line"):
        model.predict_many(["two\nlines"])


def test_unsupported_and_truncated_models(tmp_path):
    data = bytearray(langid.model_path().read_bytes())
    loss_offset = 8 + 6 * 4  # magic, version, then dim ws epoch minCount neg wordNgrams
    softmax = bytearray(data)
    softmax[loss_offset:loss_offset + 4] = (3).to_bytes(4, "little")
    (tmp_path / "softmax.ftz").write_bytes(bytes(softmax))
    with pytest.raises(UnsupportedModel, match="softmax.ftz"):
        FastTextModel(tmp_path / "softmax.ftz")
    (tmp_path / "short.ftz").write_bytes(bytes(data[:5000]))
    with pytest.raises(ValueError, match="short.ftz: truncated"):
        FastTextModel(tmp_path / "short.ftz")
    (tmp_path / "other.bin").write_bytes(b"\0" * 64)
    with pytest.raises(UnsupportedModel, match="not a fastText model"):
        FastTextModel(tmp_path / "other.bin")


def test_detect_many_equals_detect():
    texts = sample_texts()[:200] + ["", "\n\n", "Le patient\nest arrivé"]
    assert langid.detect_many(texts, 1000) == [langid.detect(t, 1000) for t in texts]
