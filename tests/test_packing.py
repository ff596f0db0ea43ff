"""Document-masked packing (common/packing.py, pretrain.train --document_mask): each packed document attends only
to itself and is not a target of the one before it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from test_pretrain import REPO
from test_tokenize import write_corpus

from common.packing import document_masked, document_position_ids

EOS = 2


def test_positions_restart_after_every_eos_and_first_tokens_are_no_targets():
    ids = torch.tensor([[5, 6, EOS, 1, 7, 8, EOS, 1], [9, EOS, EOS, 1, 4, 4, 4, 4]])
    assert document_position_ids(ids, EOS).tolist() == [[0, 1, 2, 0, 1, 2, 3, 0], [0, 1, 0, 0, 1, 2, 3, 4]]
    batch = document_masked({"input_ids": ids, "labels": ids.clone()}, EOS)
    assert batch["labels"].tolist() == [[5, 6, EOS, -100, 7, 8, EOS, -100], [9, EOS, -100, -100, 4, 4, 4, 4]]
    assert batch["input_ids"] is ids  # the inputs themselves are unchanged
    with pytest.raises(ValueError, match="window mode"):
        document_masked({"input_ids": ids, "labels": ids, "attention_mask": torch.ones_like(ids)}, EOS)


def _documents(tokenizer) -> list[list[int]]:
    texts = ["The patient presented with fever and cough.", "Metformin lowers hepatic glucose output.",
             "Aspirin inhibits cyclooxygenase irreversibly in platelets."]
    return [[tokenizer.bos_token_id, *tokenizer(t, add_special_tokens=False)["input_ids"], tokenizer.eos_token_id]
            for t in texts]


def test_each_packed_document_gives_the_logits_it_gives_alone(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32, attn_implementation="sdpa")
    model.eval()
    docs = _documents(tokenizer)
    packed = torch.tensor([sum(docs, [])])
    batch = document_masked({"input_ids": packed, "labels": packed.clone()}, tokenizer.eos_token_id)
    with torch.no_grad():
        masked = model(input_ids=packed, position_ids=batch["position_ids"], use_cache=False).logits[0]
        plain = model(input_ids=packed, use_cache=False).logits[0]
        start = 0
        for i, doc in enumerate(docs):
            alone = model(input_ids=torch.tensor([doc]), use_cache=False).logits[0]
            span = slice(start, start + len(doc))
            torch.testing.assert_close(masked[span], alone, atol=1e-5, rtol=1e-5)
            if i:  # plain packing lets the later documents see the earlier ones
                assert (plain[span] - alone).abs().max() > 1e-3
            start += len(doc)


@pytest.mark.slow
def test_pretrain_with_document_mask_trains_on_pack_data(tiny_model_dir, tmp_path):
    from pretrain.tokenize import main as tokenize

    corpus = write_corpus(tmp_path / "corpus", n_docs=12)
    tokenize(["--input", str(corpus), "--tokenizer", str(tiny_model_dir), "--output", str(tmp_path / "tokens"),
              "--seq_len", "64", "--mode", "pack", "--val_ratio", "0.2"])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "pretrain.train", "--config", str(REPO / "configs/pretrain/tiny.yaml"),
           "--model", str(tiny_model_dir), "--data", str(tmp_path / "tokens"), "--train.output", str(out),
           "--export_at_end", "false", "--train.max_steps", "3", "--train.global_batch_size", "2",
           "--train.micro_batch_size", "2", "--document_mask", "true"]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss" in r] == [1, 2, 3]
    assert all(0 < r["loss"] < 20 for r in rows if "loss" in r)
    # the run folder tabulates validation per language and plots the losses
    assert "| en | 3 |" in (out / "validation.md").read_text() and (out / "loss.png").is_file()
