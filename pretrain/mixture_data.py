"""pretrain.train's `mixture:` several tokenized datasets (or one language of one) as one training set, mixed by
weight by common.mixture.MixtureSampler, and the realised mixture written beside the run.

The datasets are used as tokenized (each records its tokenizer, sequence length, mode and per-language counts in
meta.json), so a mixture is built from several without tokenizing again; they must agree on tokenizer, seq_len
and mode.
"""

from __future__ import annotations

import json
from pathlib import Path

from torch.utils.data import ConcatDataset, Subset

from common.cli import UserError
from common.mixture import MixtureSampler, MixtureSource
from common.records import atomic_path


def load_mixture(sources: list[MixtureSource], val_languages: list[str], load_tokenized) -> tuple:
    """(train dataset, {source/lang: validation set}, meta of the first source, rows of each source in the train
    dataset, the sources' metas). `load_tokenized(dir, val_languages)` reads one dataset."""
    parts, val_sets, metas, rows, offset = [], {}, [], [], 0
    for source in sources:
        train, vals, meta = load_tokenized(source.path, [source.lang] if source.lang else val_languages)
        for key in ("tokenizer", "seq_len", "mode"):
            if metas and meta[key] != metas[0][key]:
                raise UserError(f"mixture: {source.path}/meta.json has {key} {meta[key]!r}, "
                                f"{sources[0].path} has {metas[0][key]!r}: a mixture needs one tokenization")
        if source.lang:
            picked = [i for i, lang in enumerate(train.with_format(None)["lang"]) if lang == source.lang]
            if not picked:
                raise UserError(f"mixture: {source.path} has no training sequences of language {source.lang!r}")
            train = Subset(train, picked)
        parts.append(train)
        rows.append(list(range(offset, offset + len(train))))
        offset += len(train)
        metas.append(meta)
        val_sets.update({f"{Path(source.path).name}/{lang}": ds for lang, ds in vals.items()})
    return ConcatDataset(parts), val_sets, metas[0], rows, metas


def mixture_sampler_factory(sources: list[MixtureSource], rows: list[list[int]], train_cfg):
    def build(world_size: int, rank: int) -> MixtureSampler:
        return MixtureSampler(rows, [s.weight for s in sources], train_cfg.global_batch_size,
                              train_cfg.micro_batch_size, world_size, rank, train_cfg.seed)
    return build


def write_mixture_report(path: Path, sources: list[MixtureSource], metas: list[dict], sampler: MixtureSampler,
                         steps: int) -> dict:
    """mixture.json: per source its weight, target share, and the sequences and tokens it gave to steps 0 ..
    steps - 1 (tokens: sequence slots less the source's padding share, from its meta.json)."""
    consumed = sampler.consumed(steps)
    total = sum(s.weight for s in sources)
    report = {"steps": steps, "global_batch": sampler.global_batch, "sources": [
        {"source": s.name, "path": s.path, "lang": s.lang or None, "weight": s.weight, "share": s.weight / total,
         "sequences": n, "realised_share": n / max(sum(consumed), 1),
         "tokens": round(n * meta["seq_len"] * (1 - meta.get("padding_share", 0.0)))}
        for s, meta, n in zip(sources, metas, consumed)]}
    with atomic_path(path, suffix=".json") as tmp:
        Path(tmp).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report
