"""Axis, unit and Euler conversions shared by the BVH reader and writer.

BVH stores local rotations as Euler angles applied in channel order: the
channels "Zrotation Xrotation Yrotation" mean R = Rz @ Rx @ Ry (the same
reading as Blender's importer). The engine frame is Blender's (Z up, facing
-Y); a Y-up file maps to it as Blender's importer does by default (forward
-Z, up Y): x' = x, y' = -z, z' = y.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat

#: metres per file unit for the unit names that `read_bvh`/`write_bvh` accept
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254}
_AXIS = {"X": 0, "Y": 1, "Z": 2}
_TYPICAL_HEIGHT = 1.7  # metres; for guessing the units of a file


def axis_matrix(up: str) -> np.ndarray:
    """The proper rotation taking file coordinates to engine coordinates."""
    if up == "Y":
        return np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    if up == "Z":
        return np.eye(3)
    raise ValueError(f"up must be 'Y' or 'Z', got {up!r}")


def convert_rotations(q: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Conjugate rotations by the axis change m: the quaternion of m R m^T is (w, m v)."""
    out = np.empty_like(q)
    out[..., 0] = q[..., 0]
    out[..., 1:] = q[..., 1:] @ m.T
    return out


def metres_per_unit(scale: float | str) -> float:
    """A unit name from UNITS or a positive number."""
    if isinstance(scale, str):
        if scale not in UNITS:
            raise ValueError(f"unknown unit {scale!r}; use one of: {', '.join(UNITS)} or a number")
        return UNITS[scale]
    scale = float(scale)
    if not (scale > 0 and np.isfinite(scale)):
        raise ValueError(f"scale must be a positive number, got {scale}")
    return scale


def guess_metres_per_unit(points: np.ndarray) -> float:
    """Pick m, cm, mm or inches: whichever makes the rest pose closest to a human's size.

    Uses the largest extent of the rest pose (height, or arm span in a T-pose).
    Boundaries fall at about 11 units (metres/inches), 107 (inches/cm) and 540 (cm/mm).
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    extent = float(np.max(points.max(0) - points.min(0))) if len(points) else 0.0
    if not extent > 0:
        return 1.0
    units = sorted(UNITS.values())
    return min(units, key=lambda u: abs(np.log(extent * u / _TYPICAL_HEIGHT)))


def euler_to_quat(angles: np.ndarray, axes: str) -> np.ndarray:
    """Angles (..., k) in radians about `axes` (e.g. "ZXY") to quaternions R = R_a0 R_a1 ..."""
    angles = np.asarray(angles, dtype=np.float64)
    q = quat.identity(angles.shape[:-1])
    for i, axis in enumerate(axes):
        step = np.zeros(angles.shape[:-1] + (4,))
        step[..., 0] = np.cos(0.5 * angles[..., i])
        step[..., 1 + _AXIS[axis]] = np.sin(0.5 * angles[..., i])
        q = step if i == 0 else quat.multiply(q, step)
    return q


def quat_to_euler(q: np.ndarray, order: str) -> np.ndarray:
    """Quaternions to angles (..., 3) in radians with R = R_order[0] R_order[1] R_order[2].

    Any of the six Tait-Bryan orders; at gimbal lock the last angle is set to 0.
    """
    if sorted(order) != ["X", "Y", "Z"]:
        raise ValueError(f"rotation order must be a permutation of XYZ, got {order!r}")
    i, j, k = (_AXIS[a] for a in order)
    s = 1.0 if (j - i) % 3 == 1 else -1.0  # even (cyclic) or odd permutation
    m = quat.to_matrix(q)
    cos_b = np.hypot(m[..., i, i], m[..., i, j])
    b = np.arctan2(s * m[..., i, k], cos_b)
    locked = cos_b < 1e-9
    a = np.where(locked, np.arctan2(s * m[..., k, j], m[..., j, j]), np.arctan2(-s * m[..., j, k], m[..., k, k]))
    c = np.where(locked, 0.0, np.arctan2(-s * m[..., i, j], m[..., i, i]))
    return np.stack([a, b, c], axis=-1)
