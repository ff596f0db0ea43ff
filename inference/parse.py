"""Answer parsing: the option letters a model chose, read from its raw output and the question's options.

Two rules (docs/answer_parsing.md has every case with examples):

- `strict`: only the exact trained answer line counts, as the authors' accuracy script reads it, made fair to end
  tokens: answer mode "###Answer: OPTION A,C IS CORRECT.", rationale mode "###Rationale: ...\\n" followed by that
  line, nothing else (trailing end-of-text tokens such as "</s>" or "<|eot_id|>" and whitespace are ignored).
- `lenient`: a careful reader. In order of trust: the trained answer line (any case, also truncated, plus a later
  "OPTION D IS ALSO CORRECT."; a negated line is none); else the last explicit statement (a cue such as "Answer:",
  "答案：", "正解は", "Ответ:", "La respuesta correcta es" followed by option labels or an option's text, also
  inflected; "not X but Y" in six languages; else labels said to be correct: "C is correct", "选项C正确",
  "Bが正解", or an option's text followed by its own bracketed label); ordinals and numbered options ("the second
  option", "第二个选项", "вариант 2") are read as the label they name first; else an output that is only labels ("B",
  "A & C", "BD", "(C) Pancreas", "Option E: text") or only an option's text ("Pulmonary embolism."); else, in a
  short output, the options it names by their texts and does not deny.

Both return letters that are keys of the question's options, never others: an explicit choice of a letter that is
not an option is `not_an_option` (wrong), a hedge ("B or C"), a bare number ("Answer: 2") or two readings that
conflict is `ambiguous`, and no readable answer is `unparsed`; all three have letters None. Cyrillic (А Б В Г Д)
and Greek labels are read by position, so "Ответ: В" is C, unless the option text after the label says otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from common.prompts import ANSWER_HEADER, RATIONALE_HEADER
from inference import answer_vocab as vocab
from inference import option_text

# end-of-text markers models print when special tokens are not skipped
_END_TOKENS = re.compile(r"(<\|end_of_text\|>|<\|eot_id\|>|<\|endoftext\|>|<\|im_end\|>|</s>|<eos>|<\|end\|>|<pad>|"
                         r"<\|pad\|>)+")
_TRAILING_END = re.compile(rf"(?:\s|{_END_TOKENS.pattern})+\Z")
_MARKUP = re.compile(r"\*\*|__|`")
# characters that glue to a letter to make a word ("Bacteria", "Да", "B12"); CJK text may follow a label ("B选项")
_WORDCH = r"A-Za-z0-9\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF"
_CJK = r"\u3000-\u30FF\u3400-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF"
# Latin letters, the first five Cyrillic and Greek capitals (labels by position) and Cyrillic С/Е (Latin look-alikes);
# other Cyrillic letters standing alone are words ("и", "в", "с"), never labels
_LABEL = re.compile(rf"(?<![{_WORDCH}])([A-Za-zА-Да-дСсЕеΑ-Ε])(?![{_WORDCH}]|['’]\w|-\w|\.\w)")
_CONCAT = re.compile(rf"(?<![{_WORDCH}])([A-Z]{{2,5}})(?=[ \t]*(?:$|\n|[^\w\s]|[{_CJK}]))")
# "E. coli", "S. aureus": a capital, a full stop and a lower-case word is an abbreviation, not a label
_ABBREVIATION = re.compile(r"\.[ \t]+[a-zа-я]")
_LINK = "|".join(vocab.LINK_WORDS)
# after a lower-case label, "A" or "I": the end, punctuation, CJK or a linking word, so "a drug" or "I think" is prose
_SAFE_AFTER = re.compile(rf"[ \t]*(?:$|\n|[^\w\s]|[{_CJK}])|\s+(?i:{_LINK})(?![{_WORDCH}])"
                         rf"|[ \t]+[A-Z](?![{_WORDCH}])")
_AND = re.compile(rf"[ \t]*(?:(?:{'|'.join(vocab.AND_MARKS)})[ \t]*(?:(?i:{'|'.join(vocab.AND_WORDS)})\s+)?"
                  rf"|\s+(?i:{'|'.join(vocab.AND_WORDS)})\s+)")
_OR = re.compile(rf"[ \t]*,?(?:\s+(?i:{'|'.join(vocab.OR_WORDS)})\s+|[ \t]*(?:{'|'.join(vocab.OR_MARKS)})[ \t]*)")
_SPACE = re.compile(r"[ \t]+")


def _word(pattern: str) -> str:
    """A filler word must end at a word boundary; punctuation and CJK fillers need none."""
    return pattern + rf"(?![{_WORDCH}])" if re.match(r"[a-zа-я]", pattern) else pattern


_FILLER = "|".join(_word(f) for f in vocab.FILLERS)
_CUE = re.compile(rf"(?<![{_WORDCH}])(?:{'|'.join(vocab.CUES)})(?:\s*(?:{_FILLER}))*\s*", re.IGNORECASE)
_LABEL_RX = rf"(?<![{_WORDCH}])[A-Za-zА-Да-дСЕ](?![{_WORDCH}])"
_LIST_RX = rf"{_LABEL_RX}(?:(?:{_AND.pattern}|{_OR.pattern}|[ \t]+)?{_LABEL_RX})*"
_PREFIX = r"(?i:options?|opci[óo]n(?:es)?|propositions?|вариант\w*|la|les|el|las|l'option)\s*|选项|選択肢"
_PREDICATE = re.compile(rf"(?P<pre>{_PREFIX})?[(\[]?(?P<labels>{_LIST_RX})[)\]]?\s*"
                        rf"(?i:{'|'.join(vocab.PREDICATES)})")
_ALSO = re.compile(rf"(?P<pre>{_PREFIX})?[(\[]?(?P<labels>{_LIST_RX})[)\]]?\s*(?i:{'|'.join(vocab.ALSO_PREDICATES)})")
_ANSWER_HEAD = re.compile(r"###\s*Answer\s*:\s*(?:OPTIONS?\s*:?\s*)?[(\[]?", re.IGNORECASE)
_NEGATED = re.compile(r"[)\]]?\s*(?:IS|ARE)\s+NOT\b", re.IGNORECASE)
_NUMBER = re.compile(rf"(?:n[°º]\s*|#|№\s*|第\s*)?(\d{{1,2}})(?![.,]\d)(?:\s*(?:个|個|番目?|号))?"
                     rf"(?=[ \t]*(?:$|\n|[^\w\s]|[{_CJK}]))")
_LABEL_TAIL = re.compile(r"[ \t]*[.):\-–—]?[ \t]*")
_LINE_LABEL = re.compile(r"^\s*[(\[]?[A-Ja-j][.):\]]", re.MULTILINE)  # up to ten options
_ARTICLES = re.compile(rf"^(?:(?:{'|'.join(vocab.ARTICLES)})(?:\s+|(?<=['’])))+", re.IGNORECASE)
_SEGMENT_END = re.compile(r"[.;。!?\n](?:\s|$)|[。\n]")
_TEXT_JOIN = re.compile(r"\s*(?:,|、|と|和|及び|及|/|&|;|\+)\s*(?:(?i:and|et|y|и)\s+)?|\s+(?i:and|et|y|и)\s+")
# what may come right before labels said to be correct: a sentence start, punctuation, "both", CJK text
_STATEMENT_START = re.compile(rf"(?:^|[.!?:;,\n(\[*、。，：]|[{_CJK}]|(?i:both|and|only|et|y|и|also))[ \t]*\Z")
_OPENERS = " \t\"'«“([「"
_EDGE_PUNCT = " \t\n.,;:!?。、，\"'«»“”()[]「」"
_SENTENCE_END = ".,;:!?。、，)\n"
_STRICT_LINE = r"###Answer: OPTION ([A-Z](?:,[A-Z])*) IS CORRECT\."
_STRICT = re.compile(rf"(?:{re.escape(RATIONALE_HEADER)}(?:(?!###Answer:).)*\n)?{_STRICT_LINE}", re.DOTALL)
_ANSWER_LINE_END = re.compile(rf"{re.escape(ANSWER_HEADER)}[^\n]*?IS\s+CORRECT\.?", re.IGNORECASE)
_ANSWER_LINE_DONE = re.compile(rf"{re.escape(ANSWER_HEADER)}[^\n]*?IS\s+CORRECT\.", re.IGNORECASE)

# said right after labels or an option's text, they deny it ("B is not correct", "Cではなく", "n'est pas")
_NEG_AFTER = re.compile(rf"[)\]]?[ \t]*(?:{'|'.join(vocab.NEGATION_AFTER)})", re.IGNORECASE)
_NEG_BEFORE = re.compile(rf"(?:^|(?<![{_WORDCH}]))(?:{'|'.join(vocab.NEGATION_BEFORE)})[ \t]*"
                         rf"(?:(?:es|est|is|be|la|le|el|the|a|an|une?|una|de|des|d'|l')[ \t]*)*\Z", re.IGNORECASE)
_HEDGE_AFTER = re.compile(rf"[ \t]*,?[ \t]*(?:{'|'.join(vocab.HEDGE_AFTER)})", re.IGNORECASE)
# "not X, but Y" (X and Y labels or option texts); Japanese "XではなくY"
_NOT = rf"(?:(?<![{_WORDCH}])(?:{'|'.join(vocab.NOT_BEFORE_X)})(?![{_WORDCH}])|不是|并非)"
_BUT = rf"(?:(?<![{_WORDCH}])(?:{'|'.join(b for b in vocab.BUT if not b.startswith('而'))})(?![{_WORDCH}])|而(?:应该?)?是)"
_NOT_BUT = re.compile(rf"{_NOT}[ \t]*(?:(?:es|est|is|be|la|le|el|the)[ \t]+)*(?P<x>[^,，、.。;!?\n]{{1,60}}?)[ \t]*"
                      rf"[,，、]?[ \t]*{_BUT}[ \t]*", re.IGNORECASE)
_X_NOT = re.compile(rf"(?:{'|'.join(vocab.NOT_AFTER_X)})[、,，\s]*")
# ordinals and numbered options ("the second option", "第二个选项", "option 2", "la 3"): read as that position
_ORD = "|".join(f"(?:{alts})" for alts in vocab.ORDINALS)
_OPTION_WORD = "|".join(vocab.OPTION_WORDS)
_POSITIONAL = re.compile(
    rf"(?:(?<![{_WORDCH}])(?:the\s+|la\s+|le\s+|el\s+)?(?P<ord>{_ORD})\s+(?:{_OPTION_WORD})(?![{_WORDCH}])"
    rf"|(?<![{_WORDCH}])(?:{_OPTION_WORD})\s*(?:n[°º]\s*|номер\s*|#\s*)?(?P<num>\d)(?!\d)"
    rf"|第\s*(?P<cjk>[一二三四五1-9])\s*(?:个选项|個の選択肢|个|個|项|項|选项|選択肢)"
    rf"|(?P<ban>[一二三四五1-9])\s*番目(?:の選択肢)?"
    rf"|(?<![{_WORDCH}])(?:la|el)\s+(?P<bare>{_ORD}|\d)(?=[ \t]*(?:[.,;!)]|$))"
    rf"|(?:n[°º]|№|#)\s*(?P<hash>\d)(?!\d))", re.IGNORECASE | re.MULTILINE)
_OPTION_PREFIX = re.compile(r"(?i:option|opci[óo]n|proposition|вариант)[ \t]+(?=[A-Za-zА-Да-д][ \t]*[.:)\-–—])")
_CONTRAST = re.compile(rf"(?<![{_WORDCH}])(?:{'|'.join(vocab.CONTRAST)})(?![{_WORDCH}])", re.IGNORECASE)
_PROSE_BEFORE = re.compile(rf"(?:(?<![{_WORDCH}])(?:{'|'.join(vocab.PROSE_BEFORE)}))[ \t]*"
                           rf"(?:(?:the|an?|la|le|les|l'|el|los|las|une?|una|d'|de)[ \t]+|l')*\Z", re.IGNORECASE)
_PROSE_AFTER = re.compile(rf"(?:{'|'.join(vocab.PROSE_AFTER)})", re.IGNORECASE)
_ENDS_SENTENCE = re.compile(r"[ \t]*(?:[.。!?;\n]|$)")
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_BRACKET_LABEL = re.compile(r"\(\s*([A-J])\s*\)")  # up to ten options (MMLU-ProX)
# what may stand between option texts named together ("la cataracte, à l'ostéoporose et à la rétention")
_MENTION_JOIN = re.compile(r"\s*(?:[,、;/&+]|と|和|及び?|以及)?\s*(?:(?i:and|et|y|и|as well as)\s+)?"
                           r"(?:(?i:à la|à l'|à|de la|de l'|de|the|la|le|les|l'|el|los|las)\s*)?\Z")
_TRANSLIT = {"А": "A", "Б": "B", "В": "B", "Г": "G", "Д": "D", "Е": "E", "С": "C"}

_BY_POSITION = {**dict(zip("АБВГД", "ABCDE")), **dict(zip("ΑΒΓΔΕ", "ABCDE"))}
_LOOKALIKE = {"А": "A", "В": "B", "С": "C", "Е": "E"}
DEFAULT_OPTIONS: Mapping[str, str] = {letter: "" for letter in "ABCDE"}


@dataclass(frozen=True)
class ParsedAnswer:
    letters: tuple[str, ...] | None  # sorted unique keys of the question's options; None = no answer read
    rule: str  # which rule read it: answer_line, answer_line_extra, cue, option_text, letter_list,
    # lone_letter; or why not: unparsed, ambiguous, not_an_option

    @property
    def parsed(self) -> bool:
        return self.letters is not None


@dataclass(frozen=True)
class _Labels:
    raw: tuple[str, ...]
    end: int
    hedged: bool


@dataclass(frozen=True)
class _Statement:
    rank: int  # an answer cue outranks "X is correct", which may be said of one option inside reasoning
    start: int
    end: int
    letters: tuple[str, ...] | None  # None: labels that are not letters at all (e.g. Cyrillic Ж)
    rule: str
    hedged: bool = False
    also: bool = False  # "OPTION D IS ALSO CORRECT.": it adds to another statement rather than stands alone


# ---------------------------------------------------------------------------------------------- text and labels


def normalise_output(text: str) -> str:
    """NFKC (full-width -> ASCII), end-of-text tokens and markdown emphasis removed."""
    text = _END_TOKENS.sub(" ", unicodedata.normalize("NFKC", text))
    return _MARKUP.sub("", text).strip()


def _label_at(text: str, pos: int, loose: bool) -> tuple[str, int] | None:
    """The label starting at `pos` and where it ends, if a reader would read it as an option label there."""
    match = _LABEL.match(text, pos)
    if not match:
        return None
    char, end = match.group(1), match.end()
    if char.islower() and not loose:
        return None
    if _ABBREVIATION.match(text, end):
        return None
    if (char.islower() or char in "AI") and not _SAFE_AFTER.match(text, end):
        return None
    return char, end


def _read_labels(text: str, pos: int, loose: bool) -> _Labels | None:
    """A list of labels at `pos`: "B", "A,C", "A y C", "BとE", "BD"; a hedge ("B or C") is marked."""
    concat = _CONCAT.match(text, pos)
    if concat and list(concat.group(1)) == sorted(set(concat.group(1))):
        return _Labels(tuple(concat.group(1)), concat.end(), False)
    first = _label_at(text, pos, loose)
    if first is None:
        return None
    raw, end, hedged = [first[0]], first[1], False
    while True:
        for sep, is_or in ((_AND, False), (_OR, True), (_SPACE, False)):
            match = sep.match(text, end)
            following = match and _label_at(text, match.end(), loose and sep is not _SPACE)
            if following and not (sep is _SPACE and following[0].islower()):
                raw.append(following[0])
                end, hedged = following[1], hedged or is_or
                break
        else:
            return _Labels(tuple(raw), end, hedged)


def _to_letters(raw: Iterable[str], lookalike: bool = False) -> tuple[str, ...] | None:
    """Option letters for labels; Cyrillic/Greek by position (В is the third), unless they are Latin look-alikes."""
    upper = [char.upper() for char in raw]
    # С and Е are no Cyrillic labels of their own: a list holding them was typed with Latin look-alikes
    lookalike = lookalike or any(char in "СЕ" for char in upper)
    letters = set()
    for char in upper:
        if "A" <= char <= "Z":
            letters.add(char)
        elif lookalike and char in _LOOKALIKE:
            letters.add(_LOOKALIKE[char])
        elif char in _BY_POSITION:
            letters.add(_BY_POSITION[char])
        else:
            return None
    return tuple(sorted(letters))


# ---------------------------------------------------------------------------------------------- option text


def _norm(text: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", text).casefold().split()).strip(_EDGE_PUNCT)
    return _ARTICLES.sub("", text)


@lru_cache(maxsize=8192)
def _variants(options: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """(letter, normalised text) for every way a reader may write an option's text, "E. coli" included."""
    out = []
    for letter, text in options:
        forms = {_norm(text)}
        genus = re.match(r"^\s*([A-Z])[a-z]+\s+([a-z].*)$", text)
        if genus:  # "Escherichia coli" is also written "E. coli" / "E.coli"
            forms |= {_norm(f"{genus[1]}. {genus[2]}"), _norm(f"{genus[1]}.{genus[2]}")}
        out += [(letter, form) for form in forms if form]
    return tuple(out)


