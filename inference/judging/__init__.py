"""Rationale judging behind `python -m inference.judge`: the items judged, the judge prompt, chat backends
(any OpenAI-compatible server, or a local HF model), human rating sheets, agreement statistics and the report."""
