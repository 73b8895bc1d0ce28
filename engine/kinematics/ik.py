"""Inverse kinematics: analytic two-bone limbs, bounded CCD elsewhere, root shifts for the pelvis.

Only rotations (and the root translation) change, so bone lengths are kept
exactly. Every solver runs a fixed number of iterations: an unreachable
target ends as close as the skeleton allows and the caller reports the
residual. All functions are vectorised over frames.

`two_bone_points` is the one two-bone solution (where the middle joint and
the end go); `two_bone` turns it into canonical local rotations and
`two_bone_world` into world-space turns for any rig (retargeting's foot lock).
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..skeleton import CANONICAL
from .fk import chain_forward, path_fk

CCD_ITERATIONS = 12
CCD_DEPTH = 4  # ancestors a CCD chain may rotate (never the pelvis)
_J = {n: i for i, n in enumerate(CANONICAL.names)}
#: limb end -> (upper joint, middle joint); the two-bone chains
TWO_BONE = {
    _J["left_wrist"]: (_J["left_shoulder"], _J["left_elbow"]),
    _J["right_wrist"]: (_J["right_shoulder"], _J["right_elbow"]),
    _J["left_ankle"]: (_J["left_hip"], _J["left_knee"]),
    _J["right_ankle"]: (_J["right_hip"], _J["right_knee"]),
}
#: a limb reaching for a target beyond it stops this fraction short of straight: its middle joint stays about a
#: centimetre off the line, so the limb keeps its own bend plane for the next solve (a straight one has none)
STRAIGHT_MARGIN = 1e-3
#: where a straight limb should bend (world direction in the character's rest frame)
_BEND_HINT = {
    _J["left_wrist"]: (0.0, 1.0, -0.3),
    _J["right_wrist"]: (0.0, 1.0, -0.3),
    _J["left_ankle"]: (0.0, -1.0, 0.0),
    _J["right_ankle"]: (0.0, -1.0, 0.0),
}


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def perpendicular(v: np.ndarray, direction: np.ndarray) -> np.ndarray:
    return v - np.sum(v * direction, -1, keepdims=True) * direction


def two_bone_points(a: np.ndarray, b: np.ndarray, c: np.ndarray, target: np.ndarray, bend_hint: np.ndarray,
                    soft: float | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """New middle joint and end (F, 3) of the chain a-b-c reaching for `target`, bone lengths kept.

    The middle joint stays in its current bend plane (`bend_hint` only where
    the limb is straight). Without `soft` an unreachable target leaves the
    limb straight towards it; with `soft` (a fraction of full reach, e.g.
    0.97) reaches beyond that fraction (or the current reach, if larger)
    approach full length asymptotically, so a knee never snaps straight.
    """
    l1 = np.linalg.norm(b - a, axis=-1)
    l2 = np.linalg.norm(c - b, axis=-1)
    full = l1 + l2
    v = target - a
    d = np.linalg.norm(v, axis=-1)
    direction = np.where(d[:, None] > 1e-9, v / np.maximum(d, 1e-9)[:, None], (c - a) / np.maximum(full, 1e-9)[:, None])
    if soft is None:
        d = np.minimum(d, full * (1 - STRAIGHT_MARGIN))
    else:
        d_now = np.linalg.norm(c - a, axis=-1)
        start = np.minimum(np.maximum(soft * full, d_now), full * (1 - 1e-6))
        room = np.maximum(full - start, 1e-12)
        excess = np.maximum(d - start, 0.0)  # only reaches past `start` are softened
        d = np.where(d > start, start + room * (1.0 - np.exp(-excess / room)), d)
    d = np.maximum(d, np.abs(l1 - l2) + 1e-6 * np.maximum(full, 1.0))
    # the bend: where the middle joint is off the limb's current line, kept on that side of the new line (measured
    # off the new line instead, a knee bent forward flipped backward once the foot went ahead of the knee)
    now = c - a
    bend = perpendicular(b - a, now / np.maximum(np.linalg.norm(now, axis=-1, keepdims=True), 1e-9))
    perp = perpendicular(bend, direction)
    straight = np.linalg.norm(perp, axis=-1) < 1e-4 * np.maximum(full, 1.0)
    perp = unit(np.where(straight[:, None], perpendicular(bend_hint, direction), perp))
    along = (l1**2 - l2**2 + d**2) / (2 * d)
    h = np.sqrt(np.maximum(l1**2 - along**2, 0.0))
    return a + along[:, None] * direction + h[:, None] * perp, a + d[:, None] * direction


def two_bone(rotations: np.ndarray, root: np.ndarray, end: int, target: np.ndarray,
             soft: float | None = None) -> np.ndarray:  # fmt: skip
    """Canonical local rotations (F, J, 4) with the limb ending at `end` reaching `target` (F, 3) where it can
    (`soft`: as in two_bone_points)."""
    upper, middle = TWO_BONE[end]
    path, _, w, p = path_fk(rotations, root, end)
    iu, im = path.index(upper), path.index(middle)
    a, b, c = p[:, iu], p[:, im], p[:, -1]
    new_b, new_c = two_bone_points(a, b, c, target, w[:, iu] @ np.asarray(_BEND_HINT[end]), soft)
    r1 = turn_matrix(b - a, new_b - a)
    w_upper = r1 @ w[:, iu]
    moved_c = new_b + (r1 @ (c - b)[..., None])[..., 0]
    r2 = turn_matrix(moved_c - new_b, new_c - new_b)
    w_middle = r2 @ r1 @ w[:, im]
    rot = rotations.copy()
    rot[:, upper] = quat.from_matrix(np.swapaxes(w[:, iu - 1], -1, -2) @ w_upper)
    rot[:, middle] = quat.from_matrix(np.swapaxes(w_upper, -1, -2) @ w_middle)
    return rot


def two_bone_world(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, goal: np.ndarray, bend_hint: np.ndarray,
                   soft: float = 0.97) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """World turns (T, 4) for the upper bone and (applied after it) the lower bone that put the end on `goal`.

    For any rig's joint positions (retargeting); soft reach as in two_bone_points.
    Zero correction gives identity rotations.
    """
    new_knee, new_ankle = two_bone_points(hip, knee, ankle, goal, bend_hint, soft)
    q_upper = quat.from_two_vectors(knee - hip, new_knee - hip)
    moved = new_knee + quat.rotate(q_upper, ankle - knee)
    return q_upper, quat.from_two_vectors(moved - new_knee, new_ankle - new_knee)


def turn_matrix(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Shortest-arc rotation matrices (F, 3, 3) taking directions u to v (Rodrigues)."""
    u, v = unit(u), unit(v)
    axis = quat.cross(u, v)
    s = np.linalg.norm(axis, axis=-1)
    c = np.sum(u * v, axis=-1)
    k = axis / np.maximum(s, 1e-12)[:, None]
    kx = np.zeros(u.shape[:-1] + (3, 3))
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kx = kx - np.swapaxes(kx, -1, -2)
    eye = np.broadcast_to(np.eye(3), kx.shape)
    # nearly opposite directions are left alone: the next joint in the chain takes over
    return eye + s[:, None, None] * kx + (1 - c)[:, None, None] * (kx @ kx)


