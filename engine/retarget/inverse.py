"""Reading a rig's pose back onto the canonical skeleton: the inverse of retargeting.

Retargeting gives a mapped bone the world-orientation change of its joint
(plus the rest compensation) and puts the pelvis where the re-scaled source
pelvis is. Undoing both turns any mapped rig's pose (keyed on FK controls, IK
controls or anything else, as long as the `readers` bones show it) into
canonical local rotations and a root position: keyframe constraints,
inbetweens and captured poses work on every rig, not only on rigs named like
the canonical skeleton.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..skeleton import JOINT_NAMES, PARENTS
from .mapping import BoneMapping
from .rest import RestAlignment, align
from .target import TargetSkeleton


def pose_to_canonical(
    target: TargetSkeleton,
    mapping: BoneMapping,
    orientations: dict[str, np.ndarray],
    pelvis_head: np.ndarray,
    alignment: RestAlignment | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Canonical (root (...,3), local rotations (...,22,4)) of rig poses.

    `orientations`: armature-space posed orientation (...,4) of every reader bone
    (`mapping.reader(joint)`); `pelvis_head`: armature-space posed head (...,3) of the
    pelvis reference bone. Joints the rig lacks keep their parent's orientation.
    """
    al = alignment or align(target, mapping)
    f, f_inv = al.frame, quat.conjugate(al.frame)
    lead = np.shape(pelvis_head)[:-1]
    world = quat.identity(lead + (len(JOINT_NAMES),))
    for j, name in enumerate(JOINT_NAMES):
        if name not in mapping.joints:
            world[..., j, :] = world[..., PARENTS[j], :] if PARENTS[j] >= 0 else quat.identity(lead)
            continue
        bone = mapping.reader(name)
        rest = target.rest_rotations[target.index(bone)]
        change = quat.multiply(np.asarray(orientations[bone], dtype=np.float64), quat.conjugate(rest))
        delta = quat.multiply(change, quat.conjugate(al.compensation[name]))
        world[..., j, :] = quat.multiply(quat.multiply(f_inv, delta), f)
    local = world.copy()
    for j, p in enumerate(PARENTS):
        if p >= 0:
            local[..., j, :] = quat.multiply(quat.conjugate(world[..., p, :]), world[..., j, :])
    return al.to_canonical(pelvis_head), quat.normalize(local)
