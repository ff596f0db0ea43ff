"""Progress for logs: plain lines on a clock when stderr is not a terminal, tqdm on a terminal."""

from __future__ import annotations

import io
import os
import sys

from common.progress import LineProgress, progress_bar


def test_a_log_gets_one_plain_line_per_interval_and_one_at_the_end():
    out = io.StringIO()
    bar = LineProgress(total=4, desc="train", unit="step", every_s=3600, stream=out)
    for _ in range(4):
        bar.update(1)
    assert out.getvalue() == ""  # the interval has not passed: nothing printed yet
    bar.set_postfix(loss="2.31")
    bar.close()
    bar.close()  # closing twice prints once
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "\r" not in out.getvalue()
    assert lines[0].startswith("train: 4/4 (100%) ") and lines[0].endswith("step/s, loss=2.31")


def test_every_update_prints_when_the_interval_is_zero_and_nothing_when_disabled():
    out = io.StringIO()
    with LineProgress(total=None, desc="generate", unit="q", every_s=0, stream=out) as bar:
        bar.update(2)
        bar.update(3)
    assert [line.split(" ")[1] for line in out.getvalue().splitlines()] == ["2", "5", "5"]
    quiet = io.StringIO()
    with LineProgress(total=3, every_s=0, stream=quiet, disable=True) as bar:
        bar.update(3)
    assert quiet.getvalue() == ""


def test_progress_bar_is_the_line_printer_when_stderr_is_no_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.setenv("MMED_PROGRESS_EVERY", "0")
    bar = progress_bar(total=2, desc="train", dynamic_ncols=True)
    assert isinstance(bar, LineProgress) and bar.every_s == 0
    bar.update(2)
    bar.close()
    assert sys.stderr.getvalue().count("\n") == 2 and "\r" not in sys.stderr.getvalue()


def test_library_bars_are_turned_off_for_a_log_unless_set(monkeypatch):
    from common.progress import quiet_library_progress

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.delenv("HF_DATASETS_DISABLE_PROGRESS_BARS", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "0")
    quiet_library_progress()
    assert os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] == "1" and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "0"
