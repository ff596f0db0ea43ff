"""Generation on MMedBench and English benchmarks, answer parsing, accuracy and rationale metrics, tables."""