def _option_at(text: str, pos: int, options: Mapping[str, str], whole: bool) -> str | None:
    """The option whose text starts at `pos` (the longest; None when two options tie); `whole`: it must end there."""
    if whole:
        rest = _norm(text[pos:pos + 400])
    else:  # right after a cue: quotes and brackets may open the text, a full stop ends the statement
        rest = _ARTICLES.sub("", " ".join(text[pos:pos + 400].casefold().split()).lstrip(_OPENERS))
    best, size, tie = None, 0, False
    for letter, form in _variants(tuple(options.items())):
        if not rest.startswith(form):
            continue
        after = rest[len(form):len(form) + 1]
        if after and (after not in _SENTENCE_END if whole else re.match(f"[{_WORDCH}]", after)):
            continue
        if len(form) > size:
            best, size, tie = letter, len(form), False
        elif len(form) == size and letter != best:
            tie = True
    return None if tie else best


def _option_list(text: str, pos: int, options: Mapping[str, str]) -> tuple[str, ...] | None:
    """Two or more options named by their texts up to the end of the sentence ("ワルファリンとアピキサバン")."""
    segment = _SEGMENT_END.split(text[pos:], maxsplit=1)[0]
    parts = [part for part in _TEXT_JOIN.split(segment.strip(_EDGE_PUNCT)) if part.strip()]
    if len(parts) < 2:
        return None
    letters = [_option_at(part, 0, options, whole=True) for part in parts]
    return None if None in letters else tuple(sorted(set(letters)))


