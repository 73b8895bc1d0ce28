"""Guidance terms whose targets move: one character's joint towards where its partner's joint is now.

Interaction guidance (coupling.py) re-aims these every denoising step from
the latest predictions of all characters, then the ordinary Guide
(engine.constraints.guidance) takes its Gauss-Newton steps on them exactly as
on a fixed joint target or look-at point, so root excess (walking over to a
far partner), observations and the IK projection come for free.
"""

from __future__ import annotations

import numpy as np

from ..constraints.programmable import COMFORT_REACH, JointPosition, LookAt
from ..skeleton import CANONICAL

#: contacts happen closer to the body than a lone reach: the two bodies step in rather than stretch both arms
CONTACT_REACH = 0.7


class JointTrack(JointPosition):
    """A joint on a per-frame world target (F, 3) over [start, end]; `aim` sets the targets."""

    def __init__(self, joint: int, start: float, end: float, weight: float = 1.0, label: str = "contact") -> None:
        super().__init__(joint, np.zeros(3), start, end, weight, label)

    def aim(self, targets: np.ndarray) -> None:
        self.position = np.asarray(targets, dtype=np.float64)

    def root_excess(self, positions: np.ndarray) -> np.ndarray:
        """(F, 2) ground offset of each frame's target beyond the joint's comfortable reach from the pelvis."""
        want = self.position[:, :2] - positions[:, 0, :2]
        dist = np.linalg.norm(want, axis=-1, keepdims=True)
        reach = CONTACT_REACH * COMFORT_REACH.get(CANONICAL.names[self.joint], 0.2)
        return want * np.maximum(0.0, 1.0 - reach / np.maximum(dist, 1e-9))


class FaceTrack(LookAt):
    """The chest turned towards a per-frame ground point (F, 2): another character's pelvis."""

    def __init__(self, start: float, end: float, weight: float = 1.0, label: str = "face") -> None:
        super().__init__(np.zeros(2), start, end, weight)
        self.label = label

    def aim(self, points: np.ndarray) -> None:
        self.point = np.asarray(points, dtype=np.float64)[:, :2]
