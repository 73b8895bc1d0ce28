"""An arm's elbow kept on the reference pose's side: the arm turned about its shoulder-wrist line, the wrist unmoved.

Two-bone IK keeps a wrist exactly on its target but takes the elbow's side
from the pose it starts from, and layered reach windows can hand it a pose
whose elbow is on the far side of the new shoulder-wrist line: the elbow
then swings round in one frame (a handshake's approach: 2.2 rad, 5.9 m/s
for a frame) while the wrist glides. The finished arm is turned about its
shoulder-wrist line so that its elbow points where the reference motion's
elbow is (the model's own arm, before the clean-up, seen from its shoulder
in the collar's frame), Gaussian smoothed: the shoulder and the wrist stay
exactly where the clean-up put them.

The side is matched by the reference elbow's position, not by a swivel
angle: an angle about the reference's own shoulder-wrist line is undefined
where that arm is straight, and with model b9 ana's straightening arm
turned it 173 degrees in one frame, which the bent finished arm played as
a 4.8 m/s swing from her side to shoulder height. The elbow's position
moves continuously through a straight arm.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from .filters import gaussian
from .fk import path_fk
from .ik import perpendicular, unit

SIGMA_FRAMES = 2.0  # the reference side's smoothing: the model's own frame-to-frame elbow flutter is not kept


def keep_elbow_side(rotations: np.ndarray, root: np.ndarray, wrist: int, ref_rotations: np.ndarray,
                    ref_root: np.ndarray) -> np.ndarray:  # fmt: skip
    """Local rotations (T, J, 4) with the arm ending at `wrist` turned about its shoulder-wrist line towards the
    reference motion's elbow (`ref_rotations`, `ref_root`: same skeleton and frames); everything else unchanged."""
    path, _, w, p = path_fk(rotations, root, wrist)
    _, _, ref_w, ref_p = path_fk(ref_rotations, ref_root, wrist)
    i = len(path) - 3  # the shoulder: the chain ends shoulder, elbow, wrist
    in_collar = np.einsum("fji,fj->fi", ref_w[:, i - 1], ref_p[:, i + 1] - ref_p[:, i])  # reference elbow offset
    wanted = np.einsum("fij,fj->fi", w[:, i - 1], in_collar)  # ... from the finished arm's shoulder
    axis = unit(p[:, -1] - p[:, i])
    wanted = perpendicular(gaussian(perpendicular(wanted, axis), SIGMA_FRAMES), axis)
    elbow = perpendicular(p[:, i + 1] - p[:, i], axis)
    turn = np.arctan2(np.sum(np.cross(elbow, wanted) * axis, -1), np.sum(elbow * wanted, -1))
    r = quat.to_matrix(quat.from_axis_angle(axis * turn[:, None]))
    out = rotations.copy()
    out[:, path[i]] = quat.from_matrix(np.swapaxes(w[:, i - 1], -1, -2) @ (r @ w[:, i]))
    return out
