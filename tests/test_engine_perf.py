"""Speed options of the engine: train.compile (torch.compile per decoder layer) and train.loss_impl (chunked /
compiled cross-entropy) must train the same model as the eager defaults, with the same state-dict keys."""

from __future__ import annotations

import pytest
import torch
from test_engine_worker import collate, packed_blocks

from common.train_config import TrainConfig
from common.trainer import Trainer, build_loss_fn, chunked_token_loss_sum, token_loss_sum


def random_batch(dtype: torch.dtype, vocab: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    logits = (3 * torch.randn(3, 7, vocab, generator=gen)).to(dtype)
    labels = torch.randint(0, vocab, (3, 7), generator=gen)
    labels[0, :4] = -100  # a masked prompt
    labels[2, 5] = -100
    return logits, labels


def loss_and_grad(fn, logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    leaf = logits.clone().requires_grad_(True)
    loss = fn(leaf, labels)
    (loss * 0.37).backward()  # a scale, as the trainer's 1 / target tokens
    return loss.detach(), leaf.grad


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("impl", ["chunked", "compiled"])
def test_loss_options_give_the_eager_loss_and_gradients(impl, dtype):
    logits, labels = random_batch(dtype)
    cfg = TrainConfig(loss_impl=impl, loss_chunk_size=4, compile_backend="aot_eager")  # 21 rows: a ragged chunk
    ref_loss, ref_grad = loss_and_grad(token_loss_sum, logits, labels)
    loss, grad = loss_and_grad(build_loss_fn(cfg), logits, labels)
    assert loss.dtype == torch.float32 and grad.dtype == dtype
    torch.testing.assert_close(loss, ref_loss, rtol=1e-5, atol=1e-4)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1.6e-2, "atol": 1e-3}
    torch.testing.assert_close(grad, ref_grad, **tol)
    assert grad[0, :3].abs().sum() == 0 and grad[:, -1].abs().sum() == 0  # masked and last positions


def test_chunked_loss_of_a_fully_masked_batch_is_zero():
    logits, labels = random_batch(torch.float32)
    loss, grad = loss_and_grad(lambda x, y: chunked_token_loss_sum(x, y, 5), logits, torch.full_like(labels, -100))
    assert float(loss) == 0.0 and grad.abs().sum() == 0


def run_tiny(model_dir, out_dir, **overrides) -> tuple[list[float], list[str]]:
    from transformers import AutoTokenizer

    from common.hf_export import load_causal_lm

    cfg = TrainConfig(output=str(out_dir), mixed_precision="fp32", device="cpu", tensorboard=False,
                      global_batch_size=4, micro_batch_size=2, lr=3e-3, warmup_ratio=0.0, max_steps=3,
                      checkpoint_every=-1, activation_checkpointing=True, **overrides)
    data = packed_blocks(AutoTokenizer.from_pretrained(model_dir), 32, 12)
    torch.manual_seed(0)
    trainer = Trainer(cfg, load_causal_lm(model_dir), data, collate)
    losses = []
    for step in range(cfg.max_steps):
        stats = trainer.train_step([collate([data[i] for i in mb]) for mb in trainer.sampler.micro_batches(step)])
        losses.append(float(stats["loss_sum"]) / float(stats["targets"]))
    keys = sorted(trainer.full_state_dict())
    trainer.close()
    return losses, keys


@pytest.mark.slow
def test_compiled_layers_with_checkpointing_train_like_eager_and_keep_state_dict_keys(tiny_model_dir, tmp_path):
    import torch._dynamo

    eager_losses, eager_keys = run_tiny(tiny_model_dir, tmp_path / "eager")
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    compiled_losses, compiled_keys = run_tiny(tiny_model_dir, tmp_path / "compiled", compile=True,
                                              compile_backend="aot_eager", loss_impl="chunked", loss_chunk_size=24)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0  # the layers really went through dynamo
    assert compiled_keys == eager_keys and not any("_orig_mod" in k for k in compiled_keys)
    assert eager_losses[-1] < eager_losses[0]
    assert compiled_losses == pytest.approx(eager_losses, rel=1e-4)
