"""Answer parsing: the option letters a model chose, read from its raw output.

Accepted, in order of trust (an answer line wins; else the last match of kinds 2 and 3; else kind 4):
1. the trained answer line: "###Answer: OPTION A,C IS CORRECT." (any case, "OPTIONS", "ARE", spaces);
2. "OPTION C IS CORRECT" anywhere; 3. an explicit answer cue: "Answer: B", "The answer is B", "答案：B",
"正解は B", "Ответ: B", "Respuesta: B", "Réponse : B"; 4. a lone letter ("B", "(B)", "B."), before trailing
end-of-text tokens.

Text is NFKC-normalised first, so full-width letters and punctuation ("Ｂ", "：", "，") read as ASCII; Cyrillic
and Greek capitals that look like Latin ones (А В С Е) are read as Latin inside an answer. Nothing is stripped to
ASCII. Letters not among the question's options make the answer wrong (they are kept, not dropped); an output
with no readable answer is "unparsed" and counts as wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from common.prompts import ANSWER_HEADER, RATIONALE_HEADER

# end-of-text markers models print when special tokens are not skipped
_END_TOKENS = re.compile(r"(<\|end_of_text\|>|<\|eot_id\|>|<\|endoftext\|>|<\|im_end\|>|</s>|<eos>|<\|end\|>|<pad>|"
                         r"<\|pad\|>)+")
_LOOKALIKES = str.maketrans({"А": "A", "В": "B", "С": "C", "Е": "E", "Α": "A", "Β": "B", "Ε": "E"})
_LETTER = r"[A-ZА-ЯΑ-Ω]"
# a letter must not run into a word ("Bacteria", "Да"); CJK text may follow directly ("B选项", "Bです")
_NOT_WORD = r"(?![A-Za-z0-9\u0370-\u03FF\u0400-\u04FF])"
# the pronoun "I" ("I think", "I'm") is not option I
_OPTION_LETTER = rf"(?!I\s+[a-z]|I')(?:{_LETTER}){_NOT_WORD}"
# letters joined by commas, "、", "/", "&", "and"/"et"/"y"/"и"/"和", also ", and" (a model's paraphrase of "A,C")
_JOIN = r"(?:\s*(?:,|、|/|&|;)\s*(?:(?i:and|et|y|и|und)\s+)?|\s+(?i:and|et|y|и|und)\s+|\s*[和及]\s*)"
# a bare space joins two letters only inside a list of letters ("A C IS CORRECT"), not "A I believe"
_SPACE_JOIN = (rf"\s+(?={_OPTION_LETTER}(?:{_JOIN}|\s+{_OPTION_LETTER}|\s*(?i:IS|ARE)\b|\s*[.)\]]|\s*$))")
_SEP = rf"(?:{_JOIN}|{_SPACE_JOIN})"
_LETTERS = rf"({_OPTION_LETTER}(?:{_SEP}{_OPTION_LETTER})*)"

# keywords ignore case (scoped (?i:...)); letters never do, so the article "a" is not option A
_OPTION_CORRECT = re.compile(rf"(?i:OPTIONS?)\s*:?\s*{_LETTERS}\s*(?i:IS|ARE)\s+(?i:CORRECT)")
_ANSWER_LINE = re.compile(rf"(?i:###\s*Answer\s*:)\s*(?i:OPTIONS?)?\s*:?\s*\(?{_LETTERS}")
_CUES = (
    r"(?:the\s+)?(?:correct\s+|final\s+)?answer\s*(?:is|:)?",  # English
    r"(?:la\s+)?(?:bonne\s+)?r[ée]ponse\s*(?:est|:)?",  # French
    r"(?:la\s+)?respuesta\s*(?:correcta\s*)?(?:es|:)?",  # Spanish
    r"(?:правильный\s+)?ответ\s*(?:[—-]|:)?",  # Russian
    r"(?:正确)?答案\s*(?:是|为|:)?",  # Chinese
    r"故?选",  # Chinese: "故选B"
    r"正解\s*(?:は|:)?",  # Japanese
    r"答え\s*(?:は|:)?",  # Japanese
)
# an article may stand before the letter: "la C", "el B", "le A"
_CUE = re.compile(rf"(?i:{'|'.join(_CUES)})\s*(?i:option\s*)?[:\s]*(?i:(?:la|le|el|l')\s*)?[(\[]?{_LETTERS}")
_LONE = re.compile(rf"^\W*\(?({_LETTER})\)?[.)]?\W*$")
_ANSWER_LINE_END = re.compile(rf"{re.escape(ANSWER_HEADER)}[^\n]*?IS\s+CORRECT\.?", re.IGNORECASE)
_ANSWER_LINE_DONE = re.compile(rf"{re.escape(ANSWER_HEADER)}[^\n]*?IS\s+CORRECT\.", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedAnswer:
    letters: tuple[str, ...] | None  # sorted unique letters; None = unparsed
    how: str  # "answer_line" | "option_correct" | "cue" | "lone_letter" | "unparsed"

    @property
    def parsed(self) -> bool:
        return self.letters is not None


def normalise_output(text: str) -> str:
    """NFKC (full-width -> ASCII) and end-of-text tokens removed."""
    return _END_TOKENS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _letters(group: str) -> tuple[str, ...]:
    found = re.findall(_LETTER, group.translate(_LOOKALIKES))
    return tuple(sorted({x.translate(_LOOKALIKES) for x in found}))


def parse_answer(output: str) -> ParsedAnswer:
    """The letters the output chooses (sorted), or unparsed."""
    text = normalise_output(output)
    # the trained answer line: the first one (generation stops there)
    for match in _ANSWER_LINE.finditer(text):
        if letters := _letters(match.group(1)):
            return ParsedAnswer(letters, "answer_line")
    # looser forms: the last one in the text, since a reasoning text states its conclusion at the end
    # ("Option A is correct only in children ... the answer is C")
    found = [(match.start(), how, letters) for how, pattern in (("option_correct", _OPTION_CORRECT), ("cue", _CUE))
             for match in pattern.finditer(text) if (letters := _letters(match.group(1)))]
    if found:
        _, how, letters = max(found)
        return ParsedAnswer(letters, how)
    lone = _LONE.match(text)
    if lone:
        return ParsedAnswer(_letters(lone.group(1)), "lone_letter")
    return ParsedAnswer(None, "unparsed")


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
