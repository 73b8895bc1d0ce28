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
    """JointPosition whose correction is spread over a window around its span (frames() sets the window).

    `walks_over`: the root's part of a far target (guidance.ROOT_MOVE_MIN beyond comfortable reach) is one
    walk over to it, eased in from the clip's start and held after the span (corrections.correction_curve),
    the limb's part spread over the window; taken per frame of the window, the root went over and came back
    within the window (a walk passing 1.5 m from a head target: the pelvis at 5.6 m/s). Nearer targets keep
    the per-frame share (held after the span, the high five's own wrist target kept its bodies 25 cm apart
    where 30 were asked).
    """

    walks_over = True
    observed_on_window = True  # the network observes the bent path over the window (guidance._observe_reach)

    def frames(self, fps: float, num_frames: int) -> np.ndarray:
        span = super().frames(fps, num_frames)
        around, self.weights = window_weights(span, num_frames, max(1, int(round(WINDOW_S * fps))))
        self.span_index = np.searchsorted(around, span)
        return around

    def step(self, positions: np.ndarray) -> np.ndarray:
        d = np.zeros_like(positions)
        d[:, self.joint] = self.spread(self.position - positions[self.span_index, self.joint])
        return d

    def spread(self, on_span: np.ndarray) -> np.ndarray:
        """Values on the span's frames (S, ...) over the whole window: each frame its nearest span frame's,
        times its minimum-jerk weight."""
        n = len(self.weights)
        nearest = np.clip(np.searchsorted(self.span_index, np.arange(n)), 0, len(on_span) - 1)
        nearest = np.where(np.arange(n) < self.span_index[0], 0, np.where(np.arange(n) > self.span_index[-1],
                                                                          len(on_span) - 1, nearest))  # fmt: skip
        return self.weights.reshape((n,) + (1,) * (np.ndim(on_span) - 1)) * on_span[nearest]

    def root_excess(self, positions: np.ndarray) -> np.ndarray:
        return super().root_excess(positions) * self.weights[:, None]
