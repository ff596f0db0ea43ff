"""Shared fixtures: the tiny model is built once per test session from samples/ (seconds on a CPU)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = REPO_ROOT / "samples"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A freshly built tiny Llama (tokenizer trained on samples/), shared by every test that needs a model."""
    from common.tiny_model import TinyModelConfig, build_tiny_model

    out = tmp_path_factory.mktemp("tiny-llama")
    return build_tiny_model(TinyModelConfig(output=str(out), samples=str(SAMPLES)))
