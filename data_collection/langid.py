"""Offline language identification with py3langid (the model ships inside the wheel; no download).

`detect(text)` classifies the first `max_chars` characters (enough for a stable guess, and bounded cost) and
returns an ISO 639-1 code from langid's 97 languages. Unrestricted on purpose: a French document that is really
Italian should disagree with `lang`, not be forced into the nearest of our eight languages.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


def detect(text: str, max_chars: int = 2000) -> str:
    """The detected language code of `text` (its first max_chars characters)."""
    lang, _score = _identifier().classify(text[:max_chars])
    return lang


def agrees(detected: str, lang: str) -> bool:
    """Does a detection agree with a document's `lang`? (langid has no separate code issues for our 8.)"""
    return detected == lang
