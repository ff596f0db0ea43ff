"""Rating sheets for people: written per rater, read back and validated.

A sheet is a CSV (UTF-8 with a BOM, so Excel shows Chinese, Japanese and Cyrillic text correctly) with one row
per (question, anonymised rationale). The rows of a question follow each other, in an order drawn for that rater
and question; the question, options, correct answer and (if configured) the reference rationale are on the first
row of each block. The rater fills `accuracy`, `reasoning` and `knowledge` with integers 1-5, comparing the
rationales of the question with each other. The sheets and INSTRUCTIONS.md go to `<out>/for_raters/` (the
folder to hand out); which model wrote which label is in `<out>/mapping.csv`, kept apart from the sheets.

Reading back checks every cell and reports every problem at once with its sheet and row (as a spreadsheet numbers
them: the header is row 1): a score out of range or not an integer, an empty score, a duplicated row, a question id
or label that is not on that rater's sheet as written, a row that was deleted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.records import atomic_path, write_text
from inference.judging.items import CRITERIA, SCALE, StudyItem, label, options_text, view_order

SHEET_COLUMNS = ("rater", "question_id", "language", "question", "options", "correct_answer",
                 "reference_rationale", "label", "rationale", *CRITERIA, "comment")
MAPPING_COLUMNS = ("rater", "question_id", "label", "model")
_MAX_ERRORS_SHOWN = 30

INSTRUCTIONS = f"""# Rating the rationales

Each block of rows is one exam question with the rationales of several systems, labelled R1, R2, ... in an
order drawn for you (the labels say nothing about who wrote them, and the order differs between questions and
raters). Read all rationales of a question first, then give every rationale three scores, each an integer from
{SCALE[0]} (worst) to {SCALE[1]} (best), relative to the other rationales of the same question:

- accuracy: are its medical facts and its conclusion correct (the correct answer is given)?
- reasoning: does it argue step by step from the case to the answer, without gaps or contradictions?
- knowledge: does it bring in and connect the relevant medical knowledge (mechanisms, guidelines, differentials)?

Equal scores are allowed when rationales are equally good. An empty or off-topic rationale gets {SCALE[0]}.
Fill only the columns {', '.join(CRITERIA)} (and `comment` if you wish); do not change, add, delete or reorder
rows, question ids or labels. Save as CSV (UTF-8).
"""


class SheetError(ValueError):
    """Problems found in filled sheets: the message counts them, `details` lists each with its sheet and row
    (common.cli prints them one per line under the error line)."""

    def __init__(self, message: str, details: Sequence[str] = ()):
        super().__init__(message)
        self.details = list(details)


@dataclass(frozen=True)
class Rating:
    rater: str
    question_id: str
    language: str
    model: str
    scores: dict[str, int]  # criterion -> 1..5


_RATER_NAME = re.compile(r"[^\W_][\w.-]*")  # letters (any script), digits, . _ -: a file name, never a path
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_cell(text: str) -> str:
    """Text from a model or a data set made safe for a spreadsheet: a cell starting with = + - @ (or a tab or CR)
    is a formula to Excel and LibreOffice (=HYPERLINK(...) would run when the rater opens the sheet), so it gets a
    leading apostrophe, as OWASP's CSV-injection guidance says; the text still reads the same."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def check_raters(raters: Sequence[str]) -> None:
    """Rater names name files (for_raters/rater_<name>.csv): distinct, and no path ('../x', 'a/b')."""
    if len(set(raters)) != len(raters) or not raters:
        raise ValueError(f"key 'raters': must be distinct non-empty names, got {list(raters)}")
    for rater in raters:
        if not _RATER_NAME.fullmatch(rater):
            raise ValueError(f"key 'raters': {rater!r} must be letters, digits and ._- (it names the file "
                             "rater_<name>.csv)")


def write_sheets(items: Sequence[StudyItem], raters: Sequence[str], out_dir: Path, show_reference: bool,
                 seed: int) -> list[Path]:
    """for_raters/rater_<name>.csv and for_raters/INSTRUCTIONS.md, and mapping.csv beside (not in) that folder;
    returns the sheet paths."""
    check_raters(raters)
    mapping, paths = [], []
    for rater in raters:
        rows = []
        for item in items:
            for pos, model in enumerate(view_order(item, seed, f"sheet:{rater}")):
                first = pos == 0
                rows.append([rater, item.id, item.language, sheet_cell(item.question) if first else "",
                             sheet_cell(options_text(item.options)) if first else "",
                             ",".join(item.gold_answer) if first else "",
                             sheet_cell(item.gold_rationale) if first and show_reference else "", label(pos),
                             sheet_cell(item.rationales[model] or "(empty)"), *([""] * len(CRITERIA)), ""])
                mapping.append([rater, item.id, label(pos), model])
        path = out_dir / "for_raters" / f"rater_{rater}.csv"
        _write_csv(path, SHEET_COLUMNS, rows, bom=True)
        paths.append(path)
    _write_csv(out_dir / "mapping.csv", MAPPING_COLUMNS, mapping, bom=False)
    write_text(out_dir / "for_raters" / "INSTRUCTIONS.md", INSTRUCTIONS)
    return paths


