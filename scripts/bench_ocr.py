"""Character error rate of the OCR pipeline on held-out book pages, against plain Tesseract on the same images.

    python scripts/bench_ocr.py                                    # 8 languages x 6 layouts x 200/300 dpi (slow)
    python scripts/bench_ocr.py --lang ru,ar --layout two-column,table --dpi 300
    python scripts/bench_ocr.py --lang en,zh --backends auto,rapidocr,tesseract     # to choose `auto`'s engines

Each page is a medical text written for this project (scripts/make_sample_pdfs.py: HELDOUT_PAGES, 600-1,100
characters with units and Latin drug names), set in Noto Serif / Noto Serif CJK / Noto Naskh Arabic on an A5 page
and scanned as an image-only PDF in each layout (clean, noisy, rotated 1.5 degrees, two columns with a 7.6 mm
gutter, a table, low-contrast JPEG) at 200 and 300 dpi. Every page is read by the real command's code
(data_collection.ocr.read_book with the default settings and each --backends entry) and by plain
`tesseract <image> - -l <pack>` on the scanned image; CER is NFKC with whitespace removed
(data_collection.sources.ocr_quality). The goal per cell: CER <= max(5%, plain Tesseract + 0.5 points).
Results (texts included) go to --output/results.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import make_sample_pdfs as samples  # scripts/, the folder of this script

from common.languages import LANGUAGES
from data_collection.ocr import OcrConfig, read_book
from data_collection.sources.ocr_backends import BACKENDS, TESSERACT_LANGS, get_backend, resolve_backend
from data_collection.sources.ocr_quality import char_error_rate

GOAL_FLOOR = 0.05  # a cell passes at CER <= max(5%, plain Tesseract + 0.5 points)
GOAL_MARGIN = 0.005


def run_project(pdf: Path, lang: str, backend: str) -> dict:
    """Read one page through the pipeline with its default settings; CER inputs, seconds and the page record."""
    cfg = OcrConfig(input=[str(pdf)], output="", lang=lang, backend=backend)
    get_backend(backend, lang, cfg.backend_options)  # load the engine before the clock starts (a run loads it once)
    start = time.perf_counter()
    book = read_book(pdf, pdf.name, cfg)
    return {"text": "\n\n".join(book["text_list"]), "seconds": time.perf_counter() - start,
            "engine": book["backend"], "page": book["pages"][0]}


def run_plain_tesseract(image: Path, lang: str) -> dict:
    """`tesseract <image> - -l <pack>`: what a user gets from the engine alone."""
    start = time.perf_counter()
    proc = subprocess.run(["tesseract", str(image), "-", "-l", TESSERACT_LANGS[lang]], capture_output=True, text=True,
                          check=True)
    return {"text": proc.stdout, "seconds": time.perf_counter() - start}


def passes(cer: float, plain: float) -> bool:
    return cer <= max(GOAL_FLOOR, plain + GOAL_MARGIN) + 1e-9


def table(results: list[dict], cells: list[str], backend: str) -> str:
    """Markdown: one row per language, one column per layout-dpi cell: `project / plain Tesseract` CER."""
    rows = ["| lang | " + " | ".join(cells) + " | cells passing |", "|" + " --- |" * (len(cells) + 2)]
    for lang in [x.code for x in LANGUAGES]:
        mine = {r["cell"]: r for r in results if r["lang"] == lang and r["backend"] == backend}
        if not mine:
            continue
        fmt, ok = [], 0
        for cell in cells:
            r = mine.get(cell)
            if r is None:
                fmt.append("")
                continue
            good = passes(r["cer"], r["plain_cer"])
            ok += good
            fmt.append(f"{100 * r['cer']:.1f} / {100 * r['plain_cer']:.1f}" + ("" if good else " ✗"))
        rows.append(f"| {lang} | " + " | ".join(fmt) + f" | {ok}/{len(mine)} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", default=",".join(x.code for x in LANGUAGES))
    parser.add_argument("--layout", default=",".join(samples.HELDOUT_LAYOUTS))
    parser.add_argument("--dpi", default=",".join(map(str, samples.HELDOUT_DPIS)), help="scan resolutions")
    parser.add_argument("--backends", default="auto", help=f"auto and/or {', '.join(BACKENDS)}")
    parser.add_argument("--output", default="outputs/bench_ocr")
    args = parser.parse_args()
    out = Path(args.output)
    layouts, dpis, backends = args.layout.split(","), [int(d) for d in args.dpi.split(",")], args.backends.split(",")
    cells = [f"{layout} {dpi}" for layout in layouts for dpi in dpis]
    results = []
    for lang in args.lang.split(","):
        for layout in layouts:
            for dpi in dpis:
                pdf, image = samples.make_heldout_scan(out / "pages", lang, layout, dpi)
                reference = samples.heldout_reference(lang, layout)
                plain = run_plain_tesseract(image, lang)
                plain_cer = char_error_rate(plain["text"], reference)
                for backend in backends:
                    try:
                        resolve_backend(backend, lang)
                    except Exception as err:  # noqa: BLE001 - a backend that cannot read this language here
                        print(f"{lang} {layout} {dpi} {backend}: not measured: {err}")
                        continue
                    mine = run_project(pdf, lang, backend)
                    cer = char_error_rate(mine["text"], reference)
                    results.append({"lang": lang, "layout": layout, "dpi": dpi, "cell": f"{layout} {dpi}",
                                    "backend": backend, "cer": cer, "plain_cer": plain_cer, **mine,
                                    "plain_text": plain["text"], "plain_seconds": plain["seconds"]})
                    print(f"{lang} {layout:17s} {dpi} {backend:9s} ({mine['engine']}) CER {100 * cer:5.1f}%  plain "
                          f"tesseract {100 * plain_cer:5.1f}%  {mine['seconds']:.1f} s (plain {plain['seconds']:.1f} s)"
                          + ("" if passes(cer, plain_cer) else "  FAILS GOAL"), flush=True)
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    for backend in backends:
        print(f"\nCER % (NFKC, whitespace removed), backend {backend}: project / plain `tesseract -l <lang>`; "
              f"✗: above max(5%, plain + 0.5)\n\n" + table(results, cells, backend))


if __name__ == "__main__":
    main()
