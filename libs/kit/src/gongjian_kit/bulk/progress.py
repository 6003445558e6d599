"""A text progress bar on stderr: redrawn in place on a terminal, one summary line otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30
REDRAW_S = 0.1


class Progress:
    """Counts rows of one phase (reading, writing) and shows how far it is and how fast."""

    def __init__(
        self, label: str, total: int | None, stream: TextIO | None = None, enabled: bool = True
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.live = enabled and self.stream.isatty()
        self.started = time.monotonic()
        self._drawn = 0.0

    def advance(self, rows: int = 1) -> None:
        self.done += rows
        now = time.monotonic()
        if self.live and now - self._drawn >= REDRAW_S:
            self._drawn = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        self.stream.write(("\r" if self.live else "") + self.line(time.monotonic()) + "\n")
        self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        rate = f"{self.done / elapsed:,.0f} 行/s rows/s"
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = round(share * WIDTH)
            bar = "█" * filled + "░" * (WIDTH - filled)
            return f"{self.label} [{bar}] {share:4.0%} {self.done:,}/{self.total:,}  {rate}"
        return f"{self.label} {self.done:,} 行 rows  {rate}"


ProgressFactory = Callable[[str, int | None], Progress]


def quiet(label: str, total: int | None) -> Progress:
    """A progress that shows nothing (tests, libraries)."""
    return Progress(label, total, enabled=False)
