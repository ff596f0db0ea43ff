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

# Languages met only in evaluation (XMedBench, MedExpQA, KorMedMCQA, Global-MMLU, MMLU-ProX): questions are asked
# and scored in them, but the corpus pipeline (keyword lists, OCR, language id) does not know them, so they are
# kept out of LANGUAGES (which the corpus stages iterate) and reached only through `resolve`.
_EVAL_ONLY = ("ko Korean", "it Italian", "hi Hindi", "am Amharic", "bn Bengali", "cs Czech", "el Greek",
              "fa Persian", "fil Filipino", "ha Hausa", "he Hebrew", "id Indonesian", "ig Igbo", "ky Kyrgyz",
              "lt Lithuanian", "mg Malagasy", "ms Malay", "ne Nepali", "nl Dutch", "ny Chichewa", "pl Polish",
              "pt Portuguese", "ro Romanian", "si Sinhala", "sn Shona", "so Somali", "sr Serbian", "sv Swedish",
              "sw Swahili", "te Telugu", "tr Turkish", "uk Ukrainian", "vi Vietnamese", "yo Yoruba", "th Thai",
              "af Afrikaans", "wo Wolof", "zu Zulu", "ur Urdu", "mr Marathi", "hu Hungarian")
EVAL_LANGUAGES: tuple[Language, ...] = tuple(
    Language(entry.split(" ", 1)[1], entry.split(" ", 1)[0], entry.split(" ", 1)[0] != "th", False)
    for entry in _EVAL_ONLY)
_ANY_CODE = {**{lang.code: lang for lang in EVAL_LANGUAGES}, **_BY_CODE}
_ANY_NAME = {**{lang.name.lower(): lang for lang in EVAL_LANGUAGES}, **_BY_NAME}


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
    """Accept either 'Chinese' or 'zh'; also the evaluation-only languages ('Korean', 'ko')."""
    key = name_or_code.strip().lower()
    if key in _ANY_CODE:
        return _ANY_CODE[key]
    if key in _ANY_NAME:
        return _ANY_NAME[key]
    return by_name(name_or_code.strip())  # raises, listing the known names
