"""Generate small sample PDFs for the OCR demo, tests and benchmark (nothing is committed; they are made in seconds).

    python scripts/make_sample_pdfs.py --out outputs/demo/pdfs
    python scripts/make_sample_pdfs.py --out outputs/demo/scans --langs ru,fr,es,ja --variant clean-150

Writes: text.pdf (typeset, 2 pages), scanned.pdf (one page rendered to an image and inserted as a picture, like a
scanned book: Chinese and English, a hyphenated line end, a full-width title over two columns), mixed.pdf (a typeset
page then a scanned page), encrypted.pdf (password protected) and truncated.pdf (cut off after its header).
English is set in Helvetica, Chinese in the built-in `china-s` font, as a printed textbook would be.

With --langs: one scanned page per language (`scan-<lang>-<variant>.pdf`) of a medical text written for this project
in each of en zh ja fr ru es de ar (LANGUAGE_PAGES), set with PyMuPDF's HTML layout and its bundled fonts (Charis
SIL for Latin and Cyrillic, Noto Naskh Arabic with right-to-left shaping, Droid Sans Fallback for CJK), then scanned
as one of VARIANTS: clean at 300 or 150 dpi, skewed, two columns, noisy (scripts/bench_ocr.py measures them all).
"""

from __future__ import annotations

import argparse
import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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

# One page per language: a title and two paragraphs of a medical text (written for this project). The reference
# text of a page is these strings in order; whitespace is ignored when it is compared with what OCR read.
LANGUAGE_PAGES: dict[str, list[str]] = {
    "en": ["Chapter 5 Diabetes Mellitus",
           "Diabetes mellitus is a chronic metabolic disease characterised by high blood glucose. Type 2 diabetes "
           "is linked to obesity and physical inactivity.",
           "Treatment begins with diet and exercise; metformin is the usual first drug. Patients should check their "
           "feet and eyes every year."],
    "zh": ["第五章 糖尿病",
           "糖尿病是一种以高血糖为特征的慢性代谢性疾病。2型糖尿病与肥胖和缺乏运动密切相关。",
           "治疗首先是饮食控制和运动，二甲双胍通常是首选药物。患者应每年检查足部和眼睛。"],
    "ja": ["第5章 糖尿病",
           "糖尿病は血糖値が高い状態が続く慢性の代謝疾患である。2型糖尿病は肥満や運動不足と深く関係している。",
           "治療は食事療法と運動療法から始め、通常はメトホルミンが第一選択薬となる。患者は毎年、足と目の検査を受けるべきである。"],
    "fr": ["Chapitre 5 Le diabète sucré",
           "Le diabète sucré est une maladie métabolique chronique caractérisée par une glycémie élevée. Le diabète "
           "de type 2 est lié à l'obésité et à la sédentarité.",
           "Le traitement commence par le régime et l'exercice ; la metformine est le médicament de première "
           "intention. Les patients doivent faire examiner leurs pieds et leurs yeux chaque année."],
    "ru": ["Глава 5. Сахарный диабет",
           "Сахарный диабет — хроническое нарушение обмена веществ, при котором повышен уровень глюкозы в крови. "
           "Диабет 2 типа связан с ожирением и малоподвижным образом жизни.",
           "Лечение начинают с диеты и физических упражнений; препаратом первого выбора обычно является метформин. "
           "Пациентам следует ежегодно проверять стопы и глаза."],
    "es": ["Capítulo 5. La diabetes mellitus",
           "La diabetes mellitus es una enfermedad metabólica crónica caracterizada por la glucemia elevada. La "
           "diabetes tipo 2 está relacionada con la obesidad y el sedentarismo.",
           "El tratamiento comienza con la dieta y el ejercicio; la metformina es el fármaco de primera elección. "
           "Los pacientes deben revisarse los pies y los ojos cada año."],
    "de": ["Kapitel 5 Diabetes mellitus",
           "Diabetes mellitus ist eine chronische Stoffwechselkrankheit mit erhöhtem Blutzucker. Der Typ-2-Diabetes "
           "hängt mit Übergewicht und Bewegungsmangel zusammen.",
           "Die Behandlung beginnt mit Ernährung und Bewegung; Metformin ist das Mittel der ersten Wahl. Patienten "
           "sollten ihre Füße und Augen jährlich untersuchen lassen."],
    "ar": ["الفصل الخامس: داء السكري",
           "داء السكري مرض استقلابي مزمن يتميز بارتفاع مستوى السكر في الدم. ويرتبط النوع الثاني من السكري بالسمنة "
           "وقلة النشاط البدني.",
           "يبدأ العلاج بالنظام الغذائي والرياضة، والميتفورمين هو الدواء الأول عادة. ويجب على المرضى فحص أقدامهم "
           "وعيونهم كل عام."],
}
RIGHT_TO_LEFT = {"ar"}
BODY_PT = 11  # body text size of a printed textbook


