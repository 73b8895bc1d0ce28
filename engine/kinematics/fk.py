"""Forward kinematics of the canonical skeleton through rotation matrices.

Same result as Skeleton.forward_kinematics (quaternions, any skeleton), but
IK and clean-up call FK on a few frames many times, where per-call overhead
dominates, and often need only the pelvis-to-joint chain.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..skeleton import CANONICAL

PARENTS = CANONICAL.parents
OFFSETS = CANONICAL.offsets


def fk(rotations: np.ndarray, root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World positions (F, J, 3) and world rotation matrices (F, J, 3, 3) from local rotations (F, J, 4)."""
    local = quat.to_matrix(rotations)
    mats = np.empty_like(local)
    pos = np.empty(rotations.shape[:-1] + (3,))
    roots, *levels = CANONICAL.levels  # a depth at a time (Skeleton.forward_kinematics)
    mats[:, roots] = local[:, roots]
    pos[:, roots] = root[:, None]
    for js, ps in levels:
        mats[:, js] = mats[:, ps] @ local[:, js]
        pos[:, js] = pos[:, ps] + (mats[:, ps] @ OFFSETS[js][..., None])[..., 0]
    return pos, mats


def chain(end: int) -> list[int]:
    """Joint indices from the pelvis to `end`, inclusive."""
    path = [end]
    while path[-1] > 0:
        path.append(PARENTS[path[-1]])
    return path[::-1]


def chain_forward(local: np.ndarray, root: np.ndarray, path: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """World matrices and positions (F, P, ...) along `path` from its local matrices (F, P, 3, 3)."""
    w = np.empty_like(local)
    p = np.empty(local.shape[:2] + (3,))
    w[:, 0], p[:, 0] = local[:, 0], root
    for i in range(1, len(path)):
        w[:, i] = w[:, i - 1] @ local[:, i]
        p[:, i] = p[:, i - 1] + w[:, i - 1] @ OFFSETS[path[i]]
    return w, p


def path_fk(rotations: np.ndarray, root: np.ndarray, end: int):
    """FK along the pelvis-to-`end` chain only: (path joints, local mats, world mats, positions), each (F, P, ...)."""
    path = chain(end)
    local = quat.to_matrix(rotations[:, path])
    w, p = chain_forward(local, root, path)
    return path, local, w, p
