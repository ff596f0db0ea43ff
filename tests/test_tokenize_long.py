"""A huge single-line document is tokenized in pieces cut where the tokenizer's ids do not change (memory bounded
by the piece, not the document), and the dataset is exactly the one of encoding it whole."""

from __future__ import annotations

import json
from pathlib import Path

from pretrain import tokenize


def _long_document(root: Path) -> Path:
    words = ["fever", "cough,", "the", "patient's", "12.5", "mg", "###", "pneumonia.", "(acute)", "naïve", "肺炎", "—"]
    text = "  ".join(" ".join(words[(i * 7 + j) % len(words)] for j in range(40)) for i in range(300))
    (root / "en").mkdir(parents=True)
    (root / "en" / "a.jsonl").write_text(json.dumps({"id": "long", "text": text}) + "\n" +
                                         json.dumps({"id": "short", "text": "a short one"}) + "\n", encoding="utf-8")
    return root


def test_a_long_document_in_pieces_gives_the_ids_of_the_whole(tiny_model_dir, tmp_path, monkeypatch):
    from datasets import load_from_disk

    corpus = _long_document(tmp_path / "corpus")
    text = json.loads((corpus / "en" / "a.jsonl").read_text(encoding="utf-8").splitlines()[0])["text"]
    argv = ["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--seq_len", "64"]
    assert tokenize.main([*argv, "--output", str(tmp_path / "whole")]) == 0
    monkeypatch.setattr(tokenize, "LONG_TEXT_CHARS", 2000)
    assert len(tokenize.exact_pieces(text)) > 20 and "".join(tokenize.exact_pieces(text)) == text
    assert tokenize.load_tokenizer(str(tiny_model_dir), False).piecewise
    assert tokenize.main([*argv, "--output", str(tmp_path / "pieces")]) == 0
    whole, pieces = (load_from_disk(str(tmp_path / name / "train")) for name in ("whole", "pieces"))
    assert pieces["input_ids"] == whole["input_ids"] and len(whole) > 100


def test_pieces_are_cut_only_before_a_space_between_two_non_spaces():
    text = "aaaa  bbbb cccc\n dddd" * 3
    pieces = tokenize.exact_pieces(text, size=8)
    assert "".join(pieces) == text and len(pieces) > 1
    for piece in pieces[1:]:
        assert piece.startswith(" ") and not piece[1].isspace()
    assert tokenize.exact_pieces("x" * 50, size=8) == ["x" * 50]  # nowhere to cut: whole
