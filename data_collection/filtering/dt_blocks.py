"""Our corpus steps as datatrove pipeline blocks, for users who build their pipelines with datatrove.

`MedicalKeywordFilter` is the MKC/DENS keyword filter as a datatrove `BaseFilter`: it applies the same decision as
`python -m data_collection.filter` (`KeywordRule.decide`: same keyword lists, thresholds and matcher), so a
document it keeps is a document our CLI keeps. Example (reader -> our filter -> writer):

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import ParquetWriter
    from data_collection.filtering.dt_blocks import MedicalKeywordFilter

    LocalPipelineExecutor(pipeline=[
        ParquetReader("culturax/en", glob_pattern="*.parquet"),
        MedicalKeywordFilter(lang="en"),                       # or language_key="language" per document
        ParquetWriter("out/medical_en"),
    ], tasks=4, logging_dir="out/logs").run()

Kept documents get `mkc` and `dens` in their metadata; dropped ones are counted by reason in datatrove's stats
(`dropped_below_thresholds`, `dropped_unknown_language`) and go to `exclusion_writer` when one is given, with the
reason in `metadata["filter_reason"]` and their scores.

This module imports datatrove; nothing else in the package imports this module, so datatrove is only needed by
those who use it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from common.languages import resolve
from data_collection.filtering.matcher import PAPER_THRESHOLDS, KeywordRule

try:
    from datatrove.data import Document
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.writers.disk_base import DiskWriter
except ImportError as err:  # pragma: no cover - datatrove is a dependency of the package
    raise ImportError("data_collection.filtering.dt_blocks needs datatrove: pip install datatrove") from err


class MedicalKeywordFilter(BaseFilter):
    """Keep medical documents by MKC/DENS (data_collection/filtering/matcher.py), as our filter CLI does.

    lang: the language code of every document, or None to read it per document from `metadata[language_key]`
    (a code or a name: "en", "English"; datatrove's LanguageFilter writes `language`). thresholds, keywords,
    keywords_dir: as in configs/data_collection/filter.yaml (default: the paper's thresholds and keyword lists).
    batch_size: documents decided together (as one Arrow array: one automaton pass per batch for most texts).
    """

    name = "🩺 MKC/DENS medical keywords"

    def __init__(self, lang: str | None = None, thresholds: Mapping[str, Mapping[str, float]] | None = None,
                 keywords: str = "paper", keywords_dir: str | None = None, language_key: str = "language",
                 exclusion_writer: DiskWriter | None = None, batch_size: int = 1024):
        super().__init__(exclusion_writer, batch_size)
        self.rule = KeywordRule(thresholds or PAPER_THRESHOLDS, keywords, keywords_dir)
        self.lang = resolve(lang).code if lang else None
        if self.lang is not None and self.lang not in self.rule.thresholds:
            raise ValueError(f"no thresholds for language {self.lang!r}")
        self.language_key = language_key
        self.rule.check()  # a missing keyword list fails when the pipeline is built, not in a task

    def _language(self, doc: Document) -> str | None:
        if self.lang is not None:
            return self.lang
        value = doc.metadata.get(self.language_key)
        try:
            code = resolve(value).code if isinstance(value, str) and value else None
        except ValueError:
            return None
        return code if code in self.rule.thresholds else None

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        results: list[bool | tuple[bool, str]] = [(False, "unknown_language")] * len(batch)
        langs = [self._language(doc) for doc in batch]
        for lang in {x for x in langs if x is not None}:
            idx = [i for i, x in enumerate(langs) if x == lang]
            texts = [batch[i].text for i in idx]
            for i, (kept, score) in zip(idx, self.rule.decide(lang, texts, _arrow_texts(texts))):
                batch[i].metadata.update(mkc=score.mkc, dens=score.dens)
                results[i] = True if kept else (False, "below_thresholds")
        return results


def _arrow_texts(texts: list[str]) -> pa.Array | None:
    """The texts as one Arrow array, for the matcher's batch path; None when Arrow cannot take them (a lone
    surrogate, a text that is not a str): the matcher then scores them one by one."""
    try:
        return pa.array(texts, pa.large_string())
    except (pa.ArrowException, UnicodeEncodeError):
        return None
