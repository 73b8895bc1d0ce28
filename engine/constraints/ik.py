"""Inverse kinematics for clean-up: analytic two-bone limbs, bounded CCD elsewhere, root shifts.

Only rotations (and the root translation) change, so bone lengths are kept
exactly. Every solver runs a fixed number of iterations: an unreachable
target ends as close as the skeleton allows and the caller reports the
residual. All functions are vectorised over frames.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..skeleton import CANONICAL

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
#: where a straight limb should bend (world direction in the character's rest frame)
_BEND_HINT = {
    _J["left_wrist"]: (0.0, 1.0, -0.3),
    _J["right_wrist"]: (0.0, 1.0, -0.3),
    _J["left_ankle"]: (0.0, -1.0, 0.0),
    _J["right_ankle"]: (0.0, -1.0, 0.0),
}


_PARENTS = CANONICAL.parents
_OFFSETS = CANONICAL.offsets


def fk(rotations: np.ndarray, root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World positions (F, J, 3) and world rotation matrices (F, J, 3, 3) of the canonical skeleton.

    Same result as Skeleton.forward_kinematics, through matrices: IK calls FK
    on a few frames many times, where per-call overhead dominates.
    """
    local = quat.to_matrix(rotations)
    mats = np.empty_like(local)
    pos = np.empty(rotations.shape[:-1] + (3,))
    for j, p in enumerate(_PARENTS):
        if p < 0:
            mats[:, j] = local[:, j]
            pos[:, j] = root
        else:
            mats[:, j] = mats[:, p] @ local[:, j]
            pos[:, j] = pos[:, p] + mats[:, p] @ _OFFSETS[j]
    return pos, mats


def path_fk(rotations: np.ndarray, root: np.ndarray, end: int):
    """FK along the pelvis-to-`end` path only: (path joints, local mats, world mats, positions), each (F, P, ...)."""
    path = [end]
    while path[-1] > 0:
        path.append(_PARENTS[path[-1]])
    path = path[::-1]
    local = quat.to_matrix(rotations[:, path])
    w = np.empty_like(local)
    p = np.empty(local.shape[:2] + (3,))
    w[:, 0], p[:, 0] = local[:, 0], root
    for i in range(1, len(path)):
        w[:, i] = w[:, i - 1] @ local[:, i]
        p[:, i] = p[:, i - 1] + w[:, i - 1] @ _OFFSETS[path[i]]
    return path, local, w, p


def two_bone(rotations: np.ndarray, root: np.ndarray, end: int, target: np.ndarray) -> np.ndarray:
    """Local rotations (F, J, 4) with the limb ending at `end` reaching `target` (F, 3) where it can."""
    upper, middle = TWO_BONE[end]
    path, _, w, p = path_fk(rotations, root, end)
    iu, im = path.index(upper), path.index(middle)
    a, b, c = p[:, iu], p[:, im], p[:, -1]
    l1 = np.linalg.norm(b - a, axis=-1)
    l2 = np.linalg.norm(c - b, axis=-1)
    v = target - a
    dist = np.linalg.norm(v, axis=-1)
    direction = np.where(
        dist[:, None] > 1e-9, v / np.maximum(dist, 1e-9)[:, None], (c - a) / np.maximum(l1 + l2, 1e-9)[:, None]
    )
    d = np.clip(dist, np.abs(l1 - l2) + 1e-6, (l1 + l2) * (1 - 1e-9))
    perp = (b - a) - np.sum((b - a) * direction, -1, keepdims=True) * direction
    hint = w[:, 0] @ np.asarray(_BEND_HINT[end])
    hint = hint - np.sum(hint * direction, -1, keepdims=True) * direction
    straight = np.linalg.norm(perp, axis=-1) < 1e-4
    perp = np.where(straight[:, None], hint, perp)
    perp = perp / np.maximum(np.linalg.norm(perp, axis=-1, keepdims=True), 1e-12)
    along = (l1**2 - l2**2 + d**2) / (2 * d)
    h = np.sqrt(np.maximum(l1**2 - along**2, 0.0))
    new_b = a + along[:, None] * direction + h[:, None] * perp
    new_c = a + d[:, None] * direction
    r1 = _turn_matrix(b - a, new_b - a)
    w_upper = r1 @ w[:, iu]
    moved_c = new_b + (r1 @ (c - b)[..., None])[..., 0]
    r2 = _turn_matrix(moved_c - new_b, new_c - new_b)
    w_middle = r2 @ r1 @ w[:, im]
    rot = rotations.copy()
    rot[:, upper] = quat.from_matrix(np.swapaxes(w[:, iu - 1], -1, -2) @ w_upper)
    rot[:, middle] = quat.from_matrix(np.swapaxes(w_upper, -1, -2) @ w_middle)
    return rot


def _turn_matrix(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Shortest-arc rotation matrices (F, 3, 3) taking directions u to v (Rodrigues)."""
    u = u / np.maximum(np.linalg.norm(u, axis=-1, keepdims=True), 1e-12)
    v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    axis = np.cross(u, v)
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
    chain = list(range(len(path) - 2, 0, -1))[:CCD_DEPTH]  # path indices, nearest the end first
    offsets = _OFFSETS[path]

    def forward():
        w = np.empty_like(local)
        p = np.empty(local.shape[:2] + (3,))
        w[:, 0], p[:, 0] = local[:, 0], root
        for i in range(1, len(path)):
            w[:, i] = w[:, i - 1] @ local[:, i]
            p[:, i] = p[:, i - 1] + w[:, i - 1] @ offsets[i]
        return w, p

    for _ in range(iterations):
        for i in chain:
            w, p = forward()
            turn = _turn_matrix(p[:, -1] - p[:, i], target - p[:, i])
            local[:, i] = np.swapaxes(w[:, i - 1], -1, -2) @ turn @ w[:, i]
    rot = rotations.copy()
    rot[:, [path[i] for i in chain]] = quat.from_matrix(local[:, chain])
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
