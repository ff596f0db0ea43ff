"""Corpus building (MMedC): keyword filter over web text, textbooks (PDF text + OCR), web pages, existing corpora,
assembly (cleaning, language check, dedup, decontamination) and review sheets."""
