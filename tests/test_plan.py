"""The planner (pretrain.plan, common/plan_model.py) against what the engine measures on the tiny model, the
published figures, and the 70B recipes."""

from __future__ import annotations

import json

import pytest
import torch

from common.plan_model import GPUS, SHAPES, ModelShape, RunShape, memory_per_gpu, mfu_for, throughput
from inference.generate import GenerateConfig
from pretrain.plan import PlanConfig, build_plan, main


def _tiny_shape(model_dir) -> ModelShape:
    return ModelShape.from_hf_config(json.loads((model_dir / "config.json").read_text()))


def _measured_peak(model_dir, seq: int, micro: int, checkpointing: bool, precision: str, out_dir) -> dict:
    """One training step of the engine (FSDP2, one process) under torch's FSDPMemTracker: peak bytes by category."""
    from torch.distributed._tools.fsdp2_mem_tracker import FSDPMemTracker
    from transformers import AutoModelForCausalLM

    from common.train_config import TrainConfig
    from common.trainer import Trainer

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="sdpa")
    rows = [{"input_ids": torch.randint(0, model.config.vocab_size, (seq,))} for _ in range(2 * micro)]
    for row in rows:
        row["labels"] = row["input_ids"].clone()

    def collate(batch):
        return {k: torch.stack([r[k] for r in batch]) for k in batch[0]}

    cfg = TrainConfig(output_dir=str(out_dir), global_batch_size=micro, micro_batch_size=micro, max_steps=2,
                      mixed_precision=precision, activation_checkpointing=checkpointing, device="cpu",
                      device_peak_flops="none", checkpoint_every=-1, tensorboard=False, resume="none")
    trainer = Trainer(cfg, model, rows, collate)
    trainer.train_step([collate(rows[:micro])])  # the optimizer states exist from the first step on
    tracker = FSDPMemTracker(trainer.model, trainer.optimizer)
    with tracker:
        trainer.train_step([collate(rows[micro:])])
    (snapshot,) = tracker.get_tracker_snapshot("peak").values()
    return {str(k).rsplit(".", 1)[-1]: v for k, v in snapshot.items()}


@pytest.mark.slow
@pytest.mark.parametrize("checkpointing", [False, True])
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_planned_memory_matches_the_engine_on_the_tiny_model(tiny_model_dir, checkpointing, precision, tmp_path):
    shape = _tiny_shape(tiny_model_dir)
    measured = _measured_peak(tiny_model_dir, seq=128, micro=2, checkpointing=checkpointing, precision=precision,
                              out_dir=tmp_path)
    planned = memory_per_gpu(shape, RunShape(world_size=1, seq_len=128, micro_batch_size=2,
                                             mixed_precision=precision, activation_checkpointing=checkpointing))
    assert planned["parameters"] == measured["SHARDED_PARAM"]  # fp32 master weights, exactly
    # AdamW's two states exactly, plus one 4-byte step counter per parameter tensor
    assert 0 <= measured["OPT"] - planned["optimizer"] <= 4 * 32
    assert planned["total"] == pytest.approx(measured["Total"], rel=0.10)


def test_shape_counts_equal_the_models_own(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    from common.trainer import model_flops_per_token

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    shape = _tiny_shape(tiny_model_dir)
    assert shape.params == sum(p.numel() for p in model.parameters())
    assert shape.flops_per_token(128) == model_flops_per_token(model, 128)
    assert shape.layer_params == sum(p.numel() for p in model.model.layers[0].parameters())


def test_published_figures():
    # docs/pretrain.md: the 4-layer Llama-3-8B bench shape has 8.59e9 FLOPs per token at seq 2048
    four_layers = ModelShape(**{**SHAPES["llama3_8b"].__dict__, "num_layers": 4})
    assert four_layers.flops_per_token(2048) == pytest.approx(8.59e9, rel=0.005)
    # Meta's parameter counts: 8.03B and 70.55B
    assert SHAPES["llama3_8b"].params == pytest.approx(8.03e9, rel=0.002)
    assert SHAPES["llama3_1_70b"].params == pytest.approx(70.55e9, rel=0.002)
    # the paper: 8 x A100, about 20k steps of 512 x 2048 tokens in about 20 days -> about 23% MFU
    tokens = 20_000 * 512 * 2048
    mfu = mfu_for(SHAPES["llama3_8b"], 2048, 8, GPUS["a100-80gb"], tokens, 20 * 86400)
    assert 0.20 < mfu < 0.26
    run = RunShape(world_size=8, seq_len=2048, micro_batch_size=4)
    days = throughput(SHAPES["llama3_8b"], run, GPUS["a100-80gb"], mfu, tokens)["seconds"] / 86400
    assert days == pytest.approx(20.0)


def test_checkpointing_and_sharding_shrink_memory_as_expected():
    shape = SHAPES["llama3_1_70b"]
    base = dict(seq_len=2048, micro_batch_size=1)
    plain = memory_per_gpu(shape, RunShape(world_size=64, activation_checkpointing=False, **base))
    ckpt = memory_per_gpu(shape, RunShape(world_size=64, **base))
    assert ckpt["total"] < 80e9 < plain["total"]  # 70B at seq 2048 needs checkpointing on 80 GB cards
    assert ckpt["parameters"] == pytest.approx(4 * shape.params / 64)
    offload = memory_per_gpu(shape, RunShape(world_size=16, cpu_offload=True, **base))
    assert offload["parameters"] == 0 and offload["host"] == pytest.approx(16 * shape.params / 16)


@pytest.mark.parametrize("config,gpus", [("configs/pretrain/llama3_1_70b.yaml", 64),
                                         ("configs/pretrain/llama3_1_70b_offload.yaml", 16),
                                         ("configs/finetune/llama3_1_70b_lora.yaml", 8),
                                         ("configs/finetune/llama3_1_70b_full.yaml", 32),
                                         ("configs/pretrain/llama3_8b.yaml", 64)])
def test_recipes_load_and_fit_their_gpus(repo_root, config, gpus):
    plan = build_plan(PlanConfig(train_config=str(repo_root / config), gpus=gpus, gpu="a100-80gb"))
    assert plan["memory"]["total"] < 75e9  # room for what the planner cannot count
    assert plan["shape"].num_layers in (32, 80)


def test_70b_generation_configs_load(repo_root):
    from common.config import load_config

    hf = load_config(GenerateConfig, ["--config", str(repo_root / "configs/inference/mmed_llama3_1_70b.yaml")])
    assert hf.backend == "hf" and hf.device_map == "auto"
    vllm = load_config(GenerateConfig, ["--config", str(repo_root / "configs/inference/mmed_llama3_1_70b_vllm.yaml")])
    assert vllm.backend == "vllm" and vllm.tensor_parallel_size == 8


def test_cli_reports_and_refuses_unknowns(repo_root, capsys):
    main(["--train_config", str(repo_root / "configs/pretrain/llama3_8b.yaml"), "--gpus", "8", "--mfu", "0.3"])
    out = capsys.readouterr().out
    assert "fits" in out and "tokens/s per GPU" in out and "days" in out
    with pytest.raises(ValueError, match="unknown GPU"):
        main(["--train_config", str(repo_root / "configs/pretrain/llama3_8b.yaml"), "--gpu", "v100"])
    with pytest.raises(FileNotFoundError, match="--shape"):
        main(["--train_config", str(repo_root / "configs/pretrain/tiny.yaml"), "--shape", "nope"])
