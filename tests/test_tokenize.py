"""pretrain.tokenize: window mode (the paper's overlapping chunks, padding out of the loss) and pack mode."""

from __future__ import annotations

import json
from pathlib import Path

from common.records import read_jsonl
from pretrain.tokenize import Packer, main, window_sequences

WORDS = "the patient presented with acute fever cough and chest pain treated in hospital".split()


def test_windows_overlap_by_512_and_the_last_ends_at_the_last_token():
    doc = list(range(5000))
    windows = window_sequences(doc, 2048, 512, pad_id=-1)
    starts = [w["input_ids"][0] for w in windows]
    assert starts == [0, 1536, 5000 - 2048]
    assert windows[0]["input_ids"][-512:] == windows[1]["input_ids"][:512]  # 512 tokens shared
    assert windows[-1]["input_ids"][-1] == 4999
    assert all(len(w["input_ids"]) == 2048 and w["labels"] == w["input_ids"] for w in windows)
    assert set(doc) == {t for w in windows for t in w["input_ids"]}


def test_window_mask_overlap_trains_each_token_once():
    windows = window_sequences(list(range(5000)), 2048, 512, pad_id=-1, mask_overlap=True)
    trained = [t for w in windows for t in w["labels"] if t != -100]
    assert sorted(trained) == list(range(5000))


def test_short_document_is_padded_and_padding_is_out_of_the_loss():
    (w,) = window_sequences([5, 6, 7], 8, 2, pad_id=0)
    assert w["input_ids"] == [5, 6, 7, 0, 0, 0, 0, 0]
    assert w["labels"] == [5, 6, 7, -100, -100, -100, -100, -100]
    assert w["attention_mask"] == [1, 1, 1, 0, 0, 0, 0, 0]


def test_packer_emits_full_blocks_and_keeps_the_rest():
    p = Packer(4)
    blocks = p.add([1, 2, 3]) + p.add([4, 5, 6, 7, 8, 9])
    assert [b["input_ids"] for b in blocks] == [[1, 2, 3, 4], [5, 6, 7, 8]] and p.buffer == [9]


