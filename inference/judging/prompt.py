"""What the LLM judge is asked, and how its reply is read.

The judge sees what a human rater sees (inference/judging/sheets.py): the question, its options, the correct
answer, optionally the reference rationale, and the rationales of every model labelled R1, R2, ... in one order,
and is asked for the same three 1-5 scores per rationale, as JSON. The parser is tolerant: the JSON may sit in a
code fence or among prose, may be a list or an object keyed by label; failing that, lines such as
"R2: accuracy 4, reasoning 3, knowledge 5" are read. A reply that does not score every shown rationale on every
criterion within 1-5 is unparsed (with the reason), never half used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from inference.judging.items import CRITERIA, SCALE, StudyItem, label, options_text

SYSTEM = ("You are a senior physician and medical educator who grades the written rationales for medical "
          "licensing exam questions. You are strict, fair and consistent, and you judge content, not length.")

_TASK = f"""Rate every rationale relative to the others, on three criteria, each an integer from {SCALE[0]} (worst) \
to {SCALE[1]} (best):
- accuracy: are its medical facts and its conclusion correct?
- reasoning: does it argue step by step from the case to the answer, without gaps or contradictions?
- knowledge: does it bring in and connect the relevant medical knowledge?
Equal scores are allowed. An empty or off-topic rationale gets {SCALE[0]}. The order of the rationales means nothing.
Reply with JSON only, in this form:
{{"ratings": [{{"label": "R1", "accuracy": 4, "reasoning": 3, "knowledge": 4}}, ...]}}"""


def judge_messages(item: StudyItem, order: Sequence[str], show_reference: bool) -> list[dict[str, str]]:
    """The chat messages that ask the judge to rate `item`'s rationales shown in `order` (model names)."""
    parts = [f"Question ({item.language}):\n{item.question}", f"Options:\n{options_text(item.options)}",
             f"Correct answer: {','.join(item.gold_answer)}"]
    if show_reference:
        parts.append(f"Reference rationale (written and checked by experts):\n{item.gold_rationale}")
    for pos, model in enumerate(order):
        parts.append(f"Rationale {label(pos)}:\n{item.rationales[model] or '(empty)'}")
    parts.append(_TASK)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


@dataclass(frozen=True)
class ParsedReply:
    ratings: dict[str, dict[str, int]] | None  # label -> criterion -> score; None = unparsed
    how: str  # "json" | "text" | "unparsed"
    reason: str = ""


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_LABEL = re.compile(r"\b(?:R|Rationale\s*R?)\s*(\d{1,2})\b", re.IGNORECASE)
# "knowledge integration: 3", "accuracy = 4/5": the first number within a few words of the criterion's name
_CRIT = {c: re.compile(rf"{c}[^\d\n]{{0,24}}?(\d+(?:\.\d+)?)", re.IGNORECASE) for c in CRITERIA}


def _json_candidates(text: str) -> list[object]:
    """Every JSON value that starts at a '{' or '[' of the text (fenced blocks first)."""
    found = []
    decoder = json.JSONDecoder()
    for chunk in [*_FENCE.findall(text), text]:
        for i, ch in enumerate(chunk):
            if ch in "{[":
                try:
                    value, _ = decoder.raw_decode(chunk, i)
                except ValueError:
                    continue
                found.append(value)
    return found


def _label_of(value: object) -> str | None:
    match = _LABEL.search(str(value)) or re.fullmatch(r"\s*(\d{1,2})\s*", str(value))
    return f"R{int(match.group(1))}" if match else None


def _from_json(value: object) -> dict[str, dict] | None:
    if isinstance(value, dict) and isinstance(value.get("ratings"), (list, dict)):
        value = value["ratings"]
    entries: list[tuple[object, object]] = []
    if isinstance(value, list):
        entries = [(e.get("label", e.get("rationale", e.get("id"))), e) for e in value if isinstance(e, dict)]
    elif isinstance(value, dict):
        entries = list(value.items())
    out = {}
    for key, scores in entries:
        lab = _label_of(key)
        if lab and isinstance(scores, dict):
            out[lab] = {c: scores.get(c, scores.get(c.capitalize())) for c in CRITERIA}
    return out or None


def _from_text(text: str) -> dict[str, dict] | None:
    out = {}
    for line in text.splitlines():
        lab = _LABEL.search(line)
        if not lab:
            continue
        scores = {c: m.group(1) for c, pattern in _CRIT.items() if (m := pattern.search(line))}
        if scores:
            out[f"R{int(lab.group(1))}"] = scores
    return out or None


def _check(ratings: dict[str, dict], labels: Sequence[str]) -> tuple[dict[str, dict[str, int]] | None, str]:
    out: dict[str, dict[str, int]] = {}
    for lab in labels:
        if lab not in ratings:
            return None, f"no scores for {lab}"
        out[lab] = {}
        for crit in CRITERIA:
            raw = ratings[lab].get(crit)
            try:
                value = float(raw)
            except (TypeError, ValueError):
                return None, f"{lab} {crit}: {raw!r} is not a number"
            if not value.is_integer() or not SCALE[0] <= value <= SCALE[1]:
                return None, f"{lab} {crit}: {raw!r} is not an integer {SCALE[0]}-{SCALE[1]}"
            out[lab][crit] = int(value)
    return out, ""


def parse_reply(text: str, n_rationales: int) -> ParsedReply:
    """Scores for labels R1..R<n> from the judge's reply: JSON first, then 'R2: accuracy 4, ...' lines."""
    labels = [label(i) for i in range(n_rationales)]
    reason = ""
    for value in _json_candidates(text):
        ratings = _from_json(value)
        if ratings is not None:
            checked, reason = _check(ratings, labels)
            if checked is not None:
                return ParsedReply(checked, "json")
    ratings = _from_text(text)
    if ratings is not None:
        checked, text_reason = _check(ratings, labels)
        if checked is not None:
            return ParsedReply(checked, "text")
        reason = reason or text_reason  # a JSON answer's own problem says more than the text reading's
    return ParsedReply(None, "unparsed", reason or "no JSON ratings and no 'R<k>: accuracy <s>, reasoning <s>, "
                       "knowledge <s>' lines")
