"""Generate small sample PDFs for the OCR demo and tests (nothing is committed; they are made in seconds).

    python scripts/make_sample_pdfs.py --out outputs/demo/pdfs

Writes: text.pdf (typeset, 2 pages), scanned.pdf (one page rendered to an image and inserted as a picture, like a
scanned book: Chinese and English, a hyphenated line end, a full-width title over two columns), mixed.pdf (a typeset
page then a scanned page), encrypted.pdf (password protected) and truncated.pdf (cut off after its header).
English is set in Helvetica, Chinese in the built-in `china-s` font, as a printed textbook would be.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pymupdf

PAGE_W, PAGE_H = 595, 420
SCAN_DPI = 200

TEXT_PAGES = [
    ["Chapter 1 Introduction to Internal Medicine",
     "Internal medicine deals with the prevention, diagnosis and treatment of diseases in adults.",
     "A careful history and physical examination remain the basis of every diagnosis. Laboratory",
     "tests and imaging confirm or refute the hypotheses formed at the bedside."],
    ["Chapter 2 Infectious Diseases",
     "Antibiotics should be chosen according to the likely pathogen and local resistance patterns.",
     "Vaccination prevents many infections such as measles, influenza and hepatitis B in children",
     "and adults, and hand hygiene reduces the spread of infection in hospitals."],
]

# (text, font, x, y): the scanned page; x/y in points. The order of this list is the reading order.
SCANNED_LAYOUT = [
    ("Chapter 3 Cardiovascular Diseases", "helv", 40, 40),
    ("Hypertension is a common chronic disease that affects the cardio-", "helv", 40, 80),
    ("vascular system of many adult patients worldwide.", "helv", 40, 100),
    ("高血压是一种常见的慢性疾病。", "china-s", 40, 140),
    ("糖尿病患者需要定期监测血糖。", "china-s", 40, 160),
    ("Left column: insulin lowers", "helv", 40, 210),
    ("the blood glucose level.", "helv", 40, 230),
    ("Right column: aspirin reduces", "helv", 320, 210),
    ("the risk of heart attack.", "helv", 320, 230),
]
# what a reader gets from the scanned page: the hyphenated word re-joined
SCANNED_TEXT = [
    "Chapter 3 Cardiovascular Diseases",
    "Hypertension is a common chronic disease that affects the cardiovascular system of many adult patients "
    "worldwide.",
    "高血压是一种常见的慢性疾病。糖尿病患者需要定期监测血糖。",
    "Left column: insulin lowers the blood glucose level.",
    "Right column: aspirin reduces the risk of heart attack.",
]
MIXED_SCAN_LAYOUT = [
    ("Chapter 4 Respiratory Medicine", "helv", 40, 40),
    ("Asthma is a chronic inflammatory disease of the airways.", "helv", 40, 80),
    ("哮喘是一种气道慢性炎症性疾病。", "china-s", 40, 120),
]
MIXED_SCAN_TEXT = ["Chapter 4 Respiratory Medicine", "Asthma is a chronic inflammatory disease of the airways.",
                   "哮喘是一种气道慢性炎症性疾病。"]


def add_text_page(doc: pymupdf.Document, lines: list[str]) -> None:
    """A title, then the other lines as one paragraph (one text block, as typesetting software writes it)."""
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_text((40, 50), lines[0], fontname="helv", fontsize=13)
    page.insert_text((40, 90), "\n".join(lines[1:]), fontname="helv", fontsize=11)


def add_scanned_page(doc: pymupdf.Document, layout: list[tuple[str, str, int, int]]) -> None:
    """Typeset the layout on a scratch page, rasterise it, and insert only the picture (no text layer)."""
    scratch = pymupdf.open()
    src = scratch.new_page(width=PAGE_W, height=PAGE_H)
    for text, font, x, y in layout:
        src.insert_text((x, y), text, fontname=font, fontsize=12)
    png = src.get_pixmap(dpi=SCAN_DPI).tobytes("png")
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_image(page.rect, stream=png)


def make_sample_pdfs(out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / f"{name}.pdf" for name in ("text", "scanned", "mixed", "encrypted", "truncated")}

    doc = pymupdf.open()
    for lines in TEXT_PAGES:
        add_text_page(doc, lines)
    doc.save(paths["text"])
    text_bytes = paths["text"].read_bytes()

    doc = pymupdf.open()
    add_scanned_page(doc, SCANNED_LAYOUT)
    doc.save(paths["scanned"])

    doc = pymupdf.open()
    add_text_page(doc, TEXT_PAGES[0])
    add_scanned_page(doc, MIXED_SCAN_LAYOUT)
    doc.save(paths["mixed"])

    doc = pymupdf.open()
    add_text_page(doc, TEXT_PAGES[1])
    doc.save(paths["encrypted"], encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")

    paths["truncated"].write_bytes(text_bytes[:64])  # the header and a few bytes: what an aborted download leaves
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="outputs/demo/pdfs", help="folder for the PDFs")
    args = parser.parse_args()
    for name, path in make_sample_pdfs(args.out).items():
        print(f"{name:10s} {path}")


if __name__ == "__main__":
    main()