def write_corpus(root: Path, n_docs: int = 12) -> Path:
    for lang in ("en", "fr"):
        rows = [{"id": f"{lang}-{i}", "text": " ".join(WORDS[(i + j) % len(WORDS)] for j in range(5 + 9 * i))}
                for i in range(n_docs)]
        (root / lang).mkdir(parents=True, exist_ok=True)
        (root / lang / "part.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


def tokenize(argv: list[str]) -> dict:
    """Run the command (it must succeed) and return the meta.json it wrote."""
    assert main(argv) == 0
    out = Path(argv[argv.index("--output") + 1])
    return json.loads((out / "meta.json").read_text(encoding="utf-8"))


def load(out: Path, split: str = "train"):
    from datasets import load_from_disk

    return load_from_disk(str(out / split))


def test_pack_mode_has_no_padding_and_every_token_once(tiny_model_dir, tmp_path):
    from transformers import AutoTokenizer

    corpus = write_corpus(tmp_path / "corpus")
    out = tmp_path / "tok"
    meta = tokenize(["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--output", str(out),
                     "--seq_len", "32", "--mode", "pack"])
    ds = load(out)
    assert set(ds.column_names) == {"input_ids", "labels", "lang"}
    assert all(len(r["input_ids"]) == 32 and r["labels"] == r["input_ids"] for r in ds)
    assert meta["padding_share"] == 0.0
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    for lang in ("en", "fr"):
        docs = [json.loads(line)["text"] for line in (corpus / lang / "part.jsonl").read_text().splitlines()]
        stream = [t for d in docs for t in [tok.bos_token_id] + tok(d, add_special_tokens=False)["input_ids"]
                  + [tok.eos_token_id]]
        packed = [t for r in ds if r["lang"] == lang for t in r["input_ids"]]
        dropped = meta["languages"]["train"][lang]["dropped_tail_tokens"]
        assert dropped < 32 and packed == stream[:len(stream) - dropped]  # in order, each token once
    assert tokenize(["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--output", str(out),
                     "--seq_len", "32"]) == meta


def test_window_mode_output_and_sharded_run_is_identical(tiny_model_dir, tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    common = ["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--seq_len", "48", "--mode", "window",
              "--overlap", "16", "--val_ratio", "0.25"]
    meta = tokenize(common + ["--output", str(tmp_path / "one")])
    for shard in ("0", "1"):  # as two Slurm array tasks, then the assemble job
        assert main(common + ["--output", str(tmp_path / "two"), "--stage", "parts", "--num_shards", "2",
                              "--shard_index", shard]) == 0
    assert tokenize(common + ["--output", str(tmp_path / "two"), "--stage", "assemble"])["sequences"] == \
        meta["sequences"]
    for split in ("train", "validation"):
        assert load(tmp_path / "one", split)[:] == load(tmp_path / "two", split)[:]
    ds = load(tmp_path / "one")
    padded = [r for r in ds if 0 in r["attention_mask"]]
    assert padded and all(lab == -100 for r in padded for lab, m in zip(r["labels"], r["attention_mask"]) if not m)
    assert meta["padding_share"] > 0 and meta["sequences"]["validation"] > 0
    assert set(meta["languages"]["train"]) == {"en", "fr"}  # languages from the folder names


def test_bad_record_fails_its_file_naming_the_line_or_is_rejected(tiny_model_dir, tmp_path):
    corpus = tmp_path / "corpus" / "en"
    corpus.mkdir(parents=True)
    (corpus / "x.jsonl").write_text('{"text": "fever and cough"}\n{"title": "no text"}\n', encoding="utf-8")
    args = ["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--seq_len", "16"]
    assert main(args + ["--output", str(tmp_path / "a")]) == 1  # the file fails; nothing is assembled
    (error,) = read_jsonl(tmp_path / "a" / "errors.jsonl")
    assert "x.jsonl:2" in error["error"] and not (tmp_path / "a" / "meta.json").exists()
    meta = tokenize(args + ["--output", str(tmp_path / "b"), "--on_bad_record", "skip", "--mode", "window",
                            "--overlap", "4"])
    assert meta["rejected"] == 1 and meta["sequences"]["train"] == 1
    assert [r["where"] for r in read_jsonl(tmp_path / "b" / "rejects.jsonl")] == [f"{corpus / 'x.jsonl'}:2"]


def test_added_input_file_is_the_only_one_tokenized_on_rerun(tiny_model_dir, tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus")
    common = ["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--seq_len", "32", "--val_ratio", "0.25"]
    tokenize(common + ["--output", str(tmp_path / "tok"), "--keep_parts"])
    parts = tmp_path / "tok" / "parts"
    before = {p.name: p.stat().st_mtime_ns for p in parts.glob("*.stats.json")}
    # a new file that sorts before the others: an index-named part would now point at the wrong file
    (corpus / "de").mkdir()
    (corpus / "de" / "a.jsonl").write_text(json.dumps({"id": "de-0", "text": " ".join(WORDS * 4)}) + "\n",
                                           encoding="utf-8")
    capsys.readouterr()
    meta = tokenize(common + ["--output", str(tmp_path / "tok"), "--keep_parts"])  # meta.json there: picked up
    assert "parts: 1 tokenized now, 2 already done" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in parts.glob("*.stats.json") if p.name in before} == before
    clean = tokenize(common + ["--output", str(tmp_path / "clean")])
    assert meta["sequences"] == clean["sequences"] and meta["languages"] == clean["languages"]
    assert meta["inputs"] == 3
    for split in ("train", "validation"):
        assert load(tmp_path / "tok", split)[:] == load(tmp_path / "clean", split)[:]
    # without keep_parts the parts are gone after assembly: an added file makes every file be tokenized again
    (corpus / "de" / "b.jsonl").write_text(json.dumps({"id": "de-1", "text": " ".join(WORDS * 3)}) + "\n",
                                           encoding="utf-8")
    capsys.readouterr()
    again = tokenize(common + ["--output", str(tmp_path / "clean")])
    assert "parts: 4 tokenized now, 0 already done" in capsys.readouterr().out and again["inputs"] == 4
    assert again["languages"]["train"]["de"]["documents"] + again["languages"]["validation"].get(
        "de", {"documents": 0})["documents"] == 2


def test_empty_documents_are_counted_and_skipped_not_fatal(tiny_model_dir, tmp_path, capsys):
    corpus = tmp_path / "corpus" / "en"
    corpus.mkdir(parents=True)
    (corpus / "x.jsonl").write_text('{"text": "fever and cough"}\n{"text": "  \\n "}\n{"text": ""}\n',
                                    encoding="utf-8")
    meta = tokenize(["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--seq_len", "16", "--mode",
                     "window", "--overlap", "4", "--output", str(tmp_path / "out")])  # on_bad_record=error
    assert meta["empty_documents"] == 2 and meta["rejected"] == 0
    assert meta["languages"]["train"]["en"]["documents"] == 1
    assert "empty documents skipped: 2" in capsys.readouterr().out
