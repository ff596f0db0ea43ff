"""Data mixtures (common/mixture.py, pretrain.train --mixture): each source's share of every step, the same
batches at any world size and after a resume, and the realised mixture in the run folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_pretrain import REPO
from test_tokenize import write_corpus

from common.cli import UserError
from common.mixture import MixtureSampler, parse_mixture, step_counts


def test_every_step_is_full_and_each_source_keeps_its_share_to_within_one_sequence():
    weights, batch = [0.7, 0.2, 0.1], 8
    counts = step_counts(weights, batch, 50)
    assert (counts.sum(1) == batch).all() and (counts >= 0).all()
    cumulative = counts.cumsum(0).double()
    for s in range(50):
        targets = [w / sum(weights) * batch * (s + 1) for w in weights]
        assert all(abs(cumulative[s, d] - t) < 1 for d, t in enumerate(targets)), (s, cumulative[s], targets)


def test_batches_depend_on_the_step_alone_at_any_world_size():
    rows = [list(range(0, 12)), list(range(12, 17))]
    one = MixtureSampler(rows, [0.75, 0.25], 8, micro_batch=2, world_size=1, rank=0, seed=3)
    two = [MixtureSampler(rows, [0.75, 0.25], 8, micro_batch=2, world_size=2, rank=r, seed=3) for r in (0, 1)]
    for step in range(6):
        assert sorted(i for s in two for mb in s.micro_batches(step) for i in mb) == sorted(
            one.global_batch_indices(step))
    resumed = MixtureSampler(rows, [0.75, 0.25], 8, micro_batch=2, world_size=2, rank=1, seed=3)
    assert resumed.micro_batches(5) == two[1].micro_batches(5)  # a restarted process: the same batches
    seen = [i for step in range(2) for i in one.global_batch_indices(step)]
    assert sorted(i for i in seen if i < 12) == list(range(12))  # 2 steps x 6: source 0's first epoch, each once
    assert one.consumed(2) == [12, 4]


def test_mixture_entries_are_checked():
    assert [(s.path, s.lang, s.weight) for s in parse_mixture(["d/mmedc=0.9", "d/web:zh=0.1"])] == [
        ("d/mmedc", "", 0.9), ("d/web", "zh", 0.1)]
    for bad in (["d/mmedc"], ["d/mmedc=-1"], ["d/mmedc=x"], ["d/a=1", "d/a=2"]):
        with pytest.raises(UserError, match="mixture"):
            parse_mixture(bad)


@pytest.mark.slow
def test_pretrain_on_a_mixture_writes_the_realised_mixture(tiny_model_dir, tmp_path):
    from pretrain.tokenize import main as tokenize

    for name, docs in (("medical", 12), ("replay", 10)):
        tokenize(["--input", str(write_corpus(tmp_path / f"corpus-{name}", n_docs=docs)), "--tokenizer",
                  str(tiny_model_dir), "--output", str(tmp_path / name), "--seq_len", "64", "--val_ratio", "0.2"])
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "pretrain.train", "--config", str(REPO / "configs/pretrain/tiny.yaml"),
           "--model", str(tiny_model_dir), "--data", "", "--mixture",
           f"{tmp_path / 'medical'}=0.75,{tmp_path / 'replay'}:en=0.25", "--train.output", str(out), "--export_at_end", "false",
           "--train.max_steps", "4", "--train.global_batch_size", "4", "--train.micro_batch_size", "2"]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    mixture = json.loads((out / "mixture.json").read_text())
    assert [(r["source"], r["sequences"]) for r in mixture["sources"]] == [("medical", 12), ("replay:en", 4)]
    assert mixture["sources"][1]["realised_share"] == 0.25
    assert "mixture: replay:en 4 sequences (25.0%" in proc.stdout
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert {"val_loss_medical/en", "val_loss_medical/fr", "val_loss_replay/en"} <= set().union(*rows)
