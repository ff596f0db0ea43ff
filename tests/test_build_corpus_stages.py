"""build_corpus on datatrove's stages: duplicates found on the samples, Slurm-style slices, short zh/ja questions,
and bad inputs that used to be lost silently."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from common.languages import by_code
from common.records import write_jsonl
from data_collection.build_corpus import main
from data_collection.corpus.decontaminate import build_index
from data_collection.corpus.dedup import units
from data_collection.documents import make_doc_id, write_document_shard


def _sample_docs(samples_dir: Path) -> tuple[list[dict], set[str], set[str]]:
    """Every CulturaX-style sample document, plus an exact copy (textbook) and a one-word-changed copy of some;
    returns (docs, ids expected to be removed as exact, ... as near)."""
    docs, exact, near = [], set(), set()
    rng = random.Random(0)
    for path in sorted((samples_dir / "culturax").glob("*/*.parquet")):
        lang = path.parent.name
        for k, text in enumerate(pq.read_table(path, columns=["text"]).column("text").to_pylist()):
            docs.append({"id": make_doc_id("web", lang, k), "text": text, "lang": lang, "source": "web", "meta": {}})
            if k % 7 == 0:  # the textbook copy wins, the web original goes
                docs.append({"id": make_doc_id("textbook", lang, k), "text": text, "lang": lang,
                             "source": "textbook", "meta": {}})
                exact.add(make_doc_id("web", lang, k))
            if k % 7 == 3 and len(text) > 600 and lang not in ("zh", "ja"):
                words = text.split(" ")
                words[rng.randrange(len(words))] = "changed"
                docs.append({"id": make_doc_id("web", lang, k, "near"), "text": " ".join(words), "lang": lang,
                             "source": "web", "meta": {}})
                near.add(max(make_doc_id("web", lang, k), make_doc_id("web", lang, k, "near"), key=lambda i: (
                    -len(next(d["text"] for d in docs if d["id"] == i)), i)))
    return docs, exact, near


def _run(inp: Path, out: Path, tok: Path, *extra: str) -> int:
    return main(["--config", "configs/data_collection/build_corpus.yaml", "--input", str(inp), "--output", str(out),
                 "--tokenizer", str(tok), "--progress", "false", "--plot", "false", "--min_chars",
                 '{"default": 20}', "--langid", "off", *extra])


def _removed(out: Path) -> dict[str, str]:
    return {r["id"]: r["reason"] for p in (out / "removed").glob("duplicates.*.jsonl")
            for r in map(json.loads, p.read_text().splitlines())}


def test_duplicates_found_on_samples_keep_the_priority_source(samples_dir, tmp_path, tiny_model_dir, repo_root,
                                                              monkeypatch):
    monkeypatch.chdir(repo_root)
    docs, exact, near = _sample_docs(samples_dir)
    write_document_shard(tmp_path / "in" / "a.parquet", docs[::2])
    write_document_shard(tmp_path / "in" / "b.parquet", docs[1::2])
    assert _run(tmp_path / "in", tmp_path / "out", tiny_model_dir, "--mmedbench_test", "null") == 0
    rows = [json.loads(x) for p in (tmp_path / "out" / "removed").glob("duplicates.*.jsonl")
            for x in p.read_text().splitlines()]
    removed = {r["id"]: r["reason"] for r in rows}
    assert exact <= {i for i, r in removed.items() if r == "exact"}  # the textbook copy always wins
    assert near <= set(removed)
    # every removal is a real near duplicate of the copy kept: shingle Jaccard >= 0.6 (no false pairs)
    text = {d["id"]: d for d in docs}
    for r in rows:
        assert _jaccard(text[r["id"]], text[r["kept_id"]]) >= 0.6, r
    kept = {r["id"] for p in (tmp_path / "out").glob("*/part-*.parquet") for r in pq.read_table(p).to_pylist()}
    assert len(kept) > len(docs) // 2 and not kept & set(removed)


def _jaccard(a: dict, b: dict) -> float:
    space = by_code(a["lang"]).space_delimited
    ua, ub = units(a["text"], space), units(b["text"], space)
    sa = {tuple(ua[i:i + 5]) for i in range(max(1, len(ua) - 4))}
    sb = {tuple(ub[i:i + 5]) for i in range(max(1, len(ub) - 4))}
    return len(sa & sb) / len(sa | sb)


def test_slurm_style_stage_slices_give_the_same_corpus(samples_dir, tmp_path, tiny_model_dir, repo_root,
                                                       monkeypatch):
    monkeypatch.chdir(repo_root)
    docs, _, _ = _sample_docs(samples_dir)
    for k in range(3):
        write_document_shard(tmp_path / "in" / f"p{k}.parquet", docs[k::3])
    assert _run(tmp_path / "in", tmp_path / "one", tiny_model_dir) == 0
    for stage in ("clean", "signature", "buckets", "cluster", "filter", "stats"):
        n = 1 if stage == "stats" else 2
        for i in range(n):
            assert _run(tmp_path / "in", tmp_path / "sliced", tiny_model_dir, "--stage", stage,
                        "--shard_index", str(i), "--num_shards", str(n)) == 0
    one = json.loads((tmp_path / "one" / "stats.json").read_text())
    sliced = json.loads((tmp_path / "sliced" / "stats.json").read_text())
    assert one["languages"] == sliced["languages"] and one["total_docs"] > 0
    assert _removed(tmp_path / "one") == _removed(tmp_path / "sliced")


def test_short_zh_ja_questions_are_caught_on_their_own(samples_dir):
    index = build_index(str(samples_dir / "mmedbench/Test"), [])
    for name, code in (("Chinese", "zh"), ("Japanese", "ja")):
        questions = [json.loads(x)["question"] for x in
                     (samples_dir / f"mmedbench/Test/{name}.jsonl").read_text(encoding="utf-8").splitlines()]
        short = min(questions, key=len)
        assert len(short) < 50
        hit = index.check("以下は練習問題です。" + short + "解説を読んでください。", code)
        assert hit is not None and hit.benchmark_id.startswith(f"{name}-test:")
    assert index.check("心房颤动是常见的心律失常，需要抗凝治疗以预防卒中。", "zh") is None


def test_bad_inputs_are_counted_and_added_shards_reach_the_corpus(tmp_path, tiny_model_dir, repo_root, monkeypatch,
                                                                 capsys):
    monkeypatch.chdir(repo_root)
    texts = ["Hypertension is treated with thiazide diuretics and ACE inhibitors; blood pressure is checked often.",
             "Asthma causes wheeze and cough at night; inhaled corticosteroids reduce airway inflammation.",
             "Type 2 diabetes is managed with metformin, diet and exercise, with HbA1c measured every three months.",
             "Influenza vaccination each autumn protects older adults from severe respiratory infection."]
    good = [{"id": f"d{i}", "text": t, "lang": "en", "source": "web", "meta": {}} for i, t in enumerate(texts)]
    inp = tmp_path / "in"
    write_jsonl(inp / "a.jsonl", [{"text": "no id here", "lang": "en", "source": "web", "meta": {}}, *good[:2]])
    with (inp / "a.jsonl").open("a") as f:
        f.write("{not json\n")
    out = tmp_path / "out"
    assert _run(inp, out, tiny_model_dir) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["languages"]["en"]["docs"] == 2  # the shard was not skipped because its first record is bad
    assert stats["languages"]["en"]["steps"]["bad_records"] == 1 and stats["bad_records_unknown_language"] == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["clean"]["bad_records"] == 2
    # a shard added before a rerun reaches the corpus and the stats
    write_jsonl(inp / "b.jsonl", good[2:])
    assert _run(inp, out, tiny_model_dir) == 0
    assert json.loads((out / "stats.json").read_text())["languages"]["en"]["docs"] == 4
    assert sum(pq.read_metadata(p).num_rows for p in (out / "en").glob("part-*.parquet")) == 4
    # a corrupt parquet goes to the errors file with its name; exit 1, nothing assembled from a partial input
    (inp / "c.parquet").write_bytes(b"PAR1 not really")
    assert _run(inp, out, tiny_model_dir) == 1
    errors = [json.loads(x) for x in (out / "errors.jsonl").read_text().splitlines()]
    assert [e["unit"] for e in errors] == ["clean c.parquet"] and str(inp / "c.parquet") in errors[0]["error"]
    assert "c.parquet" in capsys.readouterr().err


def test_missing_tokenizer_is_reported_before_cleaning(tmp_path, repo_root, monkeypatch, capsys):
    monkeypatch.chdir(repo_root)
    write_jsonl(tmp_path / "in" / "a.jsonl", [{"id": "a", "text": "x" * 300, "lang": "en", "source": "web",
                                               "meta": {}}])
    with pytest.raises(FileNotFoundError, match="no-tokenizer"):
        _run(tmp_path / "in", tmp_path / "out", tmp_path / "no-tokenizer")
    assert not (tmp_path / "out" / "_work").exists()
