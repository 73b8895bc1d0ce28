"""Guidance terms whose targets move: one character's joint towards where its partner's joint is now.

Interaction guidance (coupling.py) re-aims these every denoising step from
the latest predictions of all characters, then the ordinary Guide
(engine.constraints.guidance) takes its Gauss-Newton steps on them exactly as
on a joint target or look-at point, so root excess (walking over to a far
partner), observations and the IK projection come for free.

A contact is shaped like a single character's joint target
(engine.constraints.reach_term): the correction on the contact's frames is
carried, with a minimum-jerk weight, over an approach before them and a
release after them, so the joint's whole path bends into the contact and out
of it again instead of snapping on and off.
"""

from __future__ import annotations

import numpy as np

from ..constraints.programmable import COMFORT_REACH, ErrorTerm, JointPosition, LookAt
from ..constraints.reach_term import ReachPosition
from ..kinematics.filters import minimum_jerk
from ..skeleton import CANONICAL

#: contacts happen closer to the body than a lone reach: the two bodies step in rather than stretch both arms
CONTACT_REACH = 0.7
APPROACH_S = 1.0  # s before a contact over which its joint leaves its own path for the meeting point
RELEASE_S = 0.8  # s after a contact over which it returns to its own path


def contact_reach(joint: int) -> float:
    """Ground distance (m) from the pelvis at which a contact joint meets its partner without a step."""
    return CONTACT_REACH * COMFORT_REACH.get(CANONICAL.names[joint], 0.2)


def ease_weights(span: np.ndarray, num_frames: int, before: int, after: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames of span plus `before` frames before and `after` after it, weight 1 on the span falling to 0 at
    those ends along minimum-jerk curves: zero speed and acceleration where the joint leaves its path)."""
    a, b = int(span[0]), int(span[-1])
    around = np.arange(max(a - before, 0), min(b + after, num_frames - 1) + 1)
    x = np.where(around < a, 1.0 - (a - around) / (before + 1), np.where(around > b, 1.0 - (around - b) / (after + 1),
                                                                         1.0))  # fmt: skip
    return around, minimum_jerk(x)


class ContactTrack(ReachPosition):
    """A joint on per-frame world targets (S, 3) on its span [start, end], eased in over APPROACH_S before it
    and out over RELEASE_S after it; `aim` sets the targets.

    `moves_root`: a partner beyond contact_reach makes the root walk over: the walk is spread from the clip's
    start to the contact's (a minimum-jerk curve: the longer there is, the slower), and the root stays near
    the meeting point through the release (it does not walk back). False for one who stays (the arm alone
    reaches, the root takes no share).
    """

    walks_over = False  # root_excess is already the walk over, per frame
    # observed on its span only: the partner's place moves at every step, and observed over the long approach the
    # high five's bodies came 29 cm close (30 asked) and its feet skated 4.5 % instead of 3.6
    observed_on_window = False

    def __init__(self, joint: int, start: float, end: float, weight: float = 1.0, label: str = "contact",
                 moves_root: bool = True) -> None:  # fmt: skip
        super().__init__(joint, np.zeros(3), start, end, weight, label)
        self.moves_root = moves_root
        if not moves_root:
            self.shares = (1.0, 0.0, 0.0)

    def frames(self, fps: float, num_frames: int) -> np.ndarray:
        """From the clip's first frame (the walk over) to the release's end; the arm moves from the approach."""
        span = ErrorTerm.frames(self, fps, num_frames)  # the contact's own frames
        before, after = (max(1, int(round(s * fps))) for s in (APPROACH_S, RELEASE_S))
        _, self.weights = ease_weights(span, num_frames, int(span[0]), after)
        around, arm = ease_weights(span, num_frames, before, after)
        self.root_weights = np.where(np.arange(len(self.weights)) > span[-1], 1.0, self.weights)
        self.weights[: len(self.weights) - len(arm)] = 0.0
        self.weights[len(self.weights) - len(arm) :] = arm
        self.span_index = span
        return np.arange(len(self.weights))

    def aim(self, targets: np.ndarray) -> None:
        self.position = np.asarray(targets, dtype=np.float64)

    def residual(self, positions: np.ndarray) -> np.ndarray:
        """Distance from the target on the span's frames (the approach and release are free)."""
        return np.linalg.norm(positions[self.span_index, self.joint] - self.position, axis=-1)

    def root_excess(self, positions: np.ndarray) -> np.ndarray:
        """(F, 2) ground offset of each frame's target beyond contact_reach from the pelvis: eased in from the
        clip's start, held through the release (the nearest span frame's target)."""
        if not self.moves_root:
            return np.zeros((len(positions), 2))
        idx = np.clip(np.searchsorted(self.span_index, np.arange(len(positions))), 0, len(self.span_index) - 1)
        target = self.position[idx, :2]
        want = target - positions[:, 0, :2]
        dist = np.linalg.norm(want, axis=-1, keepdims=True)
        excess = want * np.maximum(0.0, 1.0 - contact_reach(self.joint) / np.maximum(dist, 1e-9))
        return excess * self.root_weights[:, None]


