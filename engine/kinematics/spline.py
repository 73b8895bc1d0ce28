"""Least-jerk smoothing of a path between frames that must stay exactly where they are.

A foot goal is exact while the foot is planted, but the way it leaves one
plant and reaches the next is built from pieces (ease-outs, offset moves, a
lift) that can be sharp when plants are close in time. `least_jerk` replaces
the free frames of such a path by the curve that minimises its summed
squared third difference (jerk) plus a stiffness times its squared distance
from the path: a smoothing spline that removes what changes faster than
`cutoff_hz` and leaves slower motion (a stride, a kick) almost untouched,
while the fixed frames stay exact and the curve joins them smoothly.

Each run of free frames is one small dense solve (with three fixed frames on
either side as context), so the cost follows the number of transitions, not
the length of the motion; the solve depends only on the run's layout and is
kept (the sampler's guidance repeats the same runs at every step). Runs longer than MAX_RUN are left as they are: a
change spread over that many frames is smooth already.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

MAX_RUN = 400  # frames: longer free runs are not solved
CONTEXT = 3  # fixed frames on each side that the jerk terms see


def stiffness(cutoff_hz: float, fps: float) -> float:
    """Data weight whose spline passes half the power at `cutoff_hz`: the response is s / (s + (2 sin(pi f / fps))^6)."""
    return float((2.0 * np.sin(np.pi * min(cutoff_hz / fps, 0.5))) ** 6)


def least_jerk(path: np.ndarray, fixed: np.ndarray, cutoff_hz: float, fps: float) -> np.ndarray:
    """`path` (T, D) smoothed on the frames where `fixed` (T,) is False; fixed frames are returned unchanged."""
    out = np.array(path, dtype=np.float64, copy=True)
    fixed = np.asarray(fixed, bool)
    n = len(out)
    if n < 4 or fixed.all():
        return out
    s = stiffness(cutoff_hz, fps)
    free_mask = np.concatenate([[False], ~fixed, [False]])
    edges = np.flatnonzero(free_mask[1:] != free_mask[:-1])  # starts and stops of the free runs
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a > MAX_RUN:
            continue
        lo, hi = max(a - CONTEXT, 0), min(b + CONTEXT, n)
        if hi - lo < 4:
            continue
        keep, mix = _run_solution(a - lo, b - a, hi - b, s)
        out[a:b] = keep @ out[a:b] - mix @ out[lo:hi]
    return out


@lru_cache(maxsize=64)  # a 400-frame run keeps about 1.3 MB
def _run_solution(before: int, free: int, after: int, s: float) -> tuple[np.ndarray, np.ndarray]:
    """Matrices (keep, mix) with the free run's solution = keep @ path[run] - mix @ path[context + run + context].

    The normal equations (A_f' A_f + s I) x = s g - A_f' A_c c depend only on the run's layout, so they are solved
    once per layout: guidance calls this with the same runs at every sampling step."""
    d3 = _third_difference(before + free + after)
    a_free = d3[:, before : before + free]
    inverse = np.linalg.inv(a_free.T @ a_free + s * np.eye(free))
    context = d3.copy()
    context[:, before : before + free] = 0.0  # the known frames only
    return s * inverse, inverse @ a_free.T @ context


def _third_difference(m: int) -> np.ndarray:
    """(m - 3, m) matrix of third differences."""
    d = np.zeros((m - 3, m))
    rows = np.arange(m - 3)
    for k, c in enumerate((-1.0, 3.0, -3.0, 1.0)):
        d[rows, rows + k] = c
    return d
