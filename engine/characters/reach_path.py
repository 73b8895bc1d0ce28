"""A contact joint's way in and out of a contact as one smooth reach each, whatever the arm was doing there.

Easing a contact onto the arm's own path (its path plus a minimum-jerk
weight times the error, as a single joint target is reached) keeps whatever
that path does underneath. The model raises a hand in steps, for one: dee's
hand in the high five rose in two pops 0.3 s apart, which clean-up's
low-pass turned into two humps of speed (3.8 x a minimum-jerk reach). Here
the joint's path relative to the body (the pelvis and its smoothed heading)
is replaced instead: from where the joint rests just before the approach
to the contact's first target, one minimum-jerk move; from the contact's
last target to where its own path rests just after the release, another. The limb follows by IK (clean-up's reach), so each way
has one speed hump, as a person's reach does.

Where the release meets the arm's own motion again, the speed must not step:
there "rests" means slow and staying slow for SETTLE_S (cam's high five once
ended its release on a lull between two humps of its own arm and went from 0
to 1.1 m/s in three frames), searched up to MAX_SEARCH_S when the first
REST_SEARCH_S has no such frame; and the release ends with the own path's
velocity where it joins it (a quintic Hermite term on top of the minimum-jerk
curve), so what is left of the arm's own speed there carries on. The reach
leaves the own path with its velocity in the same way (ben's arm in the
handshake was still moving at 0.3-0.4 m/s where his reach began, and a reach
from a standstill made it stop and go); its start keeps the plain rule
(moved earlier like the release's end, a reach starting amid a walker's arm
swing took twice as long and lost its one-hump shape).
"""

from __future__ import annotations

import numpy as np

from ..constraints.trajectory import rotate_xy
from ..features import heading
from ..kinematics.filters import gaussian, minimum_jerk
from ..motion import Motion
from .terms import APPROACH_S, RELEASE_S, ContactTrack

REST_SEARCH_S = 0.5  # s before the approach (after the release) searched for the joint's slowest moment
MAX_SEARCH_S = 1.0  # s after the release searched at most, when the first REST_SEARCH_S has no joint at rest
REST_SPEED = 0.2  # m/s: a joint slower than this (relative to the body) is at rest ...
SETTLE_S, SETTLE_SPEED = 0.2, 0.4  # ... where a release ends, if it stays below SETTLE_SPEED this long after it
HEADING_SIGMA_S = 0.25  # s: the body frame turns with the walk's heading, not with each step's pelvis sway


def contact_path(motion: Motion, term: ContactTrack) -> tuple[np.ndarray, np.ndarray]:
    """(frames, world targets (F, 3)) for `term`'s joint from the start of its reach to the end of its release:
    minimum-jerk in the body frame on the way in and out, `term.position` on the contact's own frames."""
    fps = motion.fps
    pos = motion.positions()
    pelvis, yaw = pos[:, 0], _smooth_heading(motion, fps)
    local = _to_body(pos[:, term.joint] - pelvis, yaw)
    span = term.span_index
    s, e = int(span[0]), int(span[-1])
    frames = np.arange(_reach_start(local, s - round(APPROACH_S * fps), fps, s),
                       _release_end(local, e + round(RELEASE_S * fps), fps, e) + 1)  # fmt: skip
    out = local[frames].copy()
    hold = _to_body(term.position - pelvis[span], yaw[span])
    out[(frames >= s) & (frames <= e)] = hold
    for lo, hi, a, b in ((frames[0], s, local[frames[0]], hold[0]), (e, frames[-1], hold[-1], local[frames[-1]])):
        if hi > lo:
            x = (np.arange(lo, hi + 1) - lo) / (hi - lo)
            move = a + minimum_jerk(x)[:, None] * (b - a)
            if lo == e:  # the release joins the arm's own path with its velocity there
                move += carry(x)[:, None] * _own_velocity(local, hi, fps) * (hi - lo) / fps
            else:  # the reach leaves it with its velocity there (an arm still moving, not a stop and go)
                move -= carry(1.0 - x)[:, None] * _own_velocity(local, lo - 1, fps) * (hi - lo) / fps
            out[lo - frames[0] : hi - frames[0] + 1] = move
    world = pelvis[frames] + _to_body(out, -yaw[frames])
    world[(frames >= s) & (frames <= e)] = term.position  # exact where the contact holds
    return frames, world


