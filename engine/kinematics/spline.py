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
the length of the motion. Runs longer than MAX_RUN are left as they are: a
change spread over that many frames is smooth already.
"""

from __future__ import annotations

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
        d3 = _third_difference(hi - lo)
        free = slice(a - lo, b - lo)
        a_free = d3[:, free]
        known = out[lo:hi].copy()
        known[free] = 0.0
        lhs = a_free.T @ a_free + s * np.eye(b - a)
        rhs = s * out[a:b] - a_free.T @ (d3 @ known)
        out[a:b] = np.linalg.solve(lhs, rhs)
    return out


def _third_difference(m: int) -> np.ndarray:
    """(m - 3, m) matrix of third differences."""
    d = np.zeros((m - 3, m))
    rows = np.arange(m - 3)
    for k, c in enumerate((-1.0, 3.0, -3.0, 1.0)):
        d[rows, rows + k] = c
    return d
