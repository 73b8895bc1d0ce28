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
"""

from __future__ import annotations

import numpy as np

from ..constraints.trajectory import rotate_xy
from ..features import heading
from ..kinematics.filters import gaussian, minimum_jerk
from ..motion import Motion
from .terms import APPROACH_S, RELEASE_S, ContactTrack

REST_SEARCH_S = 0.5  # s before the approach (after the release) searched for the joint's slowest moment
REST_SPEED = 0.2  # m/s: a joint slower than this (relative to the body) is at rest
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
    frames = np.arange(_rest(local, s - round(APPROACH_S * fps), fps, -1, s), _rest(local, e + round(RELEASE_S * fps),
                                                                                  fps, 1, e) + 1)  # fmt: skip
    out = local[frames].copy()
    hold = _to_body(term.position - pelvis[span], yaw[span])
    out[(frames >= s) & (frames <= e)] = hold
    for lo, hi, a, b in ((frames[0], s, local[frames[0]], hold[0]), (e, frames[-1], hold[-1], local[frames[-1]])):
        if hi > lo:
            x = minimum_jerk((np.arange(lo, hi + 1) - lo) / (hi - lo))[:, None]
            out[lo - frames[0] : hi - frames[0] + 1] = a + x * (b - a)
    world = pelvis[frames] + _to_body(out, -yaw[frames])
    world[(frames >= s) & (frames <= e)] = term.position  # exact where the contact holds
    return frames, world


def _rest(local: np.ndarray, frame: int, fps: float, direction: int, contact: int) -> int:
    """Where a reach can start (direction -1) or a release end (+1) without a jolt: the frame farthest from the
    contact within REST_SEARCH_S beyond `frame` at which the body-frame joint moves slower than REST_SPEED (the
    arm's own moves before it are kept, those after it replaced), else the slowest one there; clipped to the
    clip."""
    n = len(local)
    frame = int(np.clip(frame, 0, n - 1))
    far = int(np.clip(frame + direction * round(REST_SEARCH_S * fps), 0, n - 1))
    lo, hi = sorted((frame, far))
    if hi == lo or (direction < 0 and frame >= contact) or (direction > 0 and frame <= contact):
        return frame
    speed = np.linalg.norm(np.diff(local, axis=0), axis=-1) * fps
    at = np.concatenate([[speed[0]], np.maximum(speed[1:], speed[:-1]), [speed[-1]]])[lo : hi + 1]
    slow = np.flatnonzero(at < REST_SPEED)
    if not len(slow):
        return lo + int(np.argmin(at))
    return lo + int(slow[0] if direction < 0 else slow[-1])


def _smooth_heading(motion: Motion, fps: float) -> np.ndarray:
    return gaussian(np.unwrap(heading(motion.rotations[:, 0])), HEADING_SIGMA_S * fps)


def _to_body(v: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """World offsets (F, 3) turned by -yaw about +Z (into the body's frame; -yaw turns them back)."""
    x, y = rotate_xy(v[:, 0], v[:, 1], -yaw)
    return np.stack([x, y, v[:, 2]], axis=-1)
