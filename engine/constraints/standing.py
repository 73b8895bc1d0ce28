"""The neutral standing pose: what `"start": "rest"` and `"end": "rest"` put at a clip's first and last frame.

Hand-made on the canonical skeleton (not taken from any clip): upright, feet
under the hips, arms hanging at the sides with the elbows slightly bent and
the palms in, so a clip that starts and ends in it can be dropped between two
idle clips. It becomes an ordinary keyframe constraint (root anywhere on the
floor), so the sampler observes it and the clean-up puts it exactly there.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..errors import RequestError
from ..skeleton import CANONICAL
from .types import KeyframePose

ARM_DOWN = 1.35  # rad: from the T-pose's horizontal arm to hanging, a little away from the thigh
ELBOW_BEND = 0.2  # rad, forearm forwards
ENDS = ("free", "rest")  # values of the job's "start" and "end" fields


def standing_rotations() -> np.ndarray:
    """(J, 4) local rotations of the neutral standing pose."""
    rot = quat.identity((CANONICAL.num_joints,))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        rot[CANONICAL.index(f"{side}_shoulder")] = quat.from_axis_angle(np.array([0.0, sign * ARM_DOWN, 0.0]))
        rot[CANONICAL.index(f"{side}_elbow")] = quat.from_axis_angle(np.array([0.0, 0.0, -sign * ELBOW_BEND]))
    return rot


def check_end(value, name: str) -> str:
    """A job's "start" / "end" value, checked."""
    if value not in ENDS:
        raise RequestError(f"'{name}' must be one of {', '.join(repr(e) for e in ENDS)} (got {value!r})")
    return value


def rest_keyframes(start: str, end: str, seconds: float) -> list[KeyframePose]:
    """Keyframes of the standing pose at 0 s and/or at the last frame, as the job's "start" / "end" ask."""
    times = [(name, t) for name, t, value in (("start", 0.0, start), ("end", seconds, end)) if value == "rest"]
    return [KeyframePose(t, standing_rotations(), label=f"{name}: rest") for name, t in times]
