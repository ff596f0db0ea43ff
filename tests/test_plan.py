"""The planner (pretrain.plan, common/plan_model.py) against what the engine holds under torch's FSDPMemTracker at
2 and 4 ranks, the published figures, and the shipped recipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_engine import free_port

from common.cli import UserError, cli
from common.plan_model import (
    GPUS,
    MEMORY_GROUPS,
    SHAPES,
    ModelShape,
    RunShape,
    memory_per_gpu,
    mfu_for,
    throughput,
)
from inference.generation import GenerateConfig
from pretrain.plan import main as plan_main
from pretrain.plan import plan_command

WORKER = Path(__file__).with_name("memory_worker.py")

# a layer-heavy Llama (the peak falls in a layer's backward) and a root-heavy one (the peak at the loss or the
# root's reduce-scatter, as for models whose vocabulary outweighs a layer); GQA so padding masks change k/v
LAYER_HEAVY = dict(vocab_size=512, hidden_size=256, intermediate_size=688, num_layers=6, num_heads=8,
                   num_kv_heads=2)
ROOT_HEAVY = dict(vocab_size=2048, hidden_size=128, intermediate_size=352, num_layers=4, num_heads=4,
                  num_kv_heads=2)


def _case(shape: dict, precision: str, checkpointing: bool, accum: int, sync: str = "every_micro_batch",
          padding: bool = False, micro: int = 1) -> dict:
    return dict(shape=shape, seq_len=256, micro_batch_size=micro, mixed_precision=precision,
                activation_checkpointing=checkpointing, grad_accum=accum, grad_sync=sync, padding=padding)


WORLD2 = [
    _case(LAYER_HEAVY, "fp32", False, 1), _case(LAYER_HEAVY, "bf16", False, 4), _case(LAYER_HEAVY, "bf16", True, 1),
    _case(LAYER_HEAVY, "bf16", True, 4), _case(LAYER_HEAVY, "bf16", True, 4, sync="last_micro_batch"),
    _case(LAYER_HEAVY, "fp32", True, 4, sync="last_micro_batch"), _case(LAYER_HEAVY, "bf16", True, 1, padding=True),
    _case(ROOT_HEAVY, "fp32", False, 4, micro=2), _case(ROOT_HEAVY, "bf16", False, 4, micro=2, padding=True),
]
WORLD4 = [_case(LAYER_HEAVY, "bf16", True, 2), _case(ROOT_HEAVY, "fp32", True, 2, micro=2)]


def _measure(cases: list[dict], nproc: int, tmp_path: Path) -> list[dict]:
    """FSDPMemTracker's peak by category for each case: one torchrun of tests/memory_worker.py for all."""
    out = tmp_path / "peaks.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(WORKER.parent.parent)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc), "--master_port",
           str(free_port()), str(WORKER), str(out), json.dumps(cases)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(out.read_text())


def _planned(case: dict, world: int) -> dict:
    return memory_per_gpu(ModelShape(**case["shape"]), RunShape(
        world_size=world, seq_len=case["seq_len"], micro_batch_size=case["micro_batch_size"],
        mixed_precision=case["mixed_precision"], activation_checkpointing=case["activation_checkpointing"],
        grad_accum=case["grad_accum"], grad_sync=case["grad_sync"], padding_mask=case["padding"]))


def _group_misses(planned: dict, measured: dict, merge_temp: bool) -> list[str]:
    """The groups of one planned moment that are not within 10% of the tracker's (a group under 1% of the total:
    within 1% of the total). The tracker files FSDP2's fp32 accumulation buffers of bf16 parameters (grad_sync
    last_micro_batch) under Temp: there gradients and activations are compared together."""
    groups = {name: sum(measured[c] for c in cats) for name, cats in MEMORY_GROUPS.items()}
    planned = {name: planned[name] for name in groups}
    if merge_temp:
        for d in (groups, planned):
            d["gradients and activations"] = d.pop("gradients") + d.pop("activations")
    total = measured["Total"]
    return [f"{name}: planned {planned[name]:,.0f}, measured {value:,.0f}" for name, value in groups.items()
            if abs(planned[name] - value) > max(0.10 * value, 0.01 * total)]


def _assert_plan_matches(case: dict, measured: dict, world: int) -> None:
    """The plan's peak within 10% of the tracker's in total, and the tracker's peak is one of the plan's moments
    group by group (the moment the tracker lands on can differ between near-tied ones, e.g. the backward of the
    last two layers)."""
    plan = _planned(case, world)
    assert plan["total"] == pytest.approx(measured["Total"], rel=0.10), case
    merge = case["grad_sync"] == "last_micro_batch" and case["mixed_precision"] == "bf16"
    misses = {name: _group_misses(m, measured, merge) for name, m in plan["moments"].items()}
    best = min(misses, key=lambda name: len(misses[name]))
    assert not misses[best], (case, best, misses[best])
    assert plan["moments"][best]["total"] == pytest.approx(measured["Total"], rel=0.10)


