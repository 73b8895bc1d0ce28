"""World <-> window coordinates (where a sampling window sits in the world; not time frames).

The model generates each window starting at the origin facing -Y (that is
how its root path channels were trained). World constraints are therefore
expressed relative to a chosen start: the origin, or the start a keyframe or
root path pins down at time 0, turned to face along the path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import features as feat
from .. import quaternion as quat
from ..skeleton import CANONICAL, FOOT_INDICES, FOOT_JOINTS, FOOT_REST_HEIGHTS
from .types import ConstraintSet


@dataclass(frozen=True)
class WindowFrame:
    """Where window coordinates sit in the world: window origin and heading (yaw, radians)."""

    origin: tuple[float, float] = (0.0, 0.0)
    yaw: float = 0.0

    def points_to_window(self, p: np.ndarray) -> np.ndarray:
        p = np.array(p, dtype=np.float64, copy=True)
        p[..., :2] = self.vectors_to_window(p[..., :2] - np.asarray(self.origin))
        return p

    def points_to_world(self, p: np.ndarray) -> np.ndarray:
        p = np.array(p, dtype=np.float64, copy=True)
        p[..., :2] = self.vectors_to_world(p[..., :2]) + np.asarray(self.origin)
        return p

    def vectors_to_window(self, v: np.ndarray) -> np.ndarray:
        return _rot(np.asarray(v, dtype=np.float64), -self.yaw)

    def vectors_to_world(self, v: np.ndarray) -> np.ndarray:
        return _rot(np.asarray(v, dtype=np.float64), self.yaw)


def _rot(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    out = v.copy()
    out[..., 0] = c * v[..., 0] - s * v[..., 1]
    out[..., 1] = s * v[..., 0] + c * v[..., 1]
    return out


def pose_heading(rotations: np.ndarray) -> float:
    """Yaw of a pose's pelvis (same definition as the features' heading)."""
    return float(feat.heading(np.asarray(rotations)[0]))


def turned_to(rotations: np.ndarray, pelvis: np.ndarray) -> np.ndarray:
    """A pose's rotations turned about the vertical to head where the world pelvis rotation `pelvis` heads
    (a keyframe with `any_heading`)."""
    rot = np.array(rotations, dtype=np.float64, copy=True)
    rot[0] = quat.multiply(quat.about_z(float(feat.heading(pelvis)) - pose_heading(rot)), rot[0])
    return rot


def choose_frame(cset: ConstraintSet, fps: float) -> WindowFrame:
    """The start pinned by a keyframe or a root path at time 0; else the origin facing -Y. A keyframe that places
    nothing (the standing start: any heading, anywhere on the floor) leaves the choice to the others."""
    half = 0.5 / fps
    for k in cset.keyframes:
        if k.time < half and k.places:
            origin = (0.0, 0.0) if k.root is None else (float(k.root[0]), float(k.root[1]))
            return WindowFrame(origin, pose_heading(k.rotations))
    for p in cset.paths:
        if p.times[0] < half and p.places:
            origin = (float(p.points[0, 0]), float(p.points[0, 1]))
            if len(p.facing) and p.facing[0, 0] < half:
                return WindowFrame(origin, float(p.facing[0, 1]))
            return WindowFrame(origin, _path_start_yaw(p.points))
    return WindowFrame()


def _path_start_yaw(points: np.ndarray, min_distance: float = 0.2) -> float:
    """Face along the path's first clear direction (yaw 0 faces -Y)."""
    d = points - points[0]
    far = np.flatnonzero(np.linalg.norm(d, axis=-1) > min_distance)
    if not len(far):
        return 0.0
    dx, dy = d[far[0]]
    return float(np.arctan2(dx, -dy))


def pose_in_window(rotations: np.ndarray, root: np.ndarray, frame: WindowFrame) -> tuple[np.ndarray, np.ndarray]:
    """A world pose (local rotations, root) expressed in window coordinates."""
    rot = np.array(rotations, dtype=np.float64, copy=True)
    rot[0] = quat.multiply(quat.about_z(-frame.yaw), rot[0])
    return rot, frame.points_to_window(root)


def standing_root(rotations: np.ndarray) -> np.ndarray:
    """Root position (0, 0, h) that puts the pose's lowest foot joint at its standing height."""
    pos, _ = CANONICAL.forward_kinematics(rotations, np.zeros(3))
    rest = np.array([FOOT_REST_HEIGHTS[n] for n in FOOT_JOINTS])
    h = -np.min(pos[list(FOOT_INDICES), 2] - rest)
    return np.array([0.0, 0.0, h])
