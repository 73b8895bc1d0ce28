"""A joint target as a guidance term that shapes the motion around it instead of pulling one frame.

Guidance on the target's frames alone makes the joint leave its path for a
frame or two and come back (a whip). Here the term covers the target's span
plus kinematics.reach.WINDOW_S before and after it, and its step moves the
joint on every frame of that window by the span's error times a minimum-jerk
weight (1 on the span, 0 at the window's ends): the joint's whole path bends
towards the target, as the clean-up's reach does afterwards.
"""

from __future__ import annotations

import numpy as np

from ..kinematics.reach import WINDOW_S, window_weights
from .programmable import JointPosition


class ReachPosition(JointPosition):
    """JointPosition whose correction is spread over a window around its span (frames() sets the window)."""

    def frames(self, fps: float, num_frames: int) -> np.ndarray:
        span = super().frames(fps, num_frames)
        around, self.weights = window_weights(span, num_frames, max(1, int(round(WINDOW_S * fps))))
        self.span_index = np.searchsorted(around, span)
        return around

    def step(self, positions: np.ndarray) -> np.ndarray:
        d = np.zeros_like(positions)
        error = self.position - positions[self.span_index, self.joint]
        nearest = np.clip(np.searchsorted(self.span_index, np.arange(len(positions))), 0, len(error) - 1)
        before = np.arange(len(positions)) < self.span_index[0]
        nearest = np.where(before, 0, np.where(np.arange(len(positions)) > self.span_index[-1], len(error) - 1,
                                               nearest))  # fmt: skip
        d[:, self.joint] = self.weights[:, None] * error[nearest]
        return d

    def root_excess(self, positions: np.ndarray) -> np.ndarray:
        return super().root_excess(positions) * self.weights[:, None]
