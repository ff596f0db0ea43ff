"""pretrain.train's data: the sequences written by `python -m pretrain.tokenize` (one dataset, or a `mixture:` of
several, pretrain/mixture_data.py), their validation sets per language, and the batches the engine trains on."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

from common.cli import UserError
from common.mixture import MixtureSource
from pretrain.config import PretrainConfig


def collate(rows: list[dict]) -> dict[str, torch.Tensor]:
    keys = [k for k in ("input_ids", "labels", "attention_mask") if k in rows[0]]
    return {k: torch.from_numpy(np.stack([np.asarray(r[k]) for r in rows]).astype(np.int64)) for k in keys}


def collate_document_masked(rows: list[dict], eos_id: int) -> dict[str, torch.Tensor]:
    """collate, then position ids per document and no cross-document targets (train.document_mask)."""
    from common.packing import document_masked

    return document_masked(collate(rows), eos_id)


def load_tokenized(data_dir: str, val_languages: list[str]) -> tuple:
    """(train dataset, {lang: validation subset}, meta) of a pretrain.tokenize output dir."""
    from common.records import load_dataset_dir

    root = Path(data_dir)
    if not (root / "meta.json").exists() or not (root / "train").is_dir():
        raise FileNotFoundError(f"{root}: not a tokenized dataset (no meta.json or train/); run "
                                "python -m pretrain.tokenize first")
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    columns = ["input_ids", "labels"] + (["attention_mask"] if meta["mode"] == "window" else [])
    train = load_dataset_dir(root / "train").with_format("numpy", columns=columns)
    val_sets = {}
    if (root / "validation").is_dir():
        val = load_dataset_dir(root / "validation")
        langs = val["lang"]
        wanted = val_languages or sorted(set(langs))
        val = val.with_format("numpy", columns=columns)
        for lang in wanted:
            indices = [i for i, x in enumerate(langs) if x == lang]
            if not indices:
                raise ValueError(f"{root}/validation has no sequences of language {lang!r}")
            val_sets[lang] = Subset(val, indices)
    return train, val_sets, meta


def data_dirs(cfg: PretrainConfig) -> list[str]:
    """The tokenized datasets the run reads: `data`, or the mixture's."""
    from common.mixture import parse_mixture

    return [s.path for s in parse_mixture(cfg.mixture)] if cfg.mixture else [cfg.data]


@dataclass
class PretrainData:
    train: Dataset
    validation: dict[str, Dataset]  # per language (per source/language in a mixture)
    meta: dict  # meta.json of the (first) dataset: tokenizer, seq_len, mode
    sampler_factory: Callable | None = None  # a mixture's sampler; None: the engine's own
    sources: list[MixtureSource] | None = None
    metas: list[dict] | None = None  # every source's meta.json


def load_pretrain_data(cfg: PretrainConfig) -> PretrainData:
    """The run's training and validation sequences: `data`, or the datasets of `mixture` mixed by weight."""
    if not cfg.mixture:
        return PretrainData(*load_tokenized(cfg.data, cfg.val_languages))
    from common.mixture import parse_mixture
    from pretrain.mixture_data import load_mixture, mixture_sampler_factory

    sources = parse_mixture(cfg.mixture)
    train, validation, meta, rows, metas = load_mixture(sources, cfg.val_languages, load_tokenized)
    return PretrainData(train, validation, meta, mixture_sampler_factory(sources, rows, cfg.train), sources, metas)


def batch_function(cfg: PretrainConfig, meta: dict, eos_id: int | None) -> Callable[[list[dict]], dict]:
    """collate, or with `document_mask` the document-masked collate (pack-mode data and an EOS token needed)."""
    if not cfg.document_mask:
        return collate
    if meta["mode"] != "pack" or eos_id is None:
        raise UserError(f"document_mask: {cfg.data or 'the mixture'} holds {meta['mode']}-mode sequences; document "
                        "masking needs pretrain.tokenize --mode pack and a tokenizer with an EOS token")
    return partial(collate_document_masked, eos_id=eos_id)
