"""Early signs of a bad run (common/train_health.py in the engine): weights that were not loaded, a loss that is
not finite, loss spikes."""

from __future__ import annotations

import json
import math

import pytest
import torch
from test_engine_worker import collate, packed_blocks

from common.train_config import TrainConfig
from common.train_health import LossSpikeWatch, TrainingHealthError, untrained_loss_message


def test_first_loss_near_log_vocab_means_weights_not_loaded():
    vocab = 128256
    assert untrained_loss_message(11.5, vocab, 0.75) is not None  # about ln(128256) = 11.76
    assert untrained_loss_message(2.1, vocab, 0.75) is None  # a pretrained model on its languages
    assert untrained_loss_message(11.5, vocab, 0.0) is None  # the check off
    assert "ln(vocab size 128256) = 11.76" in untrained_loss_message(11.5, vocab, 0.75)


def test_spike_is_a_multiple_of_the_recent_median_after_some_history():
    watch = LossSpikeWatch(ratio=3.0, window=4, min_history=3)
    assert [watch.check(x) for x in (9.0, 5.0, 4.0)] == [None, None, None]  # warmup's drop is no spike
    assert watch.check(16.0) == 5.0  # 16 > 3 x median(9, 5, 4) = 15
    assert watch.check(20.0) is None  # 20 < 3 x median(9, 5, 4, 16) = 21
    assert LossSpikeWatch(ratio=0.0, min_history=1).check(1.0) is None


def _trainer(model, out_dir, evaluate: bool = False, **settings):
    """evaluate: the training blocks are also the validation set "en"."""
    from transformers import AutoTokenizer

    from common.trainer import Trainer

    tok = AutoTokenizer.from_pretrained(settings.pop("model_dir"))
    data = packed_blocks(tok, 32, 16)
    cfg = TrainConfig(**{"output": str(out_dir), "mixed_precision": "fp32", "device": "cpu",
                         "tensorboard": False, "global_batch_size": 4, "micro_batch_size": 2, "lr": 3e-3,
                         "warmup_ratio": 0.0, "checkpoint_every": 0, "resume": "none", **settings})
    return Trainer(cfg, model, data, collate, eval_datasets={"en": data} if evaluate else None)


@pytest.mark.slow
def test_untrained_weights_stop_at_step_one_and_loaded_ones_pass(tiny_model_dir, tmp_path):
    from common.hf_export import load_causal_lm

    torch.manual_seed(0)
    random_init = _trainer(load_causal_lm(str(tiny_model_dir)), tmp_path / "a", model_dir=tiny_model_dir,
                           max_steps=30, first_loss_max_ratio=0.75)
    with pytest.raises(TrainingHealthError, match="first step's loss .* what an untrained model gives"):
        random_init.train()
    random_init.close()
    assert not (tmp_path / "a" / "checkpoints").exists() or not any((tmp_path / "a" / "checkpoints").iterdir())

    trained = _trainer(load_causal_lm(str(tiny_model_dir)), tmp_path / "b", model_dir=tiny_model_dir, max_steps=30)
    trained.train()
    state = trained.full_state_dict()
    trained.close()
    model = load_causal_lm(str(tiny_model_dir))
    model.load_state_dict(state)
    resumed_text = _trainer(model, tmp_path / "c", model_dir=tiny_model_dir, max_steps=2, first_loss_max_ratio=0.75)
    summary = resumed_text.train()  # the same text: far below ln(vocab)
    resumed_text.close()
    assert summary["finished"] and summary["final_loss"] < 0.75 * math.log(model.config.vocab_size)


@pytest.mark.slow
def test_a_non_finite_step_stops_the_run_naming_its_step_and_batch_and_saves_nothing(tiny_model_dir, tmp_path):
    from common.hf_export import load_causal_lm

    model = load_causal_lm(str(tiny_model_dir))
    with torch.no_grad():
        model.model.layers[1].mlp.down_proj.weight[0, 0] = float("inf")  # overflowing activations
    trainer = _trainer(model, tmp_path, model_dir=tiny_model_dir, max_steps=4, checkpoint_every=1)
    with pytest.raises(TrainingHealthError, match=r"step 1: the gradient norm is not finite.*epoch 0, sequences"):
        trainer.train()
    expected = trainer.sampler.global_batch_indices(0)
    trainer.close()
    record = json.loads((tmp_path / "bad_batch_step_00000001.json").read_text())
    assert record["sequences"] == expected and record["step"] == 1
    assert not list((tmp_path / "checkpoints").glob("step_*"))  # no non-finite weights were saved