def _spelled_like_labels(form: str) -> bool:
    return re.fullmatch(r"[a-zа-я]{1,5}", form) is not None


# ---------------------------------------------------------------------------------------------- statements


def _position_letter(index: int, options: Mapping[str, str]) -> str:
    """The option at 1-based `index` in the order shown; a letter past the options (not_an_option) beyond them."""
    keys = sorted(options)
    return keys[index - 1] if 1 <= index <= len(keys) else chr(ord("A") + min(index, 26) - 1)


def _ordinal_index(word: str) -> int:
    for index, alts in enumerate(vocab.ORDINALS, start=1):
        if re.fullmatch(alts, word, re.IGNORECASE):
            return index
    return int(word) if word.isdigit() else _KANJI_DIGITS.get(word, 0)


def rewrite_positions(text: str, options: Mapping[str, str]) -> str:
    """Ordinals and numbered options written as labels: "the second option" / "第二个选项" / "вариант 2" / "la 2"
    -> " option B ", so the statement rules read them; a bare "2" after a cue stays a number (ambiguous)."""
    def label(match: re.Match) -> str:
        word = next(g for g in match.groups() if g)
        return f" option {_position_letter(_ordinal_index(word), options)} "

    return _POSITIONAL.sub(label, text)


def _negated(text: str, start: int, end: int) -> bool:
    """Whether the label or option text at text[start:end] is denied ("not B", "B is not correct", "Bではなく")."""
    return bool(_NEG_AFTER.match(text, end) or _NEG_BEFORE.search(text[max(0, start - 40):start]))


