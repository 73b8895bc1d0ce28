"""Programmable constraints: user error functions over world joint positions.

An ErrorTerm returns one residual per frame (>= 0, 0 when satisfied, in
metres or radians) for the world joint positions (F, J, 3) of its frames.
Guidance moves the sampled motion along a Gauss-Newton step of the residual
(analytic gradient when the term gives one, central finite differences
otherwise). Ready-made terms cover the common cases; see docs/constraints.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import RequestError
from ..skeleton import CANONICAL
from .types import frame_at

FD_EPS = 1e-3  # metres
#: ground distance from the pelvis a joint reaches without stepping (m); farther targets move the root
COMFORT_REACH = {"left_wrist": 0.55, "right_wrist": 0.55, "left_elbow": 0.35, "right_elbow": 0.35,
                 "left_ankle": 0.35, "right_ankle": 0.35, "left_foot": 0.45, "right_foot": 0.45,
                 "left_knee": 0.25, "right_knee": 0.25}  # fmt: skip


def comfort_reach(joint: int) -> float:
    """How far (m, on the ground) a joint comfortably reaches from the pelvis; 0.2 for joints not listed."""
    return COMFORT_REACH.get(CANONICAL.names[joint], 0.2)


class ErrorTerm:
    """Base class: a residual over frames [start, end] (seconds, inclusive).

    Subclasses implement `residual` and may implement `gradient` (d residual /
    d positions, (F, J, 3)); `shares` says how a correction is split between
    the body pose, the root position and the root heading.
    """

    shares = (0.75, 0.25, 0.0)
    label = "error term"

    def __init__(self, start: float = 0.0, end: float | None = None, weight: float = 1.0) -> None:
        end = start if end is None else end
        for name, v in (("start", start), ("end", end), ("weight", weight)):
            if not np.isfinite(v):
                raise RequestError(f"{self.label}: {name} must be finite (got {v!r})")
        if end < start:
            raise RequestError(f"{self.label}: end {end:g} s is before start {start:g} s")
        if weight < 0:
            raise RequestError(f"{self.label}: weight must not be negative")
        self.start, self.end, self.weight = float(start), float(end), float(weight)

    def frames(self, fps: float, num_frames: int) -> np.ndarray:
        a, b = frame_at(self.start, fps), frame_at(self.end, fps)
        if a >= num_frames:
            raise RequestError(f"{self.label}: starts at {self.start:g} s, after the end of the clip")
        return np.arange(a, min(b, num_frames - 1) + 1)

    def residual(self, positions: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def gradient(self, positions: np.ndarray) -> np.ndarray | None:
        return None

    def step(self, positions: np.ndarray) -> np.ndarray:
        """Displacement (F, J, 3) of the positions that zeroes a locally linear residual."""
        r = self.residual(positions)
        g = self.gradient(positions)
        if g is None:
            g = finite_difference(self.residual, positions)
        norm2 = np.sum(g * g, axis=(1, 2))
        scale = np.where(norm2 > 1e-12, -r / np.maximum(norm2, 1e-12), 0.0)
        return g * scale[:, None, None]


def finite_difference(fn: Callable[[np.ndarray], np.ndarray], positions: np.ndarray) -> np.ndarray:
    """Central differences of a per-frame residual, one vectorised call per coordinate.

    A first probe per joint skips the joints the function does not read.
    """
    g = np.zeros_like(positions)
    p = positions.copy()
    base = fn(p)
    used = []
    for j in range(positions.shape[1]):
        keep = p[:, j].copy()
        p[:, j] += FD_EPS * np.array([0.577, -0.577, 0.577])
        if np.any(fn(p) != base):
            used.append(j)
        p[:, j] = keep
    for j in used:
        for a in range(3):
            keep = p[:, j, a].copy()
            p[:, j, a] = keep + FD_EPS
            hi = fn(p)
            p[:, j, a] = keep - FD_EPS
            lo = fn(p)
            p[:, j, a] = keep
            g[:, j, a] = (hi - lo) / (2 * FD_EPS)
    return g


def _joint(name: str | int, label: str) -> int:
    if isinstance(name, (int, np.integer)) and 0 <= name < CANONICAL.num_joints:
        return int(name)
    if name not in CANONICAL.names:
        raise RequestError(f"{label}: unknown joint {name!r}; use one of: {', '.join(CANONICAL.names)}")
    return CANONICAL.index(name)


def _finite(v, label: str, size: int | tuple[int, ...]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    sizes = (size,) if isinstance(size, int) else size
    if a.shape not in {(s,) for s in sizes} or not np.all(np.isfinite(a)):
        raise RequestError(f"{label}: expected {' or '.join(map(str, sizes))} finite numbers, got {v!r}")
    return a


class FunctionTerm(ErrorTerm):
    """A user function `fn(positions (F, J, 3)) -> residuals (F,)`, optional `grad` of the same input."""

    def __init__(self, fn, start=0.0, end=None, weight=1.0, gradient=None, label="user error function"):
        self.label = label
        super().__init__(start, end, weight)
        self.fn, self.grad_fn = fn, gradient

    def residual(self, positions):
        r = np.asarray(self.fn(positions), dtype=np.float64)
        if r.shape != (len(positions),) or not np.all(np.isfinite(r)):
            raise RequestError(f"{self.label}: must return {len(positions)} finite residuals, got shape {r.shape}")
        return np.maximum(r, 0.0)

    def gradient(self, positions):
        return None if self.grad_fn is None else np.asarray(self.grad_fn(positions), dtype=np.float64)


class JointPosition(ErrorTerm):
    """A joint at a world position (the job file's 'joint' constraint)."""

    walks_over = False  # guidance takes the root's part per frame (reach_term.ReachPosition: one walk over)
    observed_on_window = False  # observed on its own frames (ReachPosition: over its reach window)

    def __init__(self, joint, position, start=0.0, end=None, weight=1.0, label=None):
        self.label = label or f"joint target {joint}"
        super().__init__(start, end, weight)
        self.joint = _joint(joint, self.label)
        self.position = _finite(position, self.label, 3)
        if self.joint == 0:
            self.shares = (0.0, 1.0, 0.0)

    def residual(self, positions):
        return np.linalg.norm(positions[:, self.joint] - self.position, axis=-1)

    def step(self, positions):
        d = np.zeros_like(positions)
        d[:, self.joint] = self.position - positions[:, self.joint]
        return d

    def root_excess(self, positions):
        """(F, 2) ground offset of the target beyond the joint's comfortable reach from the pelvis."""
        want = self.position[:2] - positions[:, 0, :2]
        dist = np.linalg.norm(want, axis=-1, keepdims=True)
        reach = comfort_reach(self.joint)
        return want * np.maximum(0.0, 1.0 - reach / np.maximum(dist, 1e-9))


class _HeightBound(ErrorTerm):
    sign = 1.0

    def __init__(self, joint, height, start=0.0, end=None, weight=1.0):
        self.label = f"{type(self).__name__}({joint}, {height})"
        super().__init__(start, end, weight)
        self.joint = _joint(joint, self.label)
        self.height = float(_finite([height], self.label, 1)[0])

    def residual(self, positions):
        return np.maximum(self.sign * (self.height - positions[:, self.joint, 2]), 0.0)

    def gradient(self, positions):
        g = np.zeros_like(positions)
        g[:, self.joint, 2] = np.where(self.residual(positions) > 0, -self.sign, 0.0)
        return g


class AboveHeight(_HeightBound):
    """The joint stays at or above `height` metres."""

    sign = 1.0


class BelowHeight(_HeightBound):
    """The joint stays at or below `height` metres."""

    sign = -1.0


class InsideCircle(ErrorTerm):
    """The joint's ground position stays within `radius` of `center` (x, y)."""

    def __init__(self, joint, center, radius, start=0.0, end=None, weight=1.0):
        self.label = f"InsideCircle({joint})"
        super().__init__(start, end, weight)
        self.joint = _joint(joint, self.label)
        self.center = _finite(center, self.label, 2)
        self.radius = float(radius)
        if not self.radius > 0:
            raise RequestError(f"{self.label}: radius must be positive")

    def residual(self, positions):
        return np.maximum(np.linalg.norm(positions[:, self.joint, :2] - self.center, axis=-1) - self.radius, 0.0)

    def gradient(self, positions):
        d = positions[:, self.joint, :2] - self.center
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        g = np.zeros_like(positions)
        g[:, self.joint, :2] = np.where(n > self.radius, d / np.maximum(n, 1e-9), 0.0)
        return g


class InsideBox(ErrorTerm):
    """The joint stays inside an axis-aligned box (2 values: ground rectangle, 3: a box)."""

    def __init__(self, joint, low, high, start=0.0, end=None, weight=1.0):
        self.label = f"InsideBox({joint})"
        super().__init__(start, end, weight)
        self.joint = _joint(joint, self.label)
        self.low = _finite(low, self.label, (2, 3))
        self.high = _finite(high, self.label, (2, 3))
        if self.low.shape != self.high.shape or np.any(self.high <= self.low):
            raise RequestError(f"{self.label}: high must be above low on every axis")

    def _excess(self, positions):
        p = positions[:, self.joint, : len(self.low)]
        return np.minimum(p - self.low, 0.0) + np.maximum(p - self.high, 0.0)

    def residual(self, positions):
        return np.linalg.norm(self._excess(positions), axis=-1)

    def gradient(self, positions):
        e = self._excess(positions)
        n = np.linalg.norm(e, axis=-1, keepdims=True)
        g = np.zeros_like(positions)
        g[:, self.joint, : len(self.low)] = e / np.maximum(n, 1e-9)
        return g


class MinDistance(ErrorTerm):
    """The joint keeps at least `distance` metres from `point` (3D, or ground distance for 2 values)."""

    def __init__(self, joint, point, distance, start=0.0, end=None, weight=1.0):
        self.label = f"MinDistance({joint})"
        super().__init__(start, end, weight)
        self.joint = _joint(joint, self.label)
        self.point = _finite(point, self.label, (2, 3))
        self.distance = float(distance)

    def residual(self, positions):
        d = positions[:, self.joint, : len(self.point)] - self.point
        return np.maximum(self.distance - np.linalg.norm(d, axis=-1), 0.0)

    def gradient(self, positions):
        d = positions[:, self.joint, : len(self.point)] - self.point
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        g = np.zeros_like(positions)
        g[:, self.joint, : len(self.point)] = np.where(n < self.distance, -d / np.maximum(n, 1e-9), 0.0)
        return g


class LookAt(ErrorTerm):
    """The chest faces a point on the ground plane (angle in radians, within `tolerance`).

    Guidance uses the finite-difference fallback (the body's forward direction
    comes from the shoulder line, so the correction mostly turns the root);
    clean-up turns the whole body about the pelvis by `turn`.
    """

    shares = (0.2, 0.0, 0.8)

    def __init__(self, point, start=0.0, end=None, weight=1.0, tolerance_deg=10.0):
        self.label = "LookAt"
        super().__init__(start, end, weight)
        self.point = _finite(point, self.label, (2, 3))[:2]
        self.tolerance = np.deg2rad(tolerance_deg)
        self.left, self.right = CANONICAL.index("left_shoulder"), CANONICAL.index("right_shoulder")
        self.head = CANONICAL.index("head")

    def turn(self, positions):
        """Signed turn about +Z (radians) per frame that brings the point within the tolerance."""
        side = positions[:, self.left, :2] - positions[:, self.right, :2]
        forward = np.stack([side[:, 1], -side[:, 0]], axis=-1)  # side x up
        to = self.point - positions[:, self.head, :2]
        ang = np.arctan2(forward[:, 0] * to[:, 1] - forward[:, 1] * to[:, 0], np.sum(forward * to, axis=-1))
        return np.sign(ang) * np.maximum(np.abs(ang) - self.tolerance, 0.0)

    def residual(self, positions):
        return np.abs(self.turn(positions))