@dataclass(frozen=True)
class ScanVariant:
    """How a page is scanned: resolution, rotation of the sheet on the glass, layout, scanner noise."""

    dpi: int
    skew_degrees: float = 0.0
    columns: int = 1
    noise: float = 0.0  # standard deviation of the Gaussian noise added to each pixel (0-255 scale)


VARIANTS: dict[str, ScanVariant] = {
    "clean-300": ScanVariant(300),
    "clean-150": ScanVariant(150),
    "skewed-150": ScanVariant(150, skew_degrees=2.0),
    "two-columns-150": ScanVariant(150, columns=2),
    "noisy-150": ScanVariant(150, noise=40.0),
}


def _page_html(lang: str, paragraphs: list[str]) -> str:
    direction = "rtl" if lang in RIGHT_TO_LEFT else "ltr"
    body = "".join(f"<p style='margin:0 0 8pt 0'>{html.escape(p)}</p>" for p in paragraphs)
    return f"<div lang='{lang}' dir='{direction}' style='font-size:{BODY_PT}pt; line-height:1.4'>{body}</div>"


def typeset_language_page(lang: str, columns: int = 1) -> pymupdf.Document:
    """A one-page typeset PDF: the title across the page, then the paragraphs in `columns` columns."""
    title, *paragraphs = LANGUAGE_PAGES[lang]
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    margin, gutter = 40, 30
    page.insert_htmlbox(pymupdf.Rect(margin, 30, PAGE_W - margin, 70), _page_html(lang, [title]))
    width = (PAGE_W - 2 * margin - gutter * (columns - 1)) / columns
    # one paragraph per column when there are columns; in right-to-left scripts the first column is on the right
    groups = [paragraphs] if columns == 1 else [paragraphs[i::columns] for i in range(columns)]
    for i, group in enumerate(groups):
        slot = columns - 1 - i if lang in RIGHT_TO_LEFT else i
        x0 = margin + slot * (width + gutter)
        page.insert_htmlbox(pymupdf.Rect(x0, 70, x0 + width, PAGE_H - 30), _page_html(lang, group))
    return doc


def scan_image(page: pymupdf.Page, variant: ScanVariant, seed: int = 0) -> bytes:
    """PNG bytes of the page as a scanner of this variant would deliver it."""
    zoom = variant.dpi / 72
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom).prerotate(variant.skew_degrees), alpha=False,
                          colorspace=pymupdf.csGRAY)
    if variant.noise:
        pixels = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).astype(np.float32)
        pixels += np.random.default_rng(seed).normal(0.0, variant.noise, pixels.shape)
        noisy = np.clip(pixels, 0, 255).astype(np.uint8)
        pix = pymupdf.Pixmap(pymupdf.csGRAY, pix.width, pix.height, noisy.tobytes(), False)
    return pix.tobytes("png")


def make_language_scan(path: str | Path, lang: str, variant: str) -> Path:
    """A scanned book page (image only, no text layer) in `lang`; returns its path."""
    source = typeset_language_page(lang, VARIANTS[variant].columns)
    png = scan_image(source[0], VARIANTS[variant])
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_image(page.rect, stream=png)
    doc.save(path)
    return Path(path)


# A Japanese page set vertically (tategaki): columns top to bottom, read from the right.
VERTICAL_JA_COLUMNS = ["糖尿病は血糖値が高い状態が続く", "慢性の代謝疾患である。治療は食", "事療法と運動療法から始める。"]


def make_vertical_ja_scan(path: str | Path, dpi: int = 150, skew_degrees: float = 0.0) -> Path:
    """A scanned page of vertical Japanese (image only); its reference text is VERTICAL_JA_COLUMNS joined."""
    scratch = pymupdf.open()
    src = scratch.new_page(width=PAGE_W, height=PAGE_H)
    size = 14
    for col, text in enumerate(VERTICAL_JA_COLUMNS):
        x = PAGE_W - 80 - col * 1.6 * size
        for row, ch in enumerate(text):
            src.insert_text((x, 50 + row * 1.15 * size), ch, fontname="japan", fontsize=size)
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_image(page.rect, stream=scan_image(src, ScanVariant(dpi, skew_degrees)))
    doc.save(path)
    return Path(path)


def language_reference(lang: str) -> str:
    """What a reader gets from a language page: the title and the paragraphs, in reading order."""
    return "\n\n".join(LANGUAGE_PAGES[lang])


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
    parser.add_argument("--langs", default="", help="comma-separated languages: write scanned language pages instead")
    parser.add_argument("--variant", default="clean-150", choices=sorted(VARIANTS), help="scan variant (with --langs)")
    args = parser.parse_args()
    if args.langs:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        for lang in args.langs.split(","):
            print(make_language_scan(Path(args.out) / f"scan-{lang}-{args.variant}.pdf", lang, args.variant))
        return
    for name, path in make_sample_pdfs(args.out).items():
        print(f"{name:10s} {path}")


if __name__ == "__main__":
    main()
