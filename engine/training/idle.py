"""Standing-still items cut from the corpus's own clips.

No clip of the corpus is labelled standing idle, so "a person stands still"
was never trained: the text encoder puts it near "stands up after lying face
up", and the shipped model dives or lies down for it in 4 of 6 seeds where
the runtime's standing hold does not apply (tools/check_standing.py). Yet
many clips stand still for a while before or after their action (a wave
that starts late, a bow held): 389 of the 2,542 unmirrored training clips
for at least 1.5 s, 217 for 2 s, by the thresholds below. With `--idle-items`
each such stretch becomes an item of its own, labelled ("stand", "normal").
"""

from __future__ import annotations

import numpy as np

from .. import features as feat
from ..kinematics.contact import contact_runs

IDLE_LABEL = ("stand", "normal")
STILL_JOINT_SPEED = 0.35  # m/s: the fastest joint relative to the pelvis stays under this ...
STILL_ROOT_SPEED = 0.15  # m/s: ... the pelvis moves over the ground slower than this ...
STILL_TURN_RATE = 0.3  # rad/s: ... and turns slower than this (joints are read in the heading frame)
MIN_S = 1.5  # s: the shortest stretch that counts
IDLE_SHARE = 0.05  # of the windows drawn: standing is easy to learn, and 876 stretches (2,340 s) would draw ~10 %


def still_stretches(raw: np.ndarray, fps: float, min_s: float = MIN_S) -> list[tuple[int, int]]:
    """Frame ranges [a, b) of one clip's raw features (T, F) where the body stands still for at least `min_s`."""
    pos = feat.joint_positions_from_features(raw)  # pelvis-relative joints, heading frame
    joint = np.linalg.norm(np.diff(pos, axis=0), axis=-1).max(axis=1) * fps
    root = np.linalg.norm(raw[:-1, feat.VELOCITY_COLUMNS], axis=-1)
    turn = np.abs(raw[:-1, feat.YAW_RATE_COLUMN])
    still = (joint < STILL_JOINT_SPEED) & (root < STILL_ROOT_SPEED) & (turn < STILL_TURN_RATE)  # per step
    return [(a, b + 1) for a, b in contact_runs(still) if b + 1 - a >= min_s * fps]  # steps [a, b): frames a..b


def idle_items(raw: np.ndarray, starts: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """Every still stretch of every clip of a split (concatenated raw features, clip `starts` with the end last),
    as [a, b) ranges of the concatenated frames."""
    out = []
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        out += [(int(a) + s, int(a) + e) for s, e in still_stretches(raw[a:b], fps)]
    return out


def idle_share(p: np.ndarray, idle: np.ndarray) -> np.ndarray:
    """Item probabilities `p` rescaled so the idle items (mask) draw IDLE_SHARE of the windows together."""
    if not idle.any() or idle.all():
        return p
    out = p.copy()
    out[idle] *= IDLE_SHARE / p[idle].sum()
    out[~idle] *= (1.0 - IDLE_SHARE) / p[~idle].sum()
    return out
