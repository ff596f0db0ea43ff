"""Character error rate of OCR output against the text that was printed (the measure of scripts/bench_ocr.py)."""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import Levenshtein


def normalise_for_cer(text: str) -> str:
    """NFKC (full-width digits and punctuation become ASCII, as OCR engines write them) without whitespace: line
    breaks and the spaces an engine puts between CJK characters are layout, not reading errors."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def char_error_rate(hypothesis: str, reference: str) -> float:
    """Levenshtein distance over characters / reference length (0.0 = perfect; can exceed 1.0)."""
    hyp, ref = normalise_for_cer(hypothesis), normalise_for_cer(reference)
    return Levenshtein.distance(hyp, ref) / max(len(ref), 1)
