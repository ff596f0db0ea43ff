"""The text of a saved web page from its bytes: the declared encoding when it is right, else a detected one.

    text, encoding = decode_page(raw, content_type="text/html; charset=iso-8859-1")

In order: a byte order mark; UTF-8 when the bytes are valid UTF-8 (legacy-encoded text with accents or CJK is
practically never valid UTF-8, while pages that declare Latin-1 but are UTF-8 are common); the charset of the
HTTP Content-Type (WARC records); a `<meta charset>` or `http-equiv` declaration in the first 4,096 bytes (the
order of https://html.spec.whatwg.org/#determining-the-character-encoding); else charset-normalizer's guess
among the legacy encodings of our eight languages. A declaration is used only when the bytes decode with it (a
page that says utf-8 but is Latin-1 is detected instead). Restricting detection to those encodings matters: unrestricted, a short French or
Spanish page without a charset is guessed as cp1250 and its accents come out as Czech letters (è -> č).
Latin-1 is read as windows-1252, its superset, as the HTML standard says.
"""

from __future__ import annotations

import codecs
import re

# the legacy encodings of en fr es de (cp1252), ru (cp1251, koi8-r), zh (gb18030, big5), ja (shift_jis, euc-jp,
# iso-2022-jp) and ar (cp1256, iso-8859-6); UTF-8 is tried first
LEGACY_ENCODINGS = ("cp1252", "cp1251", "koi8_r", "gb18030", "big5", "shift_jis", "euc_jp", "iso2022_jp", "cp1256",
                    "iso8859_6")
# labels the HTML standard maps to a superset
_SUPERSETS = {"iso8859_1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030", "shift_jis": "cp932"}
_BOMS = ((codecs.BOM_UTF8, "utf_8_sig"), (codecs.BOM_UTF16_LE, "utf_16"), (codecs.BOM_UTF16_BE, "utf_16"))
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_META = re.compile(rb"<meta[^>]+>", re.IGNORECASE)


class UndecodableError(ValueError):
    """Bytes that decode as none of the tried encodings."""


def _codecs(label: str | None) -> list[str]:
    """Python's codec names for an encoding label: the HTML standard's superset first, then the label's own."""
    if not label:
        return []
    try:
        name = codecs.lookup(label.strip()).name.replace("-", "_")
    except LookupError:
        return []
    return [_SUPERSETS[name], name] if name in _SUPERSETS else [name]


def _try(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        return None


def declared_charset(raw: bytes) -> str | None:
    """The charset a page declares in a <meta> tag of its first 4,096 bytes, if any."""
    for tag in _META.findall(raw[:4096]):
        match = _CHARSET.search(tag)
        if match:
            return match.group(1).decode("ascii", "replace")
    return None


def decode_page(raw: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, codec used); raises UndecodableError when no encoding fits the bytes."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace"), codec
    text = _try(raw, "utf_8")
    if text is not None:
        return text, "utf_8"
    header = _CHARSET.search(content_type.encode("ascii", "replace")) if content_type else None
    for label in (header.group(1).decode("ascii") if header else None, declared_charset(raw)):
        for codec in _codecs(label):
            text = _try(raw, codec)
            if text is not None:
                return text, codec
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None:
        raise UndecodableError("not text in UTF-8 or a known legacy encoding of our languages")
    return str(best), best.encoding
