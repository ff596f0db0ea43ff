"""Write samples/learnable/{Train,Test}/English.jsonl: a small MMedBench-format task a tiny model can learn.

    python scripts/make_learnable_samples.py --out samples/learnable

Each of 24 facts (a condition and its first-line drug) is asked in three wordings in Train and in two other
wordings in Test, always with the same four options in the same order (one correct drug, three drawn from the
other facts' drugs), so the test asks known facts in words the model has not seen. The rationale states the fact.
Chance accuracy is 25%. A pipeline whose prompt, loss mask, generation or parsing disagree cannot score here: the
demo and tests/test_learnable.py use it to show that fine-tune -> generate -> evaluate learns.
Deterministic: the same seed writes the same files.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

FACTS = (
    ("anaphylaxis", "epinephrine"),
    ("scurvy", "vitamin C"),
    ("malaria caused by Plasmodium vivax", "chloroquine"),
    ("diabetic ketoacidosis", "insulin"),
    ("opioid overdose", "naloxone"),
    ("benzodiazepine overdose", "flumazenil"),
    ("paracetamol poisoning", "acetylcysteine"),
    ("heparin overdose", "protamine"),
    ("warfarin overdose", "vitamin K"),
    ("acute gout", "colchicine"),
    ("syphilis", "penicillin"),
    ("hypothyroidism", "levothyroxine"),
    ("Wilson disease", "penicillamine"),
    ("trigeminal neuralgia", "carbamazepine"),
    ("absence seizures", "ethosuximide"),
    ("Parkinson disease", "levodopa"),
    ("myasthenia gravis", "pyridostigmine"),
    ("pernicious anaemia", "vitamin B12"),
    ("tuberculosis", "isoniazid"),
    ("herpes zoster", "acyclovir"),
    ("influenza", "oseltamivir"),
    ("type 2 diabetes", "metformin"),
    ("bipolar disorder", "lithium"),
    ("organophosphate poisoning", "atropine"),
)
TRAIN_WORDINGS = (
    "Which drug is the first choice for {condition}?",
    "A patient presents with {condition}. What is the drug of choice?",
    "What should be given first for {condition}?",
)
TEST_WORDINGS = (
    "For {condition}, which medication is preferred first?",
    "The treatment of choice in {condition} is which drug?",
)
RATIONALE = "The drug of choice for {condition} is {drug}."
LETTERS = "ABCD"


def options_for(index: int, rng: random.Random) -> tuple[dict[str, str], str]:
    """Four options (the fact's drug and three others), shuffled once per fact; returns (options, answer letter)."""
    drug = FACTS[index][1]
    others = [d for k, (_, d) in enumerate(FACTS) if k != index]
    choices = [drug, *rng.sample(others, 3)]
    rng.shuffle(choices)
    return dict(zip(LETTERS, choices)), LETTERS[choices.index(drug)]


def records(wordings: tuple[str, ...], seed: int) -> list[dict]:
    rng = random.Random(seed)
    fact_options = [options_for(k, rng) for k in range(len(FACTS))]
    out = []
    for wording in wordings:
        for (condition, drug), (options, answer) in zip(FACTS, fact_options):
            out.append({"question": wording.format(condition=condition), "options": options, "answer_idx": answer,
                        "rationale": RATIONALE.format(condition=condition, drug=drug),
                        "human_checked": True, "human_check_passed": True})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="samples/learnable")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for split, wordings in (("Train", TRAIN_WORDINGS), ("Test", TEST_WORDINGS)):
        path = Path(args.out) / split / "English.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = records(wordings, args.seed)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{path}: {len(rows)} questions")


if __name__ == "__main__":
    main()