def _cyrillic_named(text: str, labels: _Labels, options: Mapping[str, str]) -> str | None:
    """"Ответ: Д — акарбоза": a Cyrillic label followed by an option's text; the text decides between reading the
    label by position (Д = E) and as a transliterated Latin letter (Д = D). None: no text or no agreement."""
    if len(labels.raw) != 1 or labels.raw[0].upper() not in _TRANSLIT:
        return None
    tail = _LABEL_TAIL.match(text, labels.end).end()
    named = _option_at(text, tail, options, whole=False)
    if named is None and (mention := option_text.option_at(text, tail, options)) is not None:
        named = mention.letter
    char = labels.raw[0].upper()
    readings = {_BY_POSITION.get(char), _TRANSLIT[char], _LOOKALIKE.get(char)}
    return named if named in readings else None


def _after_cue(text: str, start: int, pos: int, options: Mapping[str, str]) -> _Statement | None:
    """What a cue announces at `pos`: an option's text, labels or an option's number; None when it is denied."""
    option = _option_at(text, pos, options, whole=False)
    if option and (named := _option_list(text, pos, options)):
        return _Statement(2, start, pos, named, "option_text")
    labels = _read_labels(text, pos, loose=True)
    if option and (labels is None or not _spelled_like_labels(_norm(options[option]))):
        mention = option_text.option_at(text, pos, options)
        if mention is not None and _NEG_AFTER.match(text, mention.end):
            return None
        return _Statement(2, start, pos, (option,), "option_text")
    if labels:
        return _cue_labels(text, start, labels, options)
    number = _NUMBER.match(text, pos)
    if number:
        # "Answer: 2": a reader cannot tell whether the options are numbered in the order shown; "第3个" he can
        clear = number.group(0)[0] in "n#№第" or not number.group(0).rstrip().isdigit()
        letter = _position_letter(int(number.group(1)), options)
        return _Statement(2, start, number.end(), (letter,), "cue", hedged=not clear)
    mention = option_text.option_at(text, pos, options)
    if mention is not None and not _NEG_AFTER.match(text, mention.end):
        return _Statement(2, start, mention.end, (mention.letter,), "option_text")
    return None


