"""The training budget's clock: seconds spent training, not seconds the process existed.

`--max-minutes` and the learning-rate schedule (which runs on the share of
the budget used) read this clock. Wall time since the start counted pauses
too: a run stopped for an hour (SIGSTOP while benchmarks ran, a laptop
asleep) came back having used an hour of its budget and an hour of its
schedule without a step (b7 on 2026-12-03: 2.76 k steps in "103 minutes",
of which about 60 paused). Here each step adds its own wall duration, and a
step that took far longer than the steps before it (a pause) adds a typical
step instead.
"""

from __future__ import annotations

import time
from collections import deque

PAUSE_FACTOR = 20.0  # a step this many times slower than the median of the recent ones was a pause
HISTORY = 50  # recent step durations the median is taken over
WARM_STEPS = 5  # before this many steps every duration counts (the first steps compile and warm caches)


class TrainingClock:
    """Seconds of training so far, continuing from `elapsed` (a checkpoint's)."""

    def __init__(self, elapsed: float = 0.0, clock=time.monotonic) -> None:
        self.elapsed = float(elapsed)
        self._clock = clock
        self._last = clock()
        self._recent: deque[float] = deque(maxlen=HISTORY)

    def tick(self) -> float:
        """Count the time since the last tick (one training step) and return the total."""
        now = self._clock()
        step, self._last = now - self._last, now
        if len(self._recent) >= WARM_STEPS:
            typical = sorted(self._recent)[len(self._recent) // 2]
            if step > PAUSE_FACTOR * typical:
                step = typical
        self._recent.append(step)
        self.elapsed += step
        return self.elapsed
