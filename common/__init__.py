"""Shared building blocks of every stage: configs, record I/O, MMedBench schema, prompts, languages, training engine."""
