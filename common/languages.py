"""The one table of languages this project knows: MMedBench's six plus the paper's named next languages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str  # MMedBench file stem, e.g. "Chinese"
    code: str  # ISO 639-1
    space_delimited: bool  # words separated by spaces (word-boundary keyword matching, word tokenisation)
    in_mmedbench: bool


LANGUAGES: tuple[Language, ...] = (
    Language("English", "en", True, True),
    Language("Chinese", "zh", False, True),
    Language("Japanese", "ja", False, True),
    Language("French", "fr", True, True),
    Language("Russian", "ru", True, True),
    Language("Spanish", "es", True, True),
    Language("German", "de", True, False),
    Language("Arabic", "ar", True, False),
)

MMEDBENCH_LANGUAGES: tuple[str, ...] = tuple(lang.name for lang in LANGUAGES if lang.in_mmedbench)
_BY_CODE = {lang.code: lang for lang in LANGUAGES}
_BY_NAME = {lang.name.lower(): lang for lang in LANGUAGES}


def by_code(code: str) -> Language:
    try:
        return _BY_CODE[code.lower()]
    except KeyError:
        raise ValueError(f"unknown language code {code!r}; known: {sorted(_BY_CODE)}") from None


def by_name(name: str) -> Language:
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown language name {name!r}; known: {[x.name for x in LANGUAGES]}") from None


def resolve(name_or_code: str) -> Language:
    """Accept either 'Chinese' or 'zh'."""
    key = name_or_code.strip()
    if key.lower() in _BY_CODE:
        return _BY_CODE[key.lower()]
    return by_name(key)
