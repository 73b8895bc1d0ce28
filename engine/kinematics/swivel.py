"""An arm's swivel kept from a reference pose: the arm turned about its shoulder-wrist line, the wrist unmoved.

Two-bone IK keeps a wrist exactly on its target but takes the elbow's side
from the pose it starts from, and layered reach windows can hand it a pose
whose elbow is on the far side of the new shoulder-wrist line: the elbow
then swings round in one frame (a handshake's approach: 2.2 rad, 5.9 m/s
for a frame) while the wrist glides. The swivel angle (the elbow around the
shoulder-wrist line, 0 hanging down) of the finished arm is set back to the
reference motion's (the model's own arm, before the clean-up), Gaussian
smoothed: the upper arm turns about that line, so the shoulder and the
wrist stay exactly where the clean-up put them.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from .filters import gaussian
from .fk import path_fk
from .ik import perpendicular, unit

SIGMA_FRAMES = 2.0  # the reference swivel's smoothing: the model's own frame-to-frame elbow flutter is not kept


def swivel_angles(rotations: np.ndarray, root: np.ndarray, wrist: int) -> np.ndarray:
    """(T,) unwrapped angle (rad) of the elbow about the shoulder-wrist line, 0 where it hangs straight down."""
    _, _, _, p = path_fk(rotations, root, wrist)
    return _angles(p[:, -3], p[:, -2], p[:, -1])  # shoulder, elbow, wrist


def keep_swivel(rotations: np.ndarray, root: np.ndarray, wrist: int, reference: np.ndarray) -> np.ndarray:
    """Local rotations (T, J, 4) with the arm ending at `wrist` turned about its shoulder-wrist line to the
    `reference` swivel angles (T,), smoothed; the wrist and everything else unchanged."""
    path, _, w, p = path_fk(rotations, root, wrist)
    i = len(path) - 3  # the shoulder: the chain ends shoulder, elbow, wrist
    target = gaussian(np.unwrap(reference), SIGMA_FRAMES)
    turn = (target - _angles(p[:, i], p[:, i + 1], p[:, -1]) + np.pi) % (2 * np.pi) - np.pi
    r = quat.to_matrix(quat.from_axis_angle(unit(p[:, -1] - p[:, i]) * turn[:, None]))
    out = rotations.copy()
    out[:, path[i]] = quat.from_matrix(np.swapaxes(w[:, i - 1], -1, -2) @ (r @ w[:, i]))
    return out


def _angles(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    axis = unit(c - a)
    ref = unit(perpendicular(np.array([0.0, 0.0, -1.0]), axis))
    elbow = perpendicular(b - a, axis)
    return np.unwrap(np.arctan2(np.sum(elbow * np.cross(axis, ref), -1), np.sum(elbow * ref, -1)))
