"""Root and heading corrections eased between constrained frames, and the walk they bend.

Guidance bends each x0 prediction's root and heading onto its constraints
with these curves; the observations ask the network for the same bent walk
(`bent_walk`) where a target or keyframe puts the root far from where the
prediction has it. One curve for both, so what the network is told and what
guidance does cannot disagree.
"""

from __future__ import annotations

import numpy as np

from ..kinematics.spline import least_jerk
from .trajectory import Trajectory, rotate_xy

CORRECTION_CUTOFF_HZ = 1.0  # root and heading corrections between constrained frames: slower than a step


def interp_correction(
    frames: np.ndarray, corr: np.ndarray, length: int, keep_start: bool = True, fps: float = 20.0
) -> np.ndarray:
    """Per-frame correction: exact at `frames`, a least-jerk curve between them (no kinks where a linear
    interpolation would bend: each kink is a jolt through the whole body), held after the last; ramped from zero
    at frame 0 (the window origin) when `keep_start`, else held before the first."""
    frames = np.asarray(frames)
    order = np.argsort(frames, kind="stable")
    frames, corr = frames[order], np.asarray(corr, dtype=np.float64)[order]
    if keep_start and frames[0] > 0:
        frames = np.concatenate([[0], frames])
        corr = np.concatenate([np.zeros((1,) + corr.shape[1:]), corr])
    elif keep_start:
        corr = corr.copy()
        corr[frames == 0] = 0.0
    x = np.arange(length)
    flat = corr.reshape(len(corr), -1)
    linear = np.stack([np.interp(x, frames, flat[:, i]) for i in range(flat.shape[1])], axis=-1)
    fixed = np.zeros(length, bool)
    fixed[frames[frames < length]] = True
    return least_jerk(linear, fixed, CORRECTION_CUTOFF_HZ, fps).reshape((length,) + corr.shape[1:])


def bent_walk(traj: Trajectory, places=(), headings=()) -> tuple[np.ndarray, np.ndarray]:
    """Root (T, 2) and heading (T,) of `traj` bent onto wanted root places and headings.

    `places`: (frames, (F, 2) positions) pairs; `headings`: (frames, (F,) radians) pairs. The heading is
    corrected first (the nearest way round) and the walk turned with it, keeping its steps in its own heading;
    then the root is bent onto its places (several on one frame: their mean). Frame 0 stays put.
    """
    places = [(np.atleast_1d(f), np.reshape(p, (-1, 2))) for f, p in places]
    headings = [(np.atleast_1d(f), np.atleast_1d(y)) for f, y in headings]
    t = len(traj.root)
    yaw = traj.yaw.copy()
    if headings:
        frames = np.concatenate([f for f, _ in headings])
        want = np.concatenate([y for _, y in headings])
        yaw += interp_correction(frames, nearest_turn(want, traj.yaw[frames]), t, fps=traj.fps)
    step = np.diff(traj.root, axis=0)
    local = rotate_xy(step[:, 0], step[:, 1], -traj.yaw[:-1])
    turned = np.stack(rotate_xy(*local, yaw[:-1]), -1)
    root = traj.root[0] + np.concatenate([np.zeros((1, 2)), np.cumsum(turned, axis=0)])
    if places:
        root += correction_curve([(f, p - root[f]) for f, p in places], t, traj.fps)
    return root, yaw


def nearest_turn(want, have):
    """The turn (radians, in [-pi, pi)) from heading `have` to heading `want` the nearest way round."""
    return (np.asarray(want) - have + np.pi) % (2 * np.pi) - np.pi


def correction_curve(moves, length: int, fps: float) -> np.ndarray:
    """(length, 2) ground correction through `moves`, (frames, (F, 2) moves) pairs (several on one frame: their
    mean), eased in from frame 0 and held after the last (interp_correction)."""
    total, count = np.zeros((length, 2)), np.zeros(length)
    for f, m in moves:
        np.add.at(total, f, m)
        np.add.at(count, f, 1)
    on = np.flatnonzero(count)
    return interp_correction(on, total[on] / count[on, None], length, fps=fps)
