"""Foot lock: keep feet that touch the ground planted after retargeting.

The retargeted legs follow the source's rotations, so on a rig with other
proportions (or a source with a little sliding) the feet drift while in
contact. For each contact run the ankle (or the ball, while the heel is up)
is pinned to the run's mean position, at the height the rig's rest pose has it
(the rest pose stands on the floor, so planted feet touch it and do not sink),
and a two-bone IK on the target's own thigh/shin chain reaches it
(kinematics.ik.two_bone_world); the correction fades in and out over a few
frames outside the runs. Reach is clamped softly so the knee never pops
straight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kinematics import filters
from ..kinematics.contact import contact_runs


def _run_means(points: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Each frame inside a run gets the run's mean point; other frames NaN."""
    out = np.full_like(points, np.nan)
    for a, b in contact_runs(mask):
        out[a:b] = points[a:b].mean(axis=0)
    return out


def _ball_locks(ankle, ball, heel_lock, heel_on, ball_on) -> np.ndarray:
    """Ball lock per run; while the heel is also down it sits one foot length from the heel's lock."""
    out = np.full_like(ball, np.nan)
    for a, b in contact_runs(ball_on):
        both = heel_on[a:b]
        points = heel_lock[a:b][both] + (ball - ankle)[a:b][both] if both.any() else ball[a:b]
        out[a:b] = points.mean(axis=0)
    return out


@dataclass(frozen=True)
class Floor:
    """Where planted foot joints belong: per frame, their height along `up` (armature space).

    The rig's rest height plus the lift the source has above its own standing
    height (heels rising inside a contact run), so feet touch the floor and
    never sink below it.
    """

    up: np.ndarray  # (3,)
    ankle: np.ndarray  # (T,)
    ball: np.ndarray | None = None  # (T,)

    def place(self, points: np.ndarray, heights: np.ndarray) -> np.ndarray:
        return points + (heights - points @ self.up)[:, None] * self.up


def ankle_corrections(
    ankle: np.ndarray,
    ball: np.ndarray | None,
    heel_on: np.ndarray,
    ball_on: np.ndarray | None,
    blend: int,
    floor: Floor | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-frame ankle offsets (T,3) that plant the foot, and where the ball must point (T,3, NaN if free).

    Heel (ankle) contact pins the ankle; ball-only contact pins the ball and
    moves the ankle with it (the foot keeps its orientation, so the heel can
    lift). With a `floor` the pins sit at its heights, and while heel and ball
    are both down the foot is turned so that both do. Outside contact the
    offset fades over `blend` frames.
    """
    t = len(ankle)
    heel_on = np.asarray(heel_on, dtype=bool)
    corr = np.full((t, 3), np.nan)
    aim = None
    heel_lock = _run_means(ankle, heel_on)
    if floor is not None:
        heel_lock = floor.place(heel_lock, floor.ankle)
    corr[heel_on] = heel_lock[heel_on] - ankle[heel_on]
    if ball is not None and ball_on is not None:
        ball_on = np.asarray(ball_on, dtype=bool)
        ball_lock = _ball_locks(ankle, ball, heel_lock, heel_on, ball_on)
        if floor is not None and floor.ball is not None:
            ball_lock = floor.place(ball_lock, floor.ball)
        only_ball = ball_on & ~heel_on
        corr[only_ball] = ball_lock[only_ball] - ball[only_ball]
        both = ball_on & heel_on
        aim = np.full((t, 3), np.nan)
        aim[both] = ball_lock[both] - heel_lock[both]
        if floor is not None and floor.ball is not None and both.any():
            aim[both] = _foot_on_floor(aim[both], np.linalg.norm(ball - ankle, axis=-1)[both],
                                       (floor.ball - floor.ankle)[both], floor.up)  # fmt: skip
    return fade_out(corr, blend), aim


def _foot_on_floor(aim: np.ndarray, length: np.ndarray, drop: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Heel-to-ball directions (N,3) with the heading of `aim` whose rise over the foot's length is `drop`."""
    flat = aim - (aim @ up)[:, None] * up
    flat /= np.maximum(np.linalg.norm(flat, axis=-1, keepdims=True), 1e-12)
    rise = np.clip(drop, -length, length)
    return flat * np.sqrt(np.maximum(length**2 - rise**2, 0.0))[:, None] + rise[:, None] * up


def fade_out(corr: np.ndarray, blend: int) -> np.ndarray:
    """Fill NaN frames with the nearest contact offsets, faded out smoothly over `blend` frames."""
    t = len(corr)
    known = ~np.isnan(corr[:, 0])
    out = np.where(known[:, None], corr, 0.0)
    if not known.any() or blend <= 0:
        return out
    idx = np.arange(t)
    prev = np.maximum.accumulate(np.where(known, idx, -1))
    nxt = np.minimum.accumulate(np.where(known, idx, t)[::-1])[::-1]
    free = ~known
    for src, dist in ((prev, idx - prev), (nxt, nxt - idx)):
        ok = free & (src >= 0) & (src < t) & (dist < blend)
        out[ok] += filters.fade(dist[ok], blend)[:, None] * corr[src[ok]]
    return out
