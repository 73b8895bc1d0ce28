"""The training budget's clock counts training, not pauses (engine/training/clock.py)."""

from __future__ import annotations

import pytest

from engine.training.clock import PAUSE_FACTOR, WARM_STEPS, TrainingClock


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_pause_counts_as_one_typical_step_and_steps_count_whole():
    t = FakeTime()
    clock = TrainingClock(elapsed=60.0, clock=t)  # resumed from a checkpoint's minute
    for _ in range(10):
        t.now += 0.5
        clock.tick()
    assert clock.elapsed == pytest.approx(65.0)
    t.now += 3600.0  # stopped for an hour, then one step
    clock.tick()
    assert clock.elapsed == pytest.approx(65.5)
    t.now += 0.5 * PAUSE_FACTOR * 0.9  # a slow step (a checkpoint written) is training time
    clock.tick()
    assert clock.elapsed == pytest.approx(65.5 + 0.5 * PAUSE_FACTOR * 0.9)


def test_the_first_steps_count_whatever_they_take():
    t = FakeTime()
    clock = TrainingClock(clock=t)
    for seconds in [30.0] + [0.5] * (WARM_STEPS - 1):  # the first step compiles and warms caches
        t.now += seconds
        clock.tick()
    assert clock.elapsed == pytest.approx(30.0 + 0.5 * (WARM_STEPS - 1))
