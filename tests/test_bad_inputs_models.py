"""Damaged, unsafe or unusable model and adapter dirs given to every command that loads one (inference.generate
--model/--adapter, finetune.merge --base/--adapter, finetune.run --model): one line naming the file (exit 2), never a
traceback, never torch's hint to retry with weights_only=False; nothing is loaded and no output folder is made."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
from cli_helpers import one_line_error
from test_finetune_data import write_train_dir

from common.cli import cli
from finetune import merge
from finetune import run as finetune
from inference import generate

REPO = Path(__file__).resolve().parent.parent
GEN, MERGE, FT = "python -m inference.generate", "python -m finetune.merge", "python -m finetune.run"


def _truncate(path: Path, keep: int | None = None) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 if keep is None else keep])


def _safetensors(path: Path, header: dict, data: bytes) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def _bin_only(folder: Path, name: str) -> None:
    (folder / name).rename(folder / name.replace(".safetensors", ".bin").replace("model.bin", "pytorch_model.bin")
                           if name == "model.safetensors" else folder / "adapter_model.bin")


# case -> (damage to the copied dir, fragments of the one line)
MODEL_CASES = {
    ".bin-only weights": (lambda d: _bin_only(d, "model.safetensors"), ["pytorch_model.bin", "convert them to "
                                                                        "safetensors"]),
    "truncated safetensors": (lambda d: _truncate(d / "model.safetensors"), ["model.safetensors", "truncated"]),
    "huge safetensors header": (lambda d: (d / "model.safetensors").write_bytes(struct.pack("<Q", 10**12) + b"{}"),
                                ["model.safetensors", "header of 1000000000000 bytes"]),
    "safetensors offsets outside the file": (
        lambda d: _safetensors(d / "model.safetensors", {"w": {"dtype": "F32", "shape": [200],
                                                               "data_offsets": [0, 800]}}, b"\0" * 8),
        ["model.safetensors", "tensor 'w' lies at bytes 0-800"]),
    "safetensors header not JSON": (lambda d: (d / "model.safetensors").write_bytes(struct.pack("<Q", 4) + b"{{{{"),
                                    ["model.safetensors", "not valid JSON"]),
    "broken config.json": (lambda d: _truncate(d / "config.json", 40), ["config.json:", "not valid JSON"]),
    "truncated tokenizer.json": (lambda d: _truncate(d / "tokenizer.json"), ["tokenizer.json:", "not valid JSON"]),
}
ADAPTER_CASES = {
    ".bin-only adapter": (lambda d: _bin_only(d, "adapter_model.safetensors"), ["adapter_model.bin",
                                                                               "convert them to safetensors"]),
    "truncated adapter weights": (lambda d: _truncate(d / "adapter_model.safetensors"),
                                  ["adapter_model.safetensors"]),
    "broken adapter_config.json": (lambda d: _truncate(d / "adapter_config.json", 30),
                                   ["adapter_config.json:", "not valid JSON"]),
}


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir, tmp_path_factory) -> Path:
    from transformers import AutoModelForCausalLM

    from finetune.lora import LoraSection, apply_lora

    path = tmp_path_factory.mktemp("adapter")
    apply_lora(AutoModelForCausalLM.from_pretrained(tiny_model_dir), LoraSection(r=2, alpha=4)).save_pretrained(path)
    return path


def _damaged(source: Path, tmp_path: Path, damage) -> Path:
    copy = tmp_path / f"damaged-{source.name}"
    shutil.copytree(source, copy)
    damage(copy)
    return copy


def _no_weights_only_hint(capsys_err: str) -> None:
    assert "weights_only" not in capsys_err


def _run_all_model_commands(model: Path, adapter: Path, tmp_path: Path, capsys, fragments) -> None:
    samples = REPO / "samples" / "mmedbench" / "Test"
    runs = {
        GEN: lambda: cli(generate.main, GEN, ["--model", str(model), "--data", str(samples), "--adapter", str(adapter),
                                              "--output", str(tmp_path / "preds"), "--device", "cpu"]),
        MERGE: lambda: cli(merge.main, MERGE, ["--base", str(model), "--adapter", str(adapter), "--output",
                                               str(tmp_path / "merged")]),
    }
    for prog, run in runs.items():
        assert run() == 2, prog
        line = one_line_error(capsys, prog, *fragments)
        _no_weights_only_hint(line)
    assert not (tmp_path / "preds").exists() and not (tmp_path / "merged").exists()


@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_a_damaged_model_dir_is_one_line_in_every_command(case, tiny_model_dir, adapter_dir, tmp_path, capsys):
    damage, fragments = MODEL_CASES[case]
    model = _damaged(tiny_model_dir, tmp_path, damage)
    _run_all_model_commands(model, adapter_dir, tmp_path, capsys, fragments)
    train_dir = write_train_dir(tmp_path)
    assert cli(finetune.main, FT, ["--config", str(REPO / "configs/finetune/tiny_lora.yaml"), "--model", str(model),
                                   "--data.train_dir", str(train_dir), "--train.output",
                                   str(tmp_path / "ft")]) == 2
    one_line_error(capsys, FT, *fragments)
    assert not (tmp_path / "ft").exists()


@pytest.mark.parametrize("case", list(ADAPTER_CASES))
def test_a_damaged_adapter_dir_is_one_line_in_every_command(case, tiny_model_dir, adapter_dir, tmp_path, capsys):
    damage, fragments = ADAPTER_CASES[case]
    adapter = _damaged(adapter_dir, tmp_path, damage)
    _run_all_model_commands(tiny_model_dir, adapter, tmp_path, capsys, fragments)