def _cue_labels(text: str, start: int, labels: _Labels, options: Mapping[str, str]) -> _Statement | None:
    """Labels after a cue: denied ("Answer: B is not correct") -> None; hedged by what follows ("A, but it could
    also be E"); a single label whose following text names another option is a conflict (ambiguous)."""
    if _NEG_AFTER.match(text, labels.end):
        return None
    letters = _to_letters(labels.raw)
    hedged = labels.hedged or bool(_HEDGE_AFTER.match(text, labels.end))
    if (cyrillic := _cyrillic_named(text, labels, options)) is not None:
        return _Statement(2, start, labels.end, (cyrillic,), "cue", hedged)
    if letters and len(letters) == 1 and letters[0] in options:
        # "(C) Pancreas" where Pancreas is option D: the label and the text disagree
        named = _option_at(text, _LABEL_TAIL.match(text, labels.end).end(), options, whole=False)
        hedged = hedged or (named is not None and named != letters[0])
    return _Statement(2, start, labels.end, letters, "cue", hedged)


def _not_but(text: str, options: Mapping[str, str]) -> list[_Statement]:
    """"it's not A, but B", "答案不是A，而是C", "Не А, а D", "no es la A, sino la C", "AではなくC": Y is the answer
    (X must itself be a label or an option's text, so "not only ... but also" is no answer)."""
    found = []
    for match in _NOT_BUT.finditer(text):
        x = match.group("x").strip()
        if not (_read_labels(x, 0, loose=True) or _option_at(x, 0, options, whole=True)
                or option_text.option_at(x, 0, options)):
            continue
        if (st := _after_cue(text, match.start(), _skip_fillers(text, match.end()), options)) is not None:
            found.append(st)
    for match in _X_NOT.finditer(text):
        if (st := _after_cue(text, match.start(), match.end(), options)) is not None:
            found.append(st)
    return found


