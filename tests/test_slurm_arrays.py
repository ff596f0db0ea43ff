"""What an array task of scripts/slurm/build_corpus_array.sbatch reports: the clean stage's counts and log line are
those of the task's own shards (they add up to the stage's), not the whole stage's repeated in every task."""

from __future__ import annotations

import json

from data_collection.build_corpus import main
from data_collection.documents import make_doc_id, write_document_shard


def _clean(inp, out, index: int, num: int) -> int:
    return main(["--config", "configs/data_collection/build_corpus.yaml", "--input", str(inp), "--output", str(out),
                 "--stage", "clean", "--shard_index", str(index), "--num_shards", str(num), "--progress", "false",
                 "--min_chars", '{"default": 5}', "--langid", "off"])


def test_clean_stage_array_tasks_count_their_own_shards(tmp_path, repo_root, monkeypatch, capsys):
    monkeypatch.chdir(repo_root)
    sizes = (3, 5, 7)  # documents per shard; task 0 of 2 takes shards 0 and 2, task 1 shard 1
    for k, n in enumerate(sizes):
        docs = [{"id": make_doc_id("web", "en", 100 * k + i), "text": f"Aspirin dose number {k} {i} for pain.",
                 "lang": "en", "source": "web", "meta": {}} for i in range(n)]
        write_document_shard(tmp_path / "in" / f"p{k}.parquet", docs)
    out = tmp_path / "out"
    logged = []
    for index in (0, 1):
        assert _clean(tmp_path / "in", out, index, 2) == 0
        logged.append(next(line for line in capsys.readouterr().out.splitlines() if line.startswith("clean")))
    counts = [json.loads((out / f"manifest.clean-{i:05d}-of-00002.json").read_text())["counts"]["clean"]["docs_in"]
              for i in (0, 1)]
    assert sorted(counts) == sorted([sizes[0] + sizes[2], sizes[1]])  # each task's own shards, the stage's in sum
    assert [f"docs_in {c}," in line and "(this task)" in line for line, c in zip(logged, counts)] == [True, True]
