"""pretrain.tokenize's fast path gives the dataset of the straightforward one: AutoTokenizer per document, the
list-based window_sequences / Packer, one row dict per sequence (what the command did before it was made faster)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from pretrain import tokenize

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "culturax"

TRICKY = ["fever  and cough", " leading space", "trailing space ", "tab\there", "a \n b", "\u3000wide\u3000space",
          "nbsp\xa0here x", "### heading ##", "ends with <|end_of_text|> inside", "<|begin_of_text|>", "x", "  ",
          "12.5 mg, (acute) naïve 肺炎 — x", "line\r\nbreak  \n\n  next", "'s 've 'll"]


def sample_texts() -> list[str]:
    import pyarrow.parquet as pq

    return [t for p in sorted(SAMPLES.glob("*/*.parquet")) for t in pq.read_table(p, columns=["text"])["text"].to_pylist()]


def test_encoder_ids_and_special_tokens_are_autotokenizers(tiny_model_dir, monkeypatch):
    from transformers import AutoTokenizer

    auto = AutoTokenizer.from_pretrained(tiny_model_dir)
    enc = tokenize.Encoder(str(tiny_model_dir), False)
    assert enc.tok is None and enc.piecewise  # read from tokenizer.json, no transformers
    assert (enc.bos_token_id, enc.eos_token_id, enc.pad_token_id) == (
        auto.bos_token_id, auto.eos_token_id, auto.pad_token_id)
    texts = sample_texts() + TRICKY
    expected = auto(texts, add_special_tokens=False)["input_ids"]
    assert [list(ids) for ids in enc.encode(texts)] == expected
    assert [list(ids) for ids in enc.encode(texts)] == expected  # again, from the filled caches
    monkeypatch.setattr(tokenize, "LONG_TEXT_CHARS", 500)  # long texts are cut in pieces of about 500 characters
    for long in ("  ".join(texts), " ".join(t for t in texts if "<|" not in t)):  # with and without added tokens
        assert list(enc.encode([long])[0]) == auto(long, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize("mask_overlap", [False, True])
def test_window_arrays_are_window_sequences(mask_overlap):
    rng = random.Random(0)
    for n in [1, 7, 8, 9, 15, 16, 17, 40, 41, 100] + [rng.randint(1, 300) for _ in range(50)]:
        ids = [rng.randint(3, 999) for _ in range(n)]
        rows = tokenize.window_sequences(ids, 16, 5, pad_id=2, mask_overlap=mask_overlap)
        input_ids, labels, mask = tokenize.window_arrays(np.array(ids, dtype=np.int32), 16, 5, 2, mask_overlap)
        assert input_ids.tolist() == [r["input_ids"] for r in rows]
        assert labels.tolist() == [r["labels"] for r in rows]
        assert mask.tolist() == [r["attention_mask"] for r in rows]


def test_array_packer_is_packer():
    rng = random.Random(1)
    ref, fast, blocks, fast_blocks = tokenize.Packer(16), tokenize.ArrayPacker(16), [], []
    for _ in range(200):
        ids = [rng.randint(0, 999) for _ in range(rng.choice([1, 3, 15, 16, 17, 40]))]
        blocks += [r["input_ids"] for r in ref.add(ids)]
        fast_blocks += fast.add(np.array(ids, dtype=np.int32)).tolist()
    assert fast_blocks == blocks and len(fast) == len(ref.buffer)


def reference_rows(tiny_model_dir, corpus: Path, mode: str, seq_len: int, overlap: int) -> list[dict]:
    """The train rows as the command made them before: per document AutoTokenizer ids with BOS and EOS, then
    window_sequences or one Packer per file and language."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = []
    for path in sorted(corpus.glob("*/*.jsonl")):
        packers = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if not rec["text"].strip():  # empty documents are skipped
                continue
            ids = [tok.bos_token_id] + tok(rec["text"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
            if mode == "window":
                new = tokenize.window_sequences(ids, seq_len, overlap, tok.pad_token_id)
            else:
                new = packers.setdefault(rec["lang"], tokenize.Packer(seq_len)).add(ids)
            rows += [{**r, "lang": rec["lang"]} for r in new]
    return rows


@pytest.mark.parametrize("mode", ["window", "pack"])
def test_sample_corpus_dataset_equals_the_straightforward_path(mode, tiny_model_dir, tmp_path):
    from datasets import load_from_disk

    corpus = tmp_path / "corpus"
    texts = sample_texts() + TRICKY
    for i, lang in enumerate(("en", "zh")):  # two files; documents of many lengths, some cut into several windows
        (corpus / lang).mkdir(parents=True)
        docs = [{"id": f"{lang}{j}", "lang": lang, "text": "\n".join(texts[j % len(texts):(j % len(texts)) + j % 5 + 1])}
                for j in range(i, len(texts), 2)]
        (corpus / lang / "a.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    out = tmp_path / "out"
    assert tokenize.main(["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--output", str(out),
                          "--seq_len", "64", "--overlap", "16", "--mode", mode]) == 0
    got = list(load_from_disk(str(out / "train")))
    expected = reference_rows(tiny_model_dir, corpus, mode, 64, 16)
    assert len(got) > 50 and got == expected


def test_parts_left_in_parquet_by_an_earlier_version_are_assembled(tiny_model_dir, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import load_from_disk

    corpus = tmp_path / "corpus" / "en"
    corpus.mkdir(parents=True)
    (corpus / "a.jsonl").write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                                            for i, t in enumerate(sample_texts()[:30])), encoding="utf-8")
    args = ["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--seq_len", "32", "--val_ratio", "0.2"]
    assert tokenize.main(args + ["--output", str(tmp_path / "clean")]) == 0
    old = tmp_path / "old"
    assert tokenize.main(args + ["--output", str(old), "--stage", "parts"]) == 0
    for part in (old / "parts").glob("*.arrow"):  # as the parquet parts the command wrote before
        with pa.memory_map(str(part)) as source:
            pq.write_table(pa.ipc.open_stream(source).read_all(), part.with_suffix(".parquet"))
        part.unlink()
    for marker in (old / "_run").rglob("*.json"):  # and the markers that list them
        marker.write_text(marker.read_text(encoding="utf-8").replace(".arrow", ".parquet"), encoding="utf-8")
    assert tokenize.main(args + ["--output", str(old), "--stage", "assemble"]) == 0
    for split in ("train", "validation"):
        assert load_from_disk(str(old / split))[:] == load_from_disk(str(tmp_path / "clean" / split))[:]
