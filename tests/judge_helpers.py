"""Shared material of the rationale-study tests: prediction files of three models made from the MMedBench samples,
an "oracle" that scores a rationale by how much of the reference it repeats, and sheet filling."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from common.mmedbench import load_split
from inference.judging.backends import ChatReply

MODELS = ("gold", "swapped", "empty")


def write_predictions(samples_dir: Path, out: Path) -> list[str]:
    """gold: writes the reference rationale; swapped: the next question's; empty: only the answer line.
    Returns the name=path specs."""
    records = load_split(samples_dir / "mmedbench" / "Test")
    specs = []
    for model in MODELS:
        lines = []
        for i, rec in enumerate(records):
            other = records[(i + 1) % len(records)]
            rationale = {"gold": rec.gold_rationale, "swapped": other.gold_rationale, "empty": ""}[model]
            output = (f"###Rationale: {rationale}\n" if rationale else "") + \
                f"###Answer: OPTION {','.join(rec.gold_answer)} IS CORRECT."
            lines.append({"id": rec.id, "language": rec.language, "mode": "rationale", "options": rec.options,
                          "gold_answer": rec.gold_answer, "gold_rationale": rec.gold_rationale,
                          "human_check_passed": rec.human_check_passed, "prompt": f"Q: {rec.question}",
                          "output": output})
        path = out / model / "predictions.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
        specs.append(f"{model}={path.parent}")
    return specs


def oracle_score(rationale: str, reference: str) -> int:
    """5 for the reference itself, 1 for an empty rationale, 2 for anything else."""
    if not rationale.strip() or rationale.strip() == "(empty)":
        return 1
    return 5 if rationale.strip() == reference.strip() else 2


def oracle_reply(messages: list[dict]) -> ChatReply:
    """A judge that reads the reference and the rationales from the user message and rates them as JSON."""
    text = messages[-1]["content"]
    reference = re.search(r"Reference rationale \(written and checked by experts\):\n(.*?)\n\nRationale R1:",
                          text, re.S).group(1)
    blocks = re.findall(r"Rationale (R\d+):\n(.*?)(?=\n\nRationale R\d+:|\n\nRate every rationale)", text, re.S)
    ratings = [{"label": lab, **{c: oracle_score(body, reference) for c in ("accuracy", "reasoning", "knowledge")}}
               for lab, body in blocks]
    reply = "Here is my assessment.\n```json\n" + json.dumps({"ratings": ratings}) + "\n```"
    return ChatReply(reply, prompt_tokens=len(text) // 4, completion_tokens=len(reply) // 4)


def fill_sheet(path: Path, mapping: dict[tuple[str, str, str], str], references: dict[str, str],
               noise: int = 0) -> None:
    """Fill a rater's sheet as the oracle would; `noise` (0 = none) lowers some gold scores by one."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
        fields = list(rows[0].keys())
    for k, row in enumerate(rows):
        model = mapping[(row["rater"], row["question_id"], row["label"])]
        score = oracle_score(row["rationale"] if model != "empty" else "", references[row["question_id"]])
        if noise and k % noise == 0 and score > 1:
            score -= 1
        for crit in ("accuracy", "reasoning", "knowledge"):
            row[crit] = str(score)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def read_mapping(path: Path) -> dict[tuple[str, str, str], str]:
    with open(path, encoding="utf-8", newline="") as f:
        return {(r["rater"], r["question_id"], r["label"]): r["model"] for r in csv.DictReader(f)}


def references(samples_dir: Path) -> dict[str, str]:
    return {r.id: r.gold_rationale for r in load_split(samples_dir / "mmedbench" / "Test")}
