"""Progress that suits both a terminal and a log file.

    from common.progress import progress_bar
    bar = progress_bar(total=len(items), desc="generate", unit="q")
    for item in items:
        ...
        bar.update(1)
    bar.close()

On a terminal this is a normal tqdm bar. When stderr is not a terminal (a Slurm log, `... 2> log`, a pipe), a bar
redraws itself with carriage returns, which a log keeps as one line of tens of kilobytes; there the bar is replaced
by plain lines: one every `every_s` seconds (`MMED_PROGRESS_EVERY`, default 30) and one at the end, e.g.

    train: 40/120 (33%) 12s elapsed, 3.3 it/s, loss=2.31
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Any

DEFAULT_EVERY_S = 30.0


def _every_s() -> float:
    raw = os.environ.get("MMED_PROGRESS_EVERY", "")
    try:
        return float(raw) if raw else DEFAULT_EVERY_S
    except ValueError:
        return DEFAULT_EVERY_S


class LineProgress:
    """The subset of tqdm's interface the pipeline uses (update, set_postfix, close, context manager), printing
    one plain line every `every_s` seconds instead of redrawing."""

    def __init__(self, total: int | None = None, desc: str = "", unit: str = "it", initial: int = 0,
                 disable: bool = False, every_s: float | None = None, stream: IO[str] | None = None) -> None:
        self.total, self.desc, self.unit, self.n, self.disable = total, desc, unit, initial, disable
        self.every_s = _every_s() if every_s is None else every_s
        self.stream = stream
        self._initial, self._postfix, self._closed = initial, "", False
        self._start = self._last = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.n += n
        if not self.disable and time.monotonic() - self._last >= self.every_s:
            self._print()

    def set_postfix(self, ordered_dict: dict[str, Any] | None = None, refresh: bool = True, **kwargs: Any) -> None:
        items = {**(ordered_dict or {}), **kwargs}
        self._postfix = ", ".join(f"{key}={value}" for key, value in items.items())

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or ""

    def refresh(self) -> None:
        """Nothing to redraw: a line is printed on the clock."""

    def line(self) -> str:
        """The line printed now: count, share of the total, elapsed time, rate, postfix."""
        elapsed = time.monotonic() - self._start
        done = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        share = f" ({100.0 * self.n / self.total:.0f}%)" if self.total else ""
        rate = (self.n - self._initial) / elapsed if elapsed > 0 else 0.0
        tail = f", {self._postfix}" if self._postfix else ""
        head = f"{self.desc}: " if self.desc else ""
        return f"{head}{done}{share} {elapsed:.0f}s elapsed, {rate:.2f} {self.unit}/s{tail}"

    def _print(self) -> None:
        print(self.line(), file=self.stream or sys.stderr, flush=True)
        self._last = time.monotonic()

    def close(self) -> None:
        if not self._closed and not self.disable:
            self._print()
        self._closed = True

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_terminal(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def progress_bar(total: int | None = None, desc: str = "", unit: str = "it", initial: int = 0,
                 disable: bool = False, every_s: float | None = None, **tqdm_kwargs: Any) -> Any:
    """A tqdm bar on a terminal, else a `LineProgress` (one plain line every `every_s` seconds and at the end).
    Extra keyword arguments (dynamic_ncols, leave, ...) go to tqdm and are ignored by the line printer."""
    if is_terminal():
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=unit, initial=initial, disable=disable, **tqdm_kwargs)
    return LineProgress(total=total, desc=desc, unit=unit, initial=initial, disable=disable, every_s=every_s)


def quiet_library_progress() -> None:
    """When stderr is not a terminal, turn off the bars of datasets / huggingface_hub / transformers ("Saving the
    dataset", "Writing model shards"), which a log would keep as carriage-return redraws. Call it at a command's
    start, before those libraries are imported; an explicit setting in the environment wins."""
    if is_terminal():
        return
    for name in ("HF_DATASETS_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(name, "1")
