"""Bodies as segments: the distance between two characters and which way to push them apart.

A body is 14 segments between its joints: torso (pelvis to chest), neck and
head (chest to head), shoulder line, hip line, upper and lower arms, thighs,
shins and feet. The distance between two bodies is the smallest distance
between a segment of one and a segment of the other, so `apart.min_distance`
is measured between skeleton axes (a limb's flesh is 5-10 cm around its
axis). The arm segments of a limb in a contact are left out of that pair's
distance while the contact holds.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import CANONICAL

_SEGMENT_NAMES = [("pelvis", "spine3"), ("spine3", "head"), ("left_shoulder", "right_shoulder"),
                  ("left_hip", "right_hip")] + [
    (f"{side}_{a}", f"{side}_{b}") for side in ("left", "right")
    for a, b in (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"), ("ankle", "foot"))
]  # fmt: skip
SEGMENTS = np.array([(CANONICAL.index(a), CANONICAL.index(b)) for a, b in _SEGMENT_NAMES])  # (14, 2) joints
NEAR = 10.0  # m: bodies farther apart than this are not measured (reads inf)
GATHER_SHARE = 0.4  # below this share of segment pairs to measure, they are gathered (else all are, broadcast)


def limb_bones(joint: int) -> np.ndarray:
    """Indices into SEGMENTS of the segments that end at `joint` or at its parent (a wrist: forearm, upper arm)."""
    ends = {joint, CANONICAL.parents[joint]}
    return np.flatnonzero([b in ends for _, b in SEGMENTS])


def body_radius(p: np.ndarray) -> np.ndarray:
    """(T,) ground distance from the pelvis to the farthest joint: the body stands inside that upright cylinder,
    so two bodies are at least (pelvis ground distance - both radii) apart."""
    return np.linalg.norm(p[..., :2] - p[:, :1, :2], axis=-1).max(axis=1)


def segment_distance(p0, p1, q0, q1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closest distance between segments p0-p1 and q0-q1 (broadcast, (..., 3)), and the two closest points."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0

    def dot(u, v):
        return u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1] + u[..., 2] * v[..., 2]

    a, e, f, c, b = dot(d1, d1), dot(d2, d2), dot(d2, r), dot(d1, r), dot(d1, d2)
    denom = np.maximum(a * e - b * b, 1e-12)
    s = np.clip((b * f - c * e) / denom, 0.0, 1.0)
    t = np.clip((b * s + f) / np.maximum(e, 1e-12), 0.0, 1.0)
    s = np.clip((b * t - c) / np.maximum(a, 1e-12), 0.0, 1.0)
    cp, cq = p0 + s[..., None] * d1, q0 + t[..., None] * d2
    diff = cp - cq
    return np.sqrt(dot(diff, diff)), cp, cq


def body_distance(pa: np.ndarray, pb: np.ndarray, skip_a=None, skip_b=None, within: float = NEAR,
                  radii: tuple[np.ndarray, np.ndarray] | None = None,
                  only_below: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per frame: the smallest segment-to-segment distance (T,) between two bodies (T, J, 3) and the ground
    direction (T, 2) that pushes body a away from b. `skip_a`/`skip_b` (T, 14) bool leave segments out.
    Frames where the bodies' bounding cylinders (`radii`, body_radius of each) are at least `within` apart
    read inf (not measured). With `only_below`, distances are exact below `within` only (a larger one reads
    at least `within`, or inf): segments that cannot come that close to the other body are not measured."""
    t = len(pa)
    dist = np.full(t, np.inf)
    away = np.zeros((t, 2))
    gap = pa[:, 0, :2] - pb[:, 0, :2]
    radius_a, radius_b = radii if radii is not None else (body_radius(pa), body_radius(pb))
    bound = np.linalg.norm(gap, axis=-1) - radius_a - radius_b
    near = np.flatnonzero(bound < within)
    if not len(near):
        return dist, away
    a0, a1 = pa[near][:, SEGMENTS[:, 0]], pa[near][:, SEGMENTS[:, 1]]  # (F, 14, 3)
    b0, b1 = pb[near][:, SEGMENTS[:, 0]], pb[near][:, SEGMENTS[:, 1]]
    pairs = np.ones((len(near), len(SEGMENTS), len(SEGMENTS)), bool)  # the segment pairs measured
    if skip_a is not None:
        pairs &= ~skip_a[near][:, :, None]
    if skip_b is not None:
        pairs &= ~skip_b[near][:, None, :]
    if only_below:
        pairs &= _near_segments(a0, a1, pb[near, 0], radius_b[near], within)[:, :, None]
        pairs &= _near_segments(b0, b1, pa[near, 0], radius_a[near], within)[:, None, :]
    if pairs.mean() < GATHER_SHARE:  # few pairs: measure those alone
        f, i, k = np.nonzero(pairs)
        d = np.full(pairs.shape, np.inf)
        d[f, i, k] = segment_distance(a0[f, i], a1[f, i], b0[f, k], b1[f, k])[0]
    else:
        d = segment_distance(a0[:, :, None], a1[:, :, None], b0[:, None], b1[:, None])[0]  # (F, 14, 14)
        d[~pairs] = np.inf
    i, k = np.unravel_index(d.reshape(len(near), -1).argmin(axis=1), d.shape[1:])
    rows = np.arange(len(near))
    dist[near] = d[rows, i, k]
    _, cp, cq = segment_distance(a0[rows, i], a1[rows, i], b0[rows, k], b1[rows, k])  # the closest pairs' points
    push = cp[:, :2] - cq[:, :2]
    norm = np.linalg.norm(push, axis=-1, keepdims=True)
    fallback = gap[near] / np.maximum(np.linalg.norm(gap[near], axis=-1, keepdims=True), 1e-9)
    away[near] = np.where(norm > 1e-4, push / np.maximum(norm, 1e-9), fallback)
    return dist, away


def _near_segments(p0: np.ndarray, p1: np.ndarray, pelvis: np.ndarray, radius: np.ndarray,
                   within: float) -> np.ndarray:  # fmt: skip
    """(F, 14) segments p0-p1 (F, 14, 3) that may come within `within` of a body standing in the upright
    cylinder of `radius` (F,) around `pelvis` (F, 3): the segment's bounding sphere (its midpoint, half its
    length) is no farther than that from the cylinder."""
    mid = 0.5 * (p0 + p1)
    half = 0.5 * np.linalg.norm(p1 - p0, axis=-1)
    return np.linalg.norm(mid[..., :2] - pelvis[:, None, :2], axis=-1) - half - radius[:, None] < within
