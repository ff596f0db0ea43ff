"""Character error rate of every OCR backend on scanned pages rendered here, per language and scan variant.

    python scripts/bench_ocr.py                                  # 8 languages x 5 variants x every backend
    python scripts/bench_ocr.py --langs ru,ja --variants clean-150 --backends tesseract

Each page is a medical text written for this project (scripts/make_sample_pdfs.py: LANGUAGE_PAGES), typeset with
PyMuPDF's bundled fonts and scanned as an image-only PDF page: clean at 300 and 150 dpi, skewed 2 degrees, two
columns, noisy (Gaussian noise, sigma 40 of 255). The page is then read by the real pipeline
(data_collection.ocr.read_book: render at --dpi, OCR, confidence filter, reading order) with each backend, and the
output is compared with the printed text (NFKC, whitespace ignored). RapidOCR is also run on languages outside its
default list, to show why `auto` does not choose it there. The table this prints is the one behind
data_collection.ocr_backends.AUTO; the results also go to --out/results.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import make_sample_pdfs as samples  # scripts/, the folder of this script

from common.languages import LANGUAGES
from data_collection.ocr import OcrConfig, read_book
from data_collection.ocr_backends import AUTO, BACKENDS, BackendOptions, get_backend
from data_collection.ocr_quality import char_error_rate


def measure(pdf: Path, lang: str, backend: str, dpi: int) -> dict:
    """Read one scanned page with one backend through the pipeline; CER and seconds, or why it cannot run."""
    opts = BackendOptions(rapidocr_languages=[x.code for x in LANGUAGES])  # let RapidOCR try every language
    reason = BACKENDS[backend].unavailable(lang, opts)
    if reason is not None:
        return {"cer": None, "unavailable": reason}
    cfg = OcrConfig(input=[str(pdf)], output="", lang=lang, backend=backend, dpi=dpi, backend_options=opts)
    get_backend(backend, lang, opts)  # load the engine before the clock starts: a book run loads it once
    start = time.perf_counter()
    book = read_book(pdf, pdf.name, cfg)
    seconds = time.perf_counter() - start
    text = "\n\n".join(book["text_list"])
    return {"cer": char_error_rate(text, samples.language_reference(lang)), "seconds": seconds, "text": text}


def table(results: list[dict], variants: list[str]) -> str:
    """Markdown: one row per language and backend, one column per variant; the backend `auto` picks is marked."""
    head = "| lang | backend | " + " | ".join(variants) + " | s/page (clean-150) |"
    rows = [head, "|" + " --- |" * (len(variants) + 3)]
    keys = sorted({(r["lang"], r["backend"]) for r in results},
                  key=lambda k: ([x.code for x in LANGUAGES].index(k[0]), k[1]))
    for lang, backend in keys:
        cells = {r["variant"]: r for r in results if r["lang"] == lang and r["backend"] == backend}
        if all(c["cer"] is None for c in cells.values()):
            continue
        fmt = [f"{100 * cells[v]['cer']:.1f}%" if v in cells and cells[v]["cer"] is not None else "n/a"
               for v in variants]
        speed = cells.get("clean-150", {}).get("seconds")
        mark = " (auto)" if AUTO.get(lang, ("",))[0] == backend else ""
        rows.append(f"| {lang} | {backend}{mark} | " + " | ".join(fmt) + f" | {speed:.1f} |" if speed else
                    f"| {lang} | {backend}{mark} | " + " | ".join(fmt) + " | |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--langs", default=",".join(x.code for x in LANGUAGES))
    parser.add_argument("--variants", default=",".join(samples.VARIANTS))
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--dpi", type=int, default=OcrConfig.__dataclass_fields__["dpi"].default,
                        help="render resolution of the pipeline (the OCR config's dpi)")
    parser.add_argument("--out", default="outputs/bench_ocr")
    args = parser.parse_args()
    out = Path(args.out)
    (out / "pdfs").mkdir(parents=True, exist_ok=True)
    variants = args.variants.split(",")
    results = []
    for lang in args.langs.split(","):
        for variant in variants:
            pdf = samples.make_language_scan(out / "pdfs" / f"scan-{lang}-{variant}.pdf", lang, variant)
            for backend in args.backends.split(","):
                result = {"lang": lang, "variant": variant, "backend": backend,
                          **measure(pdf, lang, backend, args.dpi)}
                results.append(result)
                cer = "n/a" if result["cer"] is None else f"{100 * result['cer']:.1f}%"
                print(f"{lang} {variant:16s} {backend:10s} CER {cer}", flush=True)
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    unavailable = sorted({f"{r['backend']}: {r['unavailable']}" for r in results if r["cer"] is None})
    print(f"\nCER (render dpi {args.dpi}; lower is better)\n\n" + table(results, variants))
    for line in unavailable:
        print(f"- not measured: {line}")


if __name__ == "__main__":
    main()
