"""The keyword filter as a user runs it: thresholds per language, outputs, resume, corrupt shards, slicing."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from common.cli import UserError
from data_collection.filter import main

MEDICAL_EN = ("The patient with diabetes and hypertension saw a physician at the hospital; chemotherapy and "
              "surgery were discussed for the tumor, and insulin therapy for the diabetes.")
FOUR_EN = "diabetes hypertension asthma cancer were noted."  # 4 keywords, dense
FOUR_FR = "diabète hypertension asthme cancer notés."
PLAIN_EN = "The weather was nice and we went for a long walk along the river to see the old bridge."
MEDICAL_ZH = "糖尿病患者在医院接受胰岛素治疗，医生建议控制血压和血糖，并定期复查肝脏和肾脏。"
PLAIN_ZH = "今天天气很好，我们去公园散步，看到很多人在放风筝。"


def _parquet(path: Path, texts: list, extra: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"text": t, "url": f"https://example.org/{i}", "timestamp": "2023-01-01", "source": "mC4"}
            if extra else {"text": t} for i, t in enumerate(texts)]
    pq.write_table(pa.Table.from_pylist(rows), path)


def _jsonl(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture()
def corpus(tmp_path) -> Path:
    root = tmp_path / "culturax"
    _parquet(root / "en" / "part_0.parquet", [MEDICAL_EN, PLAIN_EN, FOUR_EN, None, MEDICAL_EN + " again"])
    _parquet(root / "en" / "part_1.parquet", [PLAIN_EN] * 3 + [MEDICAL_EN])
    _parquet(root / "fr" / "part_0.parquet", [FOUR_FR, "Il fait beau aujourd'hui."])
    _jsonl(root / "zh" / "part_0.jsonl", [json.dumps({"text": t, "url": "u"}, ensure_ascii=False)
                                          for t in (MEDICAL_ZH, PLAIN_ZH)] + ["{not json", '{"text": 5}'])
    return root


def _run(corpus: Path, out: Path, *extra: str) -> int:
    return main(["--config", "configs/data_collection/filter.yaml", "--input", str(corpus), "--output", str(out),
                 "--progress", "false", *extra])


def _outputs(out: Path) -> dict[str, list[dict]]:
    return {p.name: pq.read_table(p).to_pylist() for p in sorted((out / "documents").glob("*.parquet"))}


def test_filter_keeps_medical_documents_per_language_thresholds(corpus, tmp_path, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    out = tmp_path / "out"
    assert _run(corpus, out) == 0
    docs = _outputs(out)
    assert set(docs) == {"en__part_0.parquet", "en__part_1.parquet", "fr__part_0.parquet", "zh__part_0.parquet"}
    en0 = docs["en__part_0.parquet"]
    # en needs MKC >= 5: the 4-keyword text is dropped in English but the same kind of text is kept in French
    assert [d["text"] for d in en0] == [MEDICAL_EN, MEDICAL_EN + " again"]
    assert [d["text"] for d in docs["fr__part_0.parquet"]] == [FOUR_FR]
    assert [d["text"] for d in docs["zh__part_0.parquet"]] == [MEDICAL_ZH]
    d = en0[0]
    assert d["lang"] == "en" and d["source"] == "web" and d["mkc"] >= 5 and d["dens"] >= 0.04
    assert json.loads(d["meta"]) == {"url": "https://example.org/0", "timestamp": "2023-01-01", "source": "mC4"}
    stats = json.loads((out / "documents" / "en__part_0.stats.json").read_text())
    assert (stats["docs_in"], stats["kept"], stats["rejected"], stats["bad_text"]) == (5, 2, 3, 1)
    zh = json.loads((out / "documents" / "zh__part_0.stats.json").read_text())
    assert (zh["docs_in"], zh["kept"], zh["bad_records"], zh["bad_text"]) == (4, 1, 1, 1)
    assert (out / "rejects" / "zh__part_0.jsonl").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["kept"] == 5 and (out / "config.yaml").exists()
    # loads as a HF dataset
    from datasets import load_dataset

    ds = load_dataset("parquet", data_files=str(out / "documents" / "*.parquet"), split="train")
    assert len(ds) == 5 and set(ds.column_names) >= {"id", "text", "lang", "source", "meta", "mkc", "dens"}
    assert len(set(ds["id"])) == 5


def test_ids_are_stable_and_rejected_scores_optional(corpus, tmp_path, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(corpus, a) == 0
    assert _run(corpus, b, "--keep_rejected_scores") == 0
    assert _outputs(a) == _outputs(b)
    rej = pq.read_table(b / "rejected_scores" / "en__part_1.parquet").to_pylist()
    assert len(rej) == 3 and {"id", "lang", "mkc", "dens", "n_chars"} <= set(rej[0])
    assert not (a / "rejected_scores").exists()


def test_resume_after_kill_equals_clean_run(corpus, tmp_path, repo_root, monkeypatch, capsys):
    monkeypatch.chdir(repo_root)
    clean, resumed = tmp_path / "clean", tmp_path / "resumed"
    assert _run(corpus, clean) == 0
    # "killed" after one shard: one shard done; and a half-written shard without its done marker
    assert _run(corpus, resumed, "--max_shards", "1") == 0
    assert len(list((resumed / "_run" / "done").glob("*.json"))) == 1
    (resumed / "documents" / "zh__part_0.parquet").write_bytes(b"half written")
    (resumed / "documents" / ".zh__part_0.parquet.abc.parquet.tmp").write_bytes(b"temp of a killed writer")
    capsys.readouterr()
    assert _run(corpus, resumed) == 0
    assert "1 skipped (done)" in capsys.readouterr().out
    assert not list((resumed / "documents").glob(".*.tmp"))
    assert _outputs(resumed) == _outputs(clean)
    # a third run does nothing and changes nothing
    assert _run(corpus, resumed) == 0
    assert _outputs(resumed) == _outputs(clean)


def test_corrupt_shard_is_recorded_and_others_finish(corpus, tmp_path, repo_root, monkeypatch, capsys):
    monkeypatch.chdir(repo_root)
    (corpus / "en" / "part_2.parquet").write_bytes(b"PAR1 this is not a parquet file")
    out = tmp_path / "out"
    assert _run(corpus, out) == 1
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    assert len(errors) == 1 and errors[0]["unit"] == "en/part_2.parquet" and "part_2.parquet" in errors[0]["error"]
    assert len(list((out / "documents").glob("*.stats.json"))) == 4
    assert json.loads((out / "manifest.json").read_text())["failed_units"] == ["en/part_2.parquet"]
    assert "1 failed" in capsys.readouterr().out


def test_bad_bytes_are_one_reject_and_a_truncated_gzip_is_a_failed_shard(corpus, tmp_path, repo_root,
                                                                          monkeypatch):
    import gzip

    monkeypatch.chdir(repo_root)
    lines = [json.dumps({"text": MEDICAL_EN}).encode(), b'{"text": "\xff broken"}',
             json.dumps({"text": "\ud800 " + MEDICAL_EN}).encode(), json.dumps({"text": MEDICAL_EN + " 2"}).encode()]
    (corpus / "en" / "part_3.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    big = gzip.compress("".join(json.dumps({"text": f"{PLAIN_EN} {i}"}) + "\n" for i in range(3000)).encode())
    (corpus / "en" / "part_4.jsonl.gz").write_bytes(big[: len(big) // 2])
    out = tmp_path / "out"
    assert _run(corpus, out) == 1  # the truncated shard failed; every other shard finished
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    assert [e["unit"] for e in errors] == ["en/part_4.jsonl.gz"]
    assert "unreadable after line" in errors[0]["error"]
    kept = [d["text"] for d in _outputs(out)["en__part_3.parquet"]]
    assert kept == [MEDICAL_EN, MEDICAL_EN + " 2"]  # the undecodable line and the lone surrogate are rejected
    stats = json.loads((out / "documents" / "en__part_3.stats.json").read_text())
    assert stats["docs_in"] == 4 and stats["kept"] == 2 and stats["rejected"] == 2


@pytest.mark.slow
def test_slices_and_processes_give_the_same_output(corpus, tmp_path, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    whole, sliced = tmp_path / "whole", tmp_path / "sliced"
    assert _run(corpus, whole, "--num_proc", "2") == 0
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "2")
    for task in ("0", "1"):
        monkeypatch.setenv("SLURM_ARRAY_TASK_ID", task)
        assert _run(corpus, sliced) == 0
    assert _outputs(sliced) == _outputs(whole)
    assert (sliced / "manifest-00000-of-00002.json").exists() and (sliced / "manifest-00001-of-00002.json").exists()


def test_fixed_language_and_text_field(tmp_path, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    path = tmp_path / "in" / "shard.jsonl.gz"
    import gzip

    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"content": MEDICAL_EN}) + "\n" + json.dumps({"content": PLAIN_EN}) + "\n")
    out = tmp_path / "out"
    assert main(["--input", str(path), "--output", str(out), "--lang", "en", "--text_field", "content",
                 "--progress", "false"]) == 0
    assert [d["text"] for d in _outputs(out)["shard.parquet"]] == [MEDICAL_EN]


def test_hf_dataset_with_language_column(tmp_path, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    from datasets import Dataset

    rows = [{"text": MEDICAL_EN, "lang": "en", "url": "a"}, {"text": FOUR_FR, "lang": "French", "url": "b"},
            {"text": MEDICAL_EN, "lang": "xx", "url": "c"}, {"text": MEDICAL_ZH, "lang": "zh", "url": "d"}]
    Dataset.from_list(rows).save_to_disk(str(tmp_path / "hf"))
    out = tmp_path / "out"
    assert main(["--input", str(tmp_path / "hf"), "--output", str(out), "--progress", "false"]) == 0
    (name, docs), = _outputs(out).items()
    assert [(d["lang"], json.loads(d["meta"])["url"]) for d in docs] == [("en", "a"), ("fr", "b"), ("zh", "d")]
    stats = json.loads(next((out / "documents").glob("*.stats.json")).read_text())
    assert stats["bad_lang"] == 1 and stats["rejected"] == 1


def _wait_for_reader(fifo: Path, proc, seconds: float = 120) -> int:
    """A write end of `fifo`, opened once another process has it open for reading (non-blocking open: ENXIO
    until then)."""
    import os
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"the run never opened {fifo} (exit status {proc.poll()})")


@pytest.mark.slow
def test_really_killed_run_resumes_without_loss_or_duplicates(tmp_path, repo_root, monkeypatch, capsys):
    """SIGKILL at a known point: the first shard done, the second one's output open and its input (a FIFO that
    nothing writes to yet) being read. The rerun keeps the first shard and redoes the second."""
    import os
    import signal
    import subprocess
    import sys

    monkeypatch.chdir(repo_root)
    second = [MEDICAL_EN + f" {j}" if j % 3 else PLAIN_EN for j in range(30)]
    clean_root, root = tmp_path / "clean_in", tmp_path / "in"
    for base in (clean_root, root):
        _parquet(base / "en" / "part_0.parquet", [MEDICAL_EN, PLAIN_EN, FOUR_EN])
    _jsonl(clean_root / "en" / "part_1.jsonl", [json.dumps({"text": t}) for t in second])
    os.mkfifo(root / "en" / "part_1.jsonl")
    killed = tmp_path / "killed"
    inputs = str(root / "*" / "*")
    proc = subprocess.Popen([sys.executable, "-m", "data_collection.filter", "--config",
                             "configs/data_collection/filter.yaml", "--input", inputs, "--output", str(killed),
                             "--num_proc", "1", "--progress", "false"], stdout=subprocess.DEVNULL, cwd=repo_root)
    writer = None
    try:  # the run blocks reading the FIFO until it is written or closed: it cannot finish before the kill
        writer = _wait_for_reader(root / "en" / "part_1.jsonl", proc)
        assert len(list((killed / "_run" / "done").glob("*.json"))) == 1  # the point: shard 1 done ...
        assert list((killed / "documents").glob(".en__part_1.parquet.*.tmp"))  # ... shard 2 being written
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if writer is not None:
            os.close(writer)
    assert not (killed / "documents" / "en__part_1.parquet").exists()
    (root / "en" / "part_1.jsonl").unlink()
    (root / "en" / "part_1.jsonl").write_bytes((clean_root / "en" / "part_1.jsonl").read_bytes())
    capsys.readouterr()
    assert _run(Path(inputs), killed) == 0
    assert "1 already done" in capsys.readouterr().out
    assert not list((killed / "documents").glob(".*.tmp"))
    assert _run(Path(str(clean_root / "*" / "*")), tmp_path / "clean") == 0
    assert _outputs(killed) == _outputs(tmp_path / "clean")


def test_paper_lists_by_default_extended_by_name_and_recorded(tmp_path, samples_dir, repo_root, monkeypatch,
                                                              capsys):
    monkeypatch.chdir(repo_root)
    ru = samples_dir / "culturax" / "ru"
    paper, extended = tmp_path / "paper", tmp_path / "extended"
    assert _run(ru, paper) == 0
    assert "de extended (no paper list for de)" in capsys.readouterr().out
    assert _run(ru, extended, "--keywords", "extended") == 0
    # the paper's lists hold dictionary forms only; Russian inflects, so word-bounded matching finds fewer hits
    kept_paper = {d["id"] for docs in _outputs(paper).values() for d in docs}
    kept_extended = {d["id"] for docs in _outputs(extended).values() for d in docs}
    assert (len(kept_paper), len(kept_extended)) == (5, 13) and kept_paper < kept_extended
    stats = json.loads(next((paper / "documents").glob("*.stats.json")).read_text())
    assert stats["keywords"] == {"ru": "paper"}
    manifest = json.loads((paper / "manifest.json").read_text())
    assert manifest["keywords"]["ru"] == "paper" and manifest["keywords"]["ar"] == "extended (no paper list for ar)"
    assert json.loads((extended / "manifest.json").read_text())["keywords"]["ru"] == "extended"
    with pytest.raises(UserError, match="--keywords: expected one of paper, extended; got 'mine'"):
        _run(ru, tmp_path / "bad", "--keywords", "mine")
    custom = tmp_path / "lists"
    custom.mkdir()
    with pytest.raises(UserError, match=str(custom / "en.txt")):
        _run(ru, tmp_path / "bad", "--keywords_dir", str(custom))


def test_shard_with_nothing_kept_in_a_batch(tmp_path, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    root = tmp_path / "in"
    _parquet(root / "en" / "part_0.parquet", [PLAIN_EN] * 5 + [MEDICAL_EN])
    out = tmp_path / "out"
    assert _run(root, out, "--batch_size", "3") == 0  # the first batch keeps nothing, the second one document
    assert [d["text"] for d in _outputs(out)["en__part_0.parquet"]] == [MEDICAL_EN]


def test_mixed_language_large_string_batches_decide_as_the_rule(tmp_path, samples_dir, repo_root, monkeypatch):
    """One parquet shard whose batches mix languages (so each language's rows are taken out of the Arrow column),
    with a large_string text column, nulls and empty texts, read in small batches: the kept rows and their scores
    are those of KeywordRule.decide on plain Python strings."""
    from data_collection.filtering.matcher import PAPER_THRESHOLDS, KeywordRule

    monkeypatch.chdir(repo_root)
    texts, langs = [], []
    for lang in ("en", "ru", "zh", "fr"):
        docs = pq.read_table(samples_dir / "culturax" / lang / f"{lang}_part_00000.parquet").column("text")
        texts += docs.to_pylist()[:20]
        langs += [lang] * 20
    order = sorted(range(len(texts)), key=lambda i: (i * 7919) % len(texts))  # interleave the languages
    texts, langs = [texts[i] for i in order] + [None, "", "Пациент №5\u00a0кг"], [langs[i] for i in order] + ["en", "ru", "ru"]
    shard = tmp_path / "in" / "mixed.parquet"
    shard.parent.mkdir()
    pq.write_table(pa.table({"text": pa.array(texts, pa.large_string()), "lang": langs,
                             "url": [f"u{i}" for i in range(len(texts))]}), shard)
    out = tmp_path / "out"
    assert _run(shard.parent, out, "--lang", "auto", "--batch_size", "16") == 0
    kept = {row["meta"] and json.loads(row["meta"])["url"]: (row["mkc"], row["dens"])
            for rows in _outputs(out).values() for row in rows}
    rule = KeywordRule(PAPER_THRESHOLDS)
    expected = {}
    for i, (text, lang) in enumerate(zip(texts, langs)):
        if isinstance(text, str):
            (keep, score), = rule.decide(lang, [text])
            if keep:
                expected[f"u{i}"] = (score.mkc, score.dens)
    assert kept == expected and len(expected) > 5


def test_parquet_rows_are_written_as_the_record_path_writes_them(tmp_path, repo_root, monkeypatch):
    """Kept rows of a parquet batch are written from Arrow (`_kept_table`); the rows equal, field for field and
    row group for row group, what the per-record path (`DocumentShardWriter.add`) writes for them, whatever the
    other columns hold (ints, timestamps, lists, nulls, a language column)."""
    import dataclasses
    import datetime as dt

    from data_collection import filter as filter_module

    monkeypatch.chdir(repo_root)
    texts = [MEDICAL_EN, PLAIN_EN, MEDICAL_ZH, None, MEDICAL_EN + " ü", FOUR_EN] * 700
    n = len(texts)
    shard = tmp_path / "in" / "part.parquet"
    shard.parent.mkdir()
    pq.write_table(pa.table({
        "text": pa.array(texts, pa.large_string()),
        "lang": ["zh" if t == MEDICAL_ZH else "en" for t in texts],
        "n": list(range(n)),
        "when": pa.array([dt.datetime(2023, 1, 1) + dt.timedelta(seconds=i) for i in range(n)], pa.timestamp("s")),
        "tags": [["a", "b"] if i % 2 else None for i in range(n)],
        "url": [f"https://example.org/ü{i}" for i in range(n)],
    }), shard)
    assert _run(shard.parent, tmp_path / "arrow", "--lang", "auto", "--batch_size", "500") == 0
    row_batch = filter_module._row_batch
    monkeypatch.setattr(filter_module, "_row_batch",
                        lambda *args: dataclasses.replace(row_batch(*args), arrow=None))  # the per-record path
    assert _run(shard.parent, tmp_path / "records", "--lang", "auto", "--batch_size", "500") == 0
    arrow, records = (pq.ParquetFile(tmp_path / name / "documents" / "part.parquet") for name in ("arrow", "records"))
    assert arrow.read().to_pylist() == records.read().to_pylist()
    assert arrow.schema_arrow == records.schema_arrow
    assert arrow.metadata.num_row_groups == records.metadata.num_row_groups == 2  # 2,100 kept, 2,048 per group
    assert arrow.metadata.num_rows == 3 * 700 and '"when": "2023-01-01 00:00:00"' in arrow.read()["meta"][0].as_py()