def ccd(rotations: np.ndarray, root: np.ndarray, end: int, target: np.ndarray,
        iterations: int = CCD_ITERATIONS) -> np.ndarray:  # fmt: skip
    """Local rotations moving joint `end` to `target` by rotating up to CCD_DEPTH ancestors (not the pelvis).

    Works on rotation matrices along the root-to-end path only, so each
    iteration is a handful of 3x3 products.
    """
    path, local, _, _ = path_fk(rotations, root, end)
    links = list(range(len(path) - 2, 0, -1))[:CCD_DEPTH]  # path indices, nearest the end first
    for _ in range(iterations):
        for i in links:
            w, p = chain_forward(local, root, path)
            turn = turn_matrix(p[:, -1] - p[:, i], target - p[:, i])
            local[:, i] = np.swapaxes(w[:, i - 1], -1, -2) @ turn @ w[:, i]
    rot = rotations.copy()
    rot[:, [path[i] for i in links]] = quat.from_matrix(local[:, links])
    return rot


def reach(rotations: np.ndarray, root: np.ndarray, joint: int, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rotations, root) with `joint` on `target`: root shift for the pelvis and its direct children,
    two-bone IK for wrists and ankles, CCD for the rest."""
    if joint == 0 or CANONICAL.parents[joint] == 0:
        _, _, _, p = path_fk(rotations, root, joint)
        return rotations, root + (target - p[:, -1])
    if joint in TWO_BONE:
        return two_bone(rotations, root, joint, target), root
    return ccd(rotations, root, joint, target), root