@pytest.mark.slow
def test_planned_memory_matches_fsdp2_at_two_ranks_group_by_group(tmp_path):
    peaks = _measure(WORLD2, 2, tmp_path)
    for case, measured in zip(WORLD2, peaks):
        _assert_plan_matches(case, measured, 2)
    params = ModelShape(**LAYER_HEAVY).params
    # accumulation keeps the gradient sharded by default; last_micro_batch holds it unsharded, as planned
    every, last_fp32 = peaks[3], peaks[5]
    assert every["SHARDED_GRAD"] == 4 * params // 2 and every["UNSHARDED_GRAD"] == 0
    assert last_fp32["UNSHARDED_GRAD"] >= 4 * (params - ModelShape(**LAYER_HEAVY).layer_params)


@pytest.mark.slow
def test_planned_memory_matches_fsdp2_at_four_ranks(tmp_path):
    for case, measured in zip(WORLD4, _measure(WORLD4, 4, tmp_path)):
        _assert_plan_matches(case, measured, 4)


def _tiny_shape(model_dir) -> ModelShape:
    return ModelShape.from_hf_config(json.loads((model_dir / "config.json").read_text()))


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


RECIPES = sorted(str(p.relative_to(Path(__file__).resolve().parent.parent))
                 for folder in ("configs/pretrain", "configs/finetune")
                 for p in (Path(__file__).resolve().parent.parent / folder).glob("*.yaml")
                 if not p.name.startswith(("tiny", "tokenize")))


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_plans_to_fit_the_hardware_its_comment_names(repo_root, recipe, capsys):
    """Each GPU recipe carries its plan command (the GPUs its comment names); run as written, it fits."""
    commands = [line.split("python -m pretrain.plan", 1)[1].split() for line in
                (repo_root / recipe).read_text().splitlines()
                if line.startswith("#") and "python -m pretrain.plan" in line]
    assert commands, f"{recipe} names no plan command"
    for argv in commands:
        assert argv[argv.index("--train_config") + 1] == recipe
        os.chdir(repo_root)
        plan = plan_command(argv)
        assert plan["memory"]["total"] + 3e9 <= plan["gpu"].memory_bytes
        assert "fits" in capsys.readouterr().out


def test_70b_accumulating_unsharded_gradients_does_not_fit_and_the_plan_says_what_helps(repo_root):
    """The no-sync variant holds an unsharded fp32 gradient of 70B (282 GB) on every GPU: refused with the fix."""
    argv = ["--train_config", str(repo_root / "configs/pretrain/llama3_1_70b.yaml"), "--gpus", "64",
            "--gpu", "h100-80gb"]
    with pytest.raises(UserError, match=r"does not fit h100-80gb at 64 GPUs: 3\d\d\.\d GB planned per GPU.*"
                                        r"train\.grad_sync every_micro_batch \(32\.\d GB\)"):
        plan_command(argv + ["--grad_sync", "last_micro_batch"])
    with pytest.raises(UserError, match=r"a100-80gb at 8 GPUs.*--gpus 32.*train\.cpu_offload true"):
        plan_command(["--train_config", str(repo_root / "configs/pretrain/llama3_1_70b.yaml"), "--gpus", "8",
                      "--gpu", "a100-80gb"])


def test_70b_generation_configs_load(repo_root):
    from common.config import load_config

    hf = load_config(GenerateConfig, ["--config", str(repo_root / "configs/inference/mmed_llama3_1_70b.yaml")])
    assert hf.backend == "hf" and hf.device_map == "auto"
    vllm = load_config(GenerateConfig, ["--config", str(repo_root / "configs/inference/mmed_llama3_1_70b_vllm.yaml")])
    assert vllm.backend == "vllm" and vllm.tensor_parallel_size == 8


def test_cli_reports_and_refuses_bad_flags_in_one_line(repo_root, capsys):
    config = str(repo_root / "configs/pretrain/llama3_8b.yaml")
    assert plan_main(["--train_config", config, "--gpus", "8", "--mfu", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "fits" in out and "tokens/s per GPU" in out and "days" in out
    bad = {("--gpus", "0"): "--gpus: give at least 1, got 0", ("--mfu", "5"): "--mfu: give a share of the peak",
           ("--tokens", "-5"): "--tokens: cannot be negative, got -5",
           ("--gpu", "v100"): "--gpu: expected one of a100-40gb, a100-80gb,",
           ("--grad_sync", "never"): "--grad_sync: expected one of '', every_micro_batch, last_micro_batch; got 'never'",
           ("--train_config", "nope.yaml"): "--train_config nope.yaml: no such file",
           ("--shape", "nope"): "--shape nope"}
    for (flag, value), message in bad.items():
        argv = ["--train_config", config, flag, value] if flag != "--train_config" else [flag, value]
        assert cli(plan_main, "python -m pretrain.plan", argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
