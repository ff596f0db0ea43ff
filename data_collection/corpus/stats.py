"""Corpus statistics: tokens per language and per source (stats.json, stats.md, stats.png; cf. the paper's Fig. 2).

Token counts (common/token_count.py) use a HF tokenizer dir given in the config (default: the tiny
project tokenizer, artifacts/tiny-llama; for paper-comparable numbers a Llama 3 tokenizer dir). Loaded from disk
only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.records import write_json, write_text

STEP_COLUMNS = ("docs_in", "bad_records", "too_short", "lang_mismatch", "lang_dropped", "exact_duplicates",
                "near_duplicates", "contaminated", "docs_out")


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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # without pyplot: a third of the import time, no GUI state

    langs = list(stats["languages"])
    sources = sorted({s for v in stats["languages"].values() for s in v["by_source"]})
    fig = Figure(figsize=(8, 0.5 * max(3, len(langs)) + 1))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
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
    tmp.replace(path)