def _skip_fillers(text: str, pos: int) -> int:
    filler = re.compile(rf"(?:{_FILLER})\s*", re.IGNORECASE)
    while (match := filler.match(text, pos)) and match.end() > pos:
        pos = match.end()
    return pos


def _bracketed(text: str, options: Mapping[str, str]) -> list[_Statement]:
    """"Graves disease (B) is the most likely diagnosis", "考虑主动脉夹层(B)": an option's text followed by its own
    label in brackets, not denied. Several different ones are a hedge."""
    found = []
    for match in _BRACKET_LABEL.finditer(text):
        before = text[max(0, match.start() - 150):match.start()].rstrip()
        named = option_text.mentions(before, options)
        if not named or named[-1].end != len(before) or named[-1].letter != match.group(1):
            continue
        offset = match.start() - len(text[max(0, match.start() - 150):match.start()])
        if not _negated(text, offset + named[-1].start, match.end()):
            found.append(_Statement(1, match.start(), match.end(), (match.group(1),), "cue"))
    if len({st.letters for st in found}) > 1:
        return [_Statement(1, found[-1].start, found[-1].end, found[-1].letters, "cue", hedged=True)]
    return found


def _statements(text: str, options: Mapping[str, str]) -> list[_Statement]:
    """Every explicit answer statement: cues followed by an answer, "not X but Y", labels said to be correct, and
    an option's text followed by its label in brackets."""
    found = [st for cue in _CUE.finditer(text) if (st := _after_cue(text, cue.start(), cue.end(), options))]
    found += _not_but(text, options)
    for match in _PREDICATE.finditer(text):
        if match.group("pre") is None and not _STATEMENT_START.search(text, 0, match.start()):
            continue  # "Vitamin D is correct", "hepatitis B is the right diagnosis": a name, not a label
        labels = _read_labels(match.group("labels"), 0, loose=match.group("pre") is not None)
        if labels and labels.end == len(match.group("labels")):
            also = _ALSO.match(text, match.start()) is not None
            found.append(_Statement(1, match.start(), match.end(), _to_letters(labels.raw), "cue", labels.hedged,
                                    also))
    return found + _bracketed(text, options)