def _write_csv(path: Path, header: Sequence[str], rows: list[list[str]], bom: bool) -> None:
    with atomic_path(path, suffix=".csv") as tmp:
        with open(tmp, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)


def read_mapping(path: Path) -> dict[str, dict[tuple[str, str], str]]:
    """rater -> (question_id, label) -> model."""
    if not path.is_file():
        raise FileNotFoundError(f"mapping file not found: {path} (written by `inference.judge sheets` next to the "
                                "sheets)")
    out: dict[str, dict[tuple[str, str], str]] = {}
    for row_no, row in _read_rows(path, MAPPING_COLUMNS):
        key = (row["question_id"], row["label"])
        rater = out.setdefault(row["rater"], {})
        if key in rater:
            raise SheetError(f"{path}: row {row_no}: {key} appears twice for rater {row['rater']!r}")
        rater[key] = row["model"]
    return out


def _read_rows(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    text = path.read_text(encoding="utf-8-sig")
    first_line = text.split("\n", 1)[0]
    # spreadsheets in some locales save CSV with ';' or tabs
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise SheetError(f"{path}: missing column(s) {missing} (found {reader.fieldnames})")
    return [(i, {k: (v or "").strip() for k, v in row.items() if k is not None})
            for i, row in enumerate(reader, start=2)]


def _score(cell: str) -> int | None:
    """An integer 1..5; '4.0' (a spreadsheet's number) counts as 4. None when not a valid score."""
    try:
        value = float(cell)
    except ValueError:
        return None
    if not value.is_integer() or not SCALE[0] <= value <= SCALE[1]:
        return None
    return int(value)


def read_sheets(paths: Sequence[Path], mapping_path: Path, allow_incomplete: bool = False
                ) -> tuple[list[Rating], int]:
    """Ratings of every filled sheet; returns (ratings, empty cells skipped). Raises SheetError listing all
    problems (with `allow_incomplete`, empty score cells are skipped and counted instead)."""
    mapping = read_mapping(mapping_path)
    ratings: list[Rating] = []
    errors: list[str] = []
    skipped = 0
    raters_seen: dict[str, Path] = {}
    for path in paths:
        rows = _read_rows(path, ("rater", "question_id", "language", "label", *CRITERIA))
        names = {row["rater"] for _, row in rows}
        if len(names) != 1:
            errors.append(f"{path}: the rater column must hold one name, found {sorted(names) or 'none'}")
            continue
        rater = names.pop()
        if rater not in mapping:
            errors.append(f"{path}: rater {rater!r} is not in {mapping_path}")
            continue
        if rater in raters_seen:
            errors.append(f"{path}: rater {rater!r} already read from {raters_seen[rater]}")
            continue
        raters_seen[rater] = path
        expected = mapping[rater]
        first_row: dict[tuple[str, str], int] = {}
        for row_no, row in rows:
            key = (row["question_id"], row["label"])
            where = f"{path}: row {row_no}"
            if key not in expected:
                errors.append(f"{where}: question id {key[0]!r} with label {key[1]!r} is not on this rater's "
                              "sheet as written (changed question id or label?)")
                continue
            if key in first_row:
                errors.append(f"{where}: duplicates row {first_row[key]} (question {key[0]}, {key[1]})")
                continue
            first_row[key] = row_no
            scores = {}
            for crit in CRITERIA:
                cell = row[crit]
                if not cell:
                    if allow_incomplete:
                        skipped += 1
                    else:
                        errors.append(f"{where}: {crit} is empty (question {key[0]}, {key[1]})")
                    continue
                value = _score(cell)
                if value is None:
                    errors.append(f"{where}: {crit} must be an integer {SCALE[0]}-{SCALE[1]}, got {cell!r}")
                    continue
                scores[crit] = value
            if scores:
                ratings.append(Rating(rater, key[0], row["language"], expected[key], scores))
        for key in expected.keys() - first_row.keys():
            errors.append(f"{path}: question {key[0]} label {key[1]} is missing (row deleted?)")
    if errors:
        shown = errors[:_MAX_ERRORS_SHOWN]
        more = [f"... and {len(errors) - len(shown)} more"] if len(errors) > len(shown) else []
        raise SheetError(f"{len(errors)} problem(s) in the filled sheets (one per line below)", [*shown, *more])
    if not ratings:
        raise SheetError("the sheets hold no scores yet")
    return ratings, skipped
