"""Corpus statistics: tokens per language and per source (stats.json, stats.md, stats.png; cf. the paper's Fig. 2).

Token counts use a HF tokenizer dir given in the config (default: the tiny project tokenizer,
artifacts/tiny-llama; for paper-comparable numbers a Llama 3 tokenizer dir). Loaded from disk only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.records import write_json, write_text

STEP_COLUMNS = ("docs_in", "bad_records", "too_short", "lang_mismatch", "lang_dropped", "exact_duplicates",
                "near_duplicates", "contaminated", "docs_out")


class TokenCounter:
    """Token counts with a local HF tokenizer dir. A `tokenizer.json` is run by the `tokenizers` library directly
    (no special tokens, no offsets: the counts equal AutoTokenizer's, at a fraction of the cost); other dirs
    load through AutoTokenizer (trust_remote_code off)."""

    def __init__(self, tokenizer_dir: str):
        path = check_tokenizer_dir(tokenizer_dir)
        self.name = str(path)
        self._fast = None
        self.tokenizer = None
        if (path / "tokenizer.json").exists():
            from tokenizers import Tokenizer

            self._fast = Tokenizer.from_file(str(path / "tokenizer.json"))
        else:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)

    def count(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        if self._fast is not None:
            return [len(e.ids) for e in self._fast.encode_batch_fast(texts, add_special_tokens=False)]
        ids = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]


def check_tokenizer_dir(tokenizer_dir: str) -> Path:
    """The tokenizer dir, or a one-line error naming it (checked before any stage runs)."""
    path = Path(tokenizer_dir)
    if not path.is_dir():
        raise FileNotFoundError(
            f"tokenizer dir not found: {path} (build the tiny one with `python -m common.tiny_model --out "
            f"artifacts/tiny-llama`, or set --tokenizer to a local HF tokenizer dir such as Llama 3's)")
    return path


def new_bucket() -> dict[str, int]:
    return {"docs": 0, "chars": 0, "tokens": 0}


def add_to(bucket: dict[str, int], chars: int, tokens: int) -> None:
    bucket["docs"] += 1
    bucket["chars"] += chars
    bucket["tokens"] += tokens


def write_stats(out_dir: str | Path, per_lang: dict[str, dict[str, Any]], tokenizer: str, plot: bool = True,
                **extra: Any) -> dict[str, Any]:
    """per_lang[lang] = {"docs", "chars", "tokens", "by_source": {src: bucket}, "steps": {...}} -> the 3 files.
    `extra` (e.g. bad records whose language is unknown) goes into stats.json as it is."""
    out = Path(out_dir)
    total = sum(v["tokens"] for v in per_lang.values())
    stats = {"tokenizer": tokenizer, "total_tokens": total, "total_docs": sum(v["docs"] for v in per_lang.values()),
             **extra,
             "languages": {lang: {**v, "share": (v["tokens"] / total if total else 0.0)}
                           for lang, v in sorted(per_lang.items())}}
    write_json(out / "stats.json", stats)
    write_text(out / "stats.md", stats_markdown(stats))
    if plot:
        plot_stats(stats, out / "stats.png")
    return stats


def stats_markdown(stats: dict[str, Any]) -> str:
    langs = stats["languages"]
    sources = sorted({s for v in langs.values() for s in v["by_source"]})
    lines = [f"Tokens counted with `{stats['tokenizer']}`.", "",
             "| lang | docs | tokens | share % | " + " | ".join(f"{s} tokens" for s in sources) + " |",
             "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in sources) + " |"]
    for lang, v in langs.items():
        cells = [str(v["by_source"].get(s, {}).get("tokens", 0)) for s in sources]
        lines.append(f"| {lang} | {v['docs']} | {v['tokens']} | {100 * v['share']:.1f} | " + " | ".join(cells) + " |")
    lines.append(f"| all | {stats['total_docs']} | {stats['total_tokens']} | 100.0 | "
                 + " | ".join(str(sum(v["by_source"].get(s, {}).get("tokens", 0) for v in langs.values()))
                              for s in sources) + " |")
    lines += ["", "Documents per step (in -> out):", "",
              "| lang | " + " | ".join(STEP_COLUMNS) + " |", "| --- | " + " | ".join("---:" for _ in STEP_COLUMNS) + " |"]
    for lang, v in langs.items():
        steps = v.get("steps", {})
        lines.append(f"| {lang} | " + " | ".join(str(steps.get(c, 0)) for c in STEP_COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def plot_stats(stats: dict[str, Any], path: Path) -> None:
    """Stacked horizontal bars: tokens per language, split by source."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = list(stats["languages"])
    sources = sorted({s for v in stats["languages"].values() for s in v["by_source"]})
    fig, ax = plt.subplots(figsize=(8, 0.5 * max(3, len(langs)) + 1))
    left = [0] * len(langs)
    for src in sources:
        vals = [stats["languages"][lang]["by_source"].get(src, {}).get("tokens", 0) for lang in langs]
        ax.barh(langs, vals, left=left, label=src)
        left = [a + b for a, b in zip(left, vals)]
    ax.set_xlabel(f"tokens ({Path(stats['tokenizer']).name} tokenizer)")
    ax.set_title("Corpus tokens per language and source")
    ax.invert_yaxis()
    if sources:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, title="source")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
