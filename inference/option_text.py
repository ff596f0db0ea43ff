"""Where an output names an option by its text, allowing for inflection (the lenient reader's helper).

Russian, French and Spanish inflect what an option states: option "Липазы" is named "липаза", "Метформин" is
named "метформина", "Embolia pulmonar" is "embolias pulmonares", "Graves disease" is "Graves' disease". Words are
compared after NFKC, case folding and dropping accents, and two words are the same when they share all but a short
ending (at most 3 characters of the longer word; words of 3 letters or fewer must be equal). An option of several
words must be named by all of them in order. Chinese and Japanese do not inflect: their options are found as
substrings. No dictionary is needed, so any option text works offline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from inference import answer_vocab as vocab

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30FF\u3400-\u9FFF\uF900-\uFAFF]")
_ARTICLE_WORDS = frozenset(vocab.ARTICLE_WORDS)
_MAX_ENDING = 3


@dataclass(frozen=True)
class Mention:
    letter: str
    start: int  # character offsets in the text that was searched
    end: int


def fold(text: str) -> str:
    """NFKC, case folded, accents dropped (length-preserving for the scripts the options use)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return out if len(out) == len(text) else text  # keep offsets valid when folding changed the length


def same_word(a: str, b: str) -> bool:
    """Equal up to an inflectional ending: "липаза" ~ "липазы", "метформина" ~ "метформин", "embolias" ~ "embolia"."""
    if a == b:
        return True
    if min(len(a), len(b)) <= 3:
        return False
    common = len(_common_prefix(a, b))
    return common >= max(len(a), len(b)) - _MAX_ENDING and common >= 4


def _common_prefix(a: str, b: str) -> str:
    size = 0
    for x, y in zip(a, b):
        if x != y:
            break
        size += 1
    return a[:size]


@lru_cache(maxsize=4096)
def _option_forms(options: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """(letter, content words, folded text) per option; leading articles dropped ("La cataracte" -> cataracte)."""
    out = []
    for letter, text in options:
        folded = fold(text).strip()
        words = [w for w in _WORD.findall(folded)]
        while len(words) > 1 and words[0] in _ARTICLE_WORDS:
            words = words[1:]
        out.append((letter, tuple(words), folded))
    return tuple(out)


def _is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def mentions(text: str, options: Mapping[str, str]) -> list[Mention]:
    """Every place an option's text is named, longest first where two overlap, in text order. Options too short to
    be told from ordinary words (one word of 3 letters or fewer: "да", "нет", "yes") are not searched."""
    folded = fold(text)
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]
    found: list[Mention] = []
    for letter, words, whole in _option_forms(tuple(options.items())):
        if not words or (len(words) == 1 and len(words[0]) <= 3 and not _is_cjk(whole)):
            continue
        if _is_cjk(whole):
            target = "".join(whole.split())
            found += [Mention(letter, m.start(), m.end()) for m in re.finditer(re.escape(target), folded)]
            continue
        for i in range(len(tokens) - len(words) + 1):
            if all(same_word(tokens[i + k][0], words[k]) for k in range(len(words))):
                found.append(Mention(letter, tokens[i][1], tokens[i + len(words) - 1][2]))
    return _longest_first(found)


def _longest_first(found: list[Mention]) -> list[Mention]:
    kept: list[Mention] = []
    for m in sorted(found, key=lambda m: (-(m.end - m.start), m.start)):
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def option_at(text: str, pos: int, options: Mapping[str, str]) -> Mention | None:
    """The option named by the words right at `pos` (articles and opening quotes skipped), allowing inflection."""
    rest = text[pos:pos + 300]
    skip = re.match(rf"[\s\"'«“(\[「]*(?:(?:{'|'.join(vocab.ARTICLES)})(?:\s+|(?<=['’])))*", rest, re.IGNORECASE)
    offset = skip.end() if skip else 0
    for mention in mentions(rest[offset:], options):
        if mention.start == 0:
            return Mention(mention.letter, pos + offset, pos + offset + mention.end)
        break
    return None
