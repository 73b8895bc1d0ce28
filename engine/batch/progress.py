"""A one-line progress bar on stderr: jobs done, failed, rate and time left.

On a terminal it redraws in place; in a log (not a tty) it prints a line at
most every `every_s` seconds, so CI logs and cluster logs stay readable.
"""

from __future__ import annotations

import sys
import time


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, total: int, stream=None, every_s: float = 10.0, width: int = 24) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every_s, self.width = every_s, width
        self.started = time.monotonic()
        self.last, self.last_shown = 0.0, -1

    def restart(self) -> None:
        """Count the rate from now (after the workers started)."""
        self.started = time.monotonic()

    def update(self, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        self.show()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed * 60 if elapsed > 0 else 0.0
        left = (self.total - self.done) / (rate / 60) if rate > 0 else None
        filled = int(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        eta = clock(left) if left is not None else "?"
        return (f"[{bar}] {self.done}/{self.total} done, {self.failed} failed, {rate:.1f} jobs/min, "
                f"{clock(elapsed)} elapsed, {eta} left")  # fmt: skip

    def show(self, final: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
        elif self.last_shown != self.done and (final or now - self.last >= self.every_s or self.done == self.total):
            self.stream.write(self.line() + "\n")
        else:
            return
        self.last, self.last_shown = now, self.done
        self.stream.flush()