def _also(text: str, after: int) -> set[str]:
    """Letters a later "OPTION D IS ALSO CORRECT." adds."""
    extra: set[str] = set()
    for match in _ALSO.finditer(text, after):
        labels = _read_labels(match.group("labels"), 0, loose=match.group("pre") is not None)
        if labels and labels.end == len(match.group("labels")) and not labels.hedged:
            extra |= set(_to_letters(labels.raw, lookalike=True) or ())
    return extra


def _answer_line(text: str) -> _Statement | None:
    """The first trained answer line that names labels ("###Answer: OPTION a, c IS CORRECT", also truncated)."""
    for head in _ANSWER_HEAD.finditer(text):
        labels = _read_labels(text, head.end(), loose=True)
        if labels and not _NEGATED.match(text, labels.end):
            return _Statement(3, head.start(), labels.end, _to_letters(labels.raw, lookalike=True), "answer_line",
                              labels.hedged)
    return None


def _only_labels(text: str, options: Mapping[str, str]) -> _Statement | None:
    """A text that is nothing but labels ("B", "(B)", "A & C", "BD"), or one label and its option's text."""
    pos = len(text) - len(text.lstrip(" \t([")) if text else 0
    if prefix := _OPTION_PREFIX.match(text, pos):  # "Opción E: vitamina K", "Option E: Vancomycin"
        pos = prefix.end()
    labels = _read_labels(text, pos, loose=True)
    if labels is None:
        return None
    letters = _to_letters(labels.raw)
    rest = text[_LABEL_TAIL.match(text, labels.end).end():].strip(_EDGE_PUNCT)
    if rest:
        named = _option_at(rest, 0, options, whole=True) if letters and len(letters) == 1 else None
        if named is None or named != letters[0]:
            return None
    rule = "lone_letter" if len(labels.raw) == 1 else "letter_list"
    return _Statement(0, 0, len(text), letters, rule, labels.hedged)


