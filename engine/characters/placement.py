"""Moving a finished motion rigidly on the ground, between the shared world frame and a character's own.

Blender armatures placed in the scene carry their own location and heading;
a character's Action is keyed relative to its armature object, so the world
motion is expressed in that object's frame (to_local) before retargeting,
and the character appears exactly where the cast put it. A character
generated on its own (tracks) starts at the origin facing -Y and is put
where the cast places it (to_world).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import quaternion as quat
from ..motion import Motion


def to_local(motion: Motion, origin: tuple[float, float] | np.ndarray, yaw: float) -> Motion:
    """`motion` seen from a frame at ground point `origin` turned by `yaw` radians about +Z."""
    shifted = motion.root_translation.copy()
    shifted[:, :2] -= np.asarray(origin, dtype=np.float64)[:2]
    return _turned(replace(motion, root_translation=shifted), -float(yaw))


def to_world(motion: Motion, origin: tuple[float, float] | np.ndarray, yaw: float) -> Motion:
    """The inverse of to_local: a motion made at the origin facing -Y, put at `origin` turned by `yaw`."""
    out = _turned(motion, float(yaw))
    out.root_translation[:, :2] += np.asarray(origin, dtype=np.float64)[:2]
    return out


def _turned(motion: Motion, yaw: float) -> Motion:
    """`motion` turned by `yaw` radians about the vertical axis through the world origin."""
    turn = quat.about_z(np.full(motion.num_frames, yaw))
    root = quat.rotate(turn, motion.root_translation)
    rot = motion.rotations.copy()
    rot[:, 0] = quat.multiply(turn, rot[:, 0])
    return replace(motion, root_translation=root, rotations=rot)