def carry(x):
    """x^3 (-4 + 7x - 3x^2) on [0, 1]: zero position, velocity and acceleration at 0, zero position and
    acceleration and unit velocity at 1 (the quintic Hermite term that ends a move with a given velocity)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (-4 + 7 * x - 3 * x * x)


def _own_velocity(local: np.ndarray, frame: int, fps: float) -> np.ndarray:
    """(3,) the joint's own velocity (m/s, body frame) leaving `frame` (zero outside the clip)."""
    if frame < 0 or frame + 1 >= len(local):
        return np.zeros(3)
    return (local[frame + 1] - local[frame]) * fps


def _speeds(local: np.ndarray, fps: float) -> np.ndarray:
    """(T,) body-frame speed of the joint at each frame: the larger of the steps into and out of it."""
    speed = np.linalg.norm(np.diff(local, axis=0), axis=-1) * fps
    return np.concatenate([[speed[0]], np.maximum(speed[1:], speed[:-1]), [speed[-1]]])


def _reach_start(local: np.ndarray, frame: int, fps: float, contact: int) -> int:
    """Where a reach can start without a jolt: the frame farthest from the contact within REST_SEARCH_S before
    `frame` at which the body-frame joint moves slower than REST_SPEED (the arm's own moves before it are kept,
    those after it replaced), else the slowest one there; clipped to the clip."""
    n = len(local)
    frame = int(np.clip(frame, 0, n - 1))
    lo = int(np.clip(frame - round(REST_SEARCH_S * fps), 0, n - 1))
    if frame == lo or frame >= contact:
        return frame
    at = _speeds(local, fps)[lo : frame + 1]
    slow = np.flatnonzero(at < REST_SPEED)
    return lo + int(slow[0] if len(slow) else np.argmin(at))


def _release_end(local: np.ndarray, frame: int, fps: float, contact: int) -> int:
    """Where a release can end without a speed step: the frame farthest from the contact within REST_SEARCH_S
    after `frame` at which the body-frame joint is slower than REST_SPEED and stays below SETTLE_SPEED for
    SETTLE_S (the arm's own moves after it are kept, those before it replaced); if none, the nearest such frame
    up to MAX_SEARCH_S; else (an arm that keeps moving) the farthest frame within REST_SEARCH_S that is slow
    itself, or the slowest there. Clipped to the clip."""
    n = len(local)
    frame = int(np.clip(frame, 0, n - 1))
    if n < 3 or frame <= contact:
        return frame
    speed = _speeds(local, fps)
    settle = max(1, int(round(SETTLE_S * fps)))
    ahead = np.minimum(np.arange(n)[:, None] + np.arange(settle + 1), n - 1)  # each frame and SETTLE_S after it
    settled = (speed < REST_SPEED) & (speed[ahead].max(axis=1) < SETTLE_SPEED)
    near = int(min(frame + round(REST_SEARCH_S * fps), n - 1))
    for hi, farthest in ((near, True), (int(min(frame + round(MAX_SEARCH_S * fps), n - 1)), False)):
        slow = frame + np.flatnonzero(settled[frame : hi + 1])
        if len(slow):
            return int(slow[-1] if farthest else slow[0])
    slow = frame + np.flatnonzero(speed[frame : near + 1] < REST_SPEED)
    return int(slow[-1]) if len(slow) else frame + int(np.argmin(speed[frame : near + 1]))


def _smooth_heading(motion: Motion, fps: float) -> np.ndarray:
    return gaussian(np.unwrap(heading(motion.rotations[:, 0])), HEADING_SIGMA_S * fps)


def _to_body(v: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """World offsets (F, 3) turned by -yaw about +Z (into the body's frame; -yaw turns them back)."""
    x, y = rotate_xy(v[:, 0], v[:, 1], -yaw)
    return np.stack([x, y, v[:, 2]], axis=-1)