class HoldTrack(JointPosition):
    """The pelvis kept over the ground where it is at the first frame of [start, end] (its height free): one
    who stays does not step while a partner comes to it. `aim` takes the pelvis positions (F, 3) now."""

    def __init__(self, start: float, end: float, weight: float = 1.0, label: str = "stays") -> None:
        super().__init__(0, np.zeros(3), max(0.0, start), end, weight, label)

    def aim(self, pelvis: np.ndarray) -> None:
        self.position = np.asarray(pelvis, dtype=np.float64).copy()
        self.position[:, :2] = self.position[0, :2]


class FaceTrack(LookAt):
    """The chest turned towards a per-frame ground point (F, 2): another character's pelvis.

    As a contact's joint, the turn is eased in over APPROACH_S before [start, end] and out over RELEASE_S
    after it: each frame there turns by its minimum-jerk weight times the turn its nearest frame of the
    range takes, so the body turns as a person does instead of snapping round where the range starts.
    """

    def __init__(self, start: float, end: float, weight: float = 1.0, label: str = "face") -> None:
        super().__init__(np.zeros(2), start, end, weight)
        self.label = label

    def frames(self, fps: float, num_frames: int) -> np.ndarray:
        span = ErrorTerm.frames(self, fps, num_frames)
        before, after = (max(1, int(round(s * fps))) for s in (APPROACH_S, RELEASE_S))
        around, self.weights = ease_weights(span, num_frames, before, after)
        self.span_index = np.searchsorted(around, span)
        return around

    def aim(self, points: np.ndarray) -> None:
        self.point = np.asarray(points, dtype=np.float64)[:, :2]

    def turn(self, positions: np.ndarray) -> np.ndarray:
        """Signed turn (radians) of each frame of the window: its weight times its nearest range frame's."""
        whole = super().turn(positions)
        nearest = np.clip(np.searchsorted(self.span_index, np.arange(len(positions))), 0, len(self.span_index) - 1)
        return self.weights * whole[self.span_index][nearest]

    def residual(self, positions: np.ndarray) -> np.ndarray:
        """How far the chest is turned from the partner (beyond the tolerance) on the range itself."""
        return np.abs(super().turn(positions)[self.span_index])

    def step(self, positions: np.ndarray) -> np.ndarray:
        """Every joint turned about the pelvis by `turn` (guidance takes it mostly as a heading change)."""
        angle = self.turn(positions)[:, None]
        rel = positions[..., :2] - positions[:, :1, :2]
        c, s = np.cos(angle), np.sin(angle)
        d = np.zeros_like(positions)
        d[..., 0] = c * rel[..., 0] - s * rel[..., 1] - rel[..., 0]
        d[..., 1] = s * rel[..., 0] + c * rel[..., 1] - rel[..., 1]
        return d
