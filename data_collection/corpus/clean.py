"""Text cleaning for corpus assembly: Unicode and whitespace normalisation, boilerplate lines, minimum length.

- `normalise_text`: NFC (canonical composition; full-width forms are kept, they are part of CJK typography),
  control and format characters removed except newline and tab, runs of spaces/tabs collapsed to one space,
  lines stripped, more than one blank line collapsed to one, and the whole text stripped.
- Boilerplate: a line that occurs in at least `min_docs` documents of the same input shard (cookie banners,
  navigation, "All rights reserved", page headers of a book) and is at most `max_chars` long is removed from every
  document of that shard. Counting is per shard so it runs shard-parallel with bounded memory.
- Documents shorter than the language's minimum (characters, after cleaning) are dropped.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

_SPACES = re.compile(r"[^\S\n]+")  # whitespace other than newline (tabs, NBSP, ideographic space, ...)
_BLANK_LINES = re.compile(r"\n{3,}")
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}  # control, format (zero-width), surrogate, private, unassigned
_KEEP_CONTROL = {"\n", "\t"}


def _drop_controls(text: str) -> str:
    """Remove control/format/private/unassigned characters. Only the distinct non-printable characters of the
    text are looked up (set(text) and str.translate run in C): most texts have none or a handful."""
    odd = {ch for ch in set(text) if not ch.isprintable() and ch not in _KEEP_CONTROL}
    if not odd:
        return text
    drop = {ord(ch): None for ch in odd if unicodedata.category(ch) in _DROP_CATEGORIES}
    return text.translate(drop) if drop else text


def _is_normal(text: str) -> bool:
    """Would normalise_text return `text` unchanged? Cheap checks in C, true for most cleaned-looking web text:
    printable apart from newlines (so no control/format characters and no whitespace but " " and "\n"), no
    double space, no space at a line end, no triple newline, nothing to strip, already NFC."""
    return (not text or (text[0] not in " \n" and text[-1] not in " \n")) and "  " not in text \
        and " \n" not in text and "\n " not in text and "\n\n\n" not in text \
        and text.replace("\n", "").isprintable() \
        and (text.isascii() or unicodedata.is_normalized("NFC", text))


def normalise_text(text: str) -> str:
    """Unicode NFC, no control characters, single spaces, stripped lines, at most one blank line in a row."""
    return text if _is_normal(text) else _normalise(text)


def _normalise(text: str) -> str:
    """normalise_text without the shortcut."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _drop_controls(text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _line_key(line: str) -> bytes:
    return hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def boilerplate_lines(texts: Iterable[str], min_docs: int, max_chars: int) -> set[bytes]:
    """Keys of lines (<= max_chars, non-empty) that occur in at least `min_docs` distinct documents. A text that
    occurs several times counts once: copies of one article are a matter for deduplication, not boilerplate."""
    counts: Counter[bytes] = Counter()
    seen_texts: set[bytes] = set()
    for text in texts:
        text_key = _line_key(text)
        if text_key in seen_texts:
            continue
        seen_texts.add(text_key)
        counts.update({_line_key(line) for line in text.split("\n") if line and len(line) <= max_chars})
    return {key for key, n in counts.items() if n >= min_docs}


def strip_lines(text: str, boilerplate: set[bytes]) -> tuple[str, int]:
    """Remove boilerplate lines; returns (text, number of lines removed). A document made only of such lines is
    kept as it is (it is content that recurs, e.g. a short notice, not a page around content)."""
    if not boilerplate:
        return text, 0
    kept, removed = [], 0
    for line in text.split("\n"):
        if line and _line_key(line) in boilerplate:
            removed += 1
        else:
            kept.append(line)
    stripped = _BLANK_LINES.sub("\n\n", "\n".join(kept)).strip()
    return (stripped, removed) if stripped else (text, 0)


def min_chars_for(lang: str, min_chars: dict[str, int]) -> int:
    return int(min_chars.get(lang, min_chars.get("default", 0)))
