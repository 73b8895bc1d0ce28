"""Foot contact: the one definition used by training labels, clean-up, foot lock and the skating metric.

A foot joint (ankle or ball, skeleton.FOOT_JOINTS) is in contact on a frame
when it is

* low: below its standing height (skeleton.FOOT_REST_HEIGHTS) + HEIGHT_MARGIN, and
* still: its horizontal speed is below SPEED, on either side of the frame
  (the slower of the steps into and out of it, so the first and last frame
  of a plant count).

Why these numbers (measured on the test split, 20 fps, 91,720 steps of foot
joints that are low at both ends): half of them move under 0.3 cm/s, 90 %
under 0.22 m/s, 91.3 % under 0.3 m/s; the rest are swing feet passing low
(95th percentile 0.92 m/s). SPEED = 0.3 m/s (1.5 cm per frame at 20 fps,
the jitter of mocap on a planted foot) separates the two. HEIGHT_MARGIN =
5 cm is above the height noise of a planted joint and below a lifted heel.

A *skating* step is the complement on the ground: the joint is low at both
ends of the step and moves faster than SPEED (eval.metrics.foot_skate_counts).
"""

from __future__ import annotations

import numpy as np

from ..skeleton import FOOT_INDICES, FOOT_JOINTS, FOOT_REST_HEIGHTS

HEIGHT_MARGIN = 0.05  # m above the joint's standing height
SPEED = 0.3  # m/s horizontal
FOOT_REST = np.array([FOOT_REST_HEIGHTS[n] for n in FOOT_JOINTS])


def horizontal_speed(points: np.ndarray, fps: float) -> np.ndarray:
    """(T-1, ...) horizontal speed (m/s) of each step of points (T, ..., 3)."""
    return np.linalg.norm(np.diff(np.asarray(points)[..., :2], axis=0), axis=-1) * fps


def still(points: np.ndarray, fps: float) -> np.ndarray:
    """(T, ...) True where the slower of the steps into and out of a frame is below SPEED."""
    p = np.asarray(points)
    if len(p) < 2:
        return np.ones(p.shape[:-1], bool)
    speed = horizontal_speed(p, fps)
    slow = np.empty(p.shape[:-1])
    slow[0], slow[-1] = speed[0], speed[-1]
    slow[1:-1] = np.minimum(speed[1:], speed[:-1])
    return slow < SPEED


def low(heights: np.ndarray, rest_height) -> np.ndarray:
    """True where a foot joint is within HEIGHT_MARGIN of its standing height (or below)."""
    return np.asarray(heights) < np.asarray(rest_height) + HEIGHT_MARGIN


def joint_contact(points: np.ndarray, joint_name: str, fps: float) -> np.ndarray:
    """(T,) contact of one foot joint from its world positions (T, 3)."""
    return low(points[:, 2], FOOT_REST_HEIGHTS[joint_name]) & still(points, fps)


def foot_contacts(positions: np.ndarray, fps: float) -> np.ndarray:
    """(T, 4) 0/1 contacts of the foot joints (FOOT_JOINTS order) from world positions (T, J, 3)."""
    feet = np.asarray(positions)[:, list(FOOT_INDICES)]
    return (low(feet[..., 2], FOOT_REST) & still(feet, fps)).astype(np.float64)


def grounded_steps(positions: np.ndarray) -> np.ndarray:
    """(T-1, 4) True where a foot joint is low at both ends of a step."""
    h = np.asarray(positions)[:, list(FOOT_INDICES), 2]
    down = low(h, FOOT_REST)
    return down[1:] & down[:-1]


def contact_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) frame ranges where `mask` is true."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