def _bare_answer(text: str, options: Mapping[str, str]) -> _Statement | None:
    """An output (or its first or last line) that is only labels or only an option's text."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    candidates = [text]
    if len(lines) > 1 and len(_LINE_LABEL.findall(text)) <= 1:  # several "A." lines: the options copied out
        candidates += [lines[0], lines[-1]]
    for candidate in candidates:
        if (st := _only_labels(candidate, options)) is not None:
            return st
        if (named := _option_list(candidate, 0, options)) is not None:
            return _Statement(0, 0, len(text), named, "option_text")
        if (option := _option_at(candidate, 0, options, whole=True)) is not None:
            mention = option_text.option_at(candidate, 0, options)
            if mention is None or not _NEG_AFTER.match(candidate, mention.end):  # "Neumotórax: no."
                return _Statement(0, 0, len(text), (option,), "option_text")
    return None


def _prose_answer(text: str, options: Mapping[str, str]) -> _Statement | None:
    """No cue, no label: the options whose texts the output names and does not deny ("The most likely diagnosis is
    Graves disease", "Лечение следует начинать с метформина"). One option, or several named together in one list
    ("la cataracte, l'ostéoporose et la rétention hydrosodée"); options named apart are reasoning, not an answer."""
    if len(_SEGMENT_END.findall(text.rstrip(" .。!?"))) > 2 or _CONTRAST.search(text):
        return None  # a longer text, or one that turns ("..., but the question is about ..."), is reasoning
    named = [m for m in option_text.mentions(text, options) if not _negated(text, m.start, m.end)]
    letters = sorted({m.letter for m in named})
    if not letters:
        return None
    if len(letters) > 1:
        joined = all(_MENTION_JOIN.match(text[a.end:b.start]) for a, b in zip(named, named[1:]))
        if not joined:
            return None
    # chosen, not merely named: the complement of "is", "es la", "является", "诊断为" ..., or followed by "が正解"
    before = _PROSE_BEFORE.search(text[max(0, named[0].start - 60):named[0].start])
    after = _PROSE_AFTER.match(text, named[-1].end)
    if not (before and _ENDS_SENTENCE.match(text, named[-1].end)) and not after:
        return None
    return _Statement(-1, named[0].start, named[-1].end, tuple(letters), "option_text")


# ---------------------------------------------------------------------------------------------- rules


def _verdict(st: _Statement, options: Mapping[str, str], extra: Iterable[str] = ()) -> ParsedAnswer:
    if st.hedged:
        return ParsedAnswer(None, "ambiguous")
    letters = set(st.letters or ()) | set(extra)
    if st.letters is None or not letters <= set(options):
        return ParsedAnswer(None, "not_an_option")
    rule = "answer_line_extra" if st.rule == "answer_line" and not letters <= set(st.letters) else st.rule
    return ParsedAnswer(tuple(sorted(letters)), rule)


def parse_strict(output: str, options: Mapping[str, str] | None = None) -> ParsedAnswer:
    """Only the exact trained answer line (answer mode), or a rationale followed by it (rationale mode)."""
    options = DEFAULT_OPTIONS if options is None else options
    match = _STRICT.fullmatch(_TRAILING_END.sub("", output).strip())
    if match is None:
        return ParsedAnswer(None, "unparsed")
    return _verdict(_Statement(3, 0, len(output), tuple(sorted(set(match.group(1).split(",")))), "answer_line"),
                    options)


def parse_lenient(output: str, options: Mapping[str, str] | None = None) -> ParsedAnswer:
    """The letters a careful reader would say the output chose (options None: letters A-E, texts unknown)."""
    options = DEFAULT_OPTIONS if options is None else options
    text = normalise_output(output)
    line = _answer_line(text)
    if line is not None:
        return _verdict(line, options, _also(text, line.end))
    text = rewrite_positions(text, options)
    found = _statements(text, options)
    if found:
        # the strongest kind of statement; of those the last, since reasoning states its conclusion at the end; a
        # statement that only adds ("D is also correct") adds to another one when there is one
        chosen = max([st for st in found if not st.also] or found, key=lambda st: (st.rank, st.start))
        return _verdict(chosen, options, _also(text, chosen.end))
    bare = _bare_answer(text, options) or _prose_answer(text, options)
    return _verdict(bare, options) if bare else ParsedAnswer(None, "unparsed")


RULES: dict[str, Callable[[str, Mapping[str, str]], ParsedAnswer]] = {"strict": parse_strict,
                                                                         "lenient": parse_lenient}
parse_answer = parse_lenient


def is_correct(parsed: ParsedAnswer, gold: Iterable[str], options: Iterable[str]) -> bool:
    """Right only when the predicted set equals the gold set and every letter is an option."""
    if parsed.letters is None:
        return False
    option_set = set(options)
    if any(letter not in option_set for letter in parsed.letters):
        return False
    return set(parsed.letters) == set(gold)


def cut_after_answer_line(text: str) -> str:
    """Generated text up to and including the first completed answer line (what generation keeps)."""
    match = _ANSWER_LINE_END.search(text)
    return text[: match.end()] if match else text


def has_answer_line(text: str) -> bool:
    """A completed answer line, final full stop included (generation stops there)."""
    return _ANSWER_LINE_DONE.search(text) is not None


def extract_rationale(output: str) -> str:
    """The generated rationale: the text before the answer line, without the "###Rationale:" header."""
    text = _END_TOKENS.sub(" ", output)
    cut = text.find(ANSWER_HEADER)
    if cut < 0:
        match = re.search(r"###\s*Answer\s*:", text, re.IGNORECASE)
        cut = match.start() if match else len(text)
    rationale = text[:cut].strip()
    if rationale.startswith(RATIONALE_HEADER):
        rationale = rationale[len(RATIONALE_HEADER):]
    return rationale.strip()
