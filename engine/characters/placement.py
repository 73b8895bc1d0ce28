"""Moving a finished motion rigidly on the ground: from the shared world frame into an object's own frame.

Blender armatures placed in the scene carry their own location and heading;
a character's Action is keyed relative to its armature object, so the world
motion is expressed in that object's frame (the inverse of its ground
placement) before retargeting, and the character appears exactly where the
cast put it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import quaternion as quat
from ..motion import Motion


def to_local(motion: Motion, origin: tuple[float, float] | np.ndarray, yaw: float) -> Motion:
    """`motion` seen from a frame at ground point `origin` turned by `yaw` radians about +Z."""
    root = motion.root_translation.copy()
    root[:, :2] -= np.asarray(origin, dtype=np.float64)[:2]
    turn = quat.about_z(np.full(len(root), -float(yaw)))
    root = quat.rotate(turn, root)
    rot = motion.rotations.copy()
    rot[:, 0] = quat.multiply(turn, rot[:, 0])
    return replace(motion, root_translation=root, rotations=rot)
