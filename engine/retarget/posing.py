"""Forward kinematics over a target armature: the pose that given bone keys produce.

Retargeting decides world orientations (goals) for some bones and locations
for a few (the root, IK controls); every other bone keeps its rest pose
relative to its parent, or copies a bone whole (Copy Transforms). This is
the one place that turns that into world orientations, heads and the
pose-space rotations Blender keys, following Blender's bone convention:
posed = parent_posed @ parent_rest^-1 @ rest @ (location, rotation).
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from .target import TargetSkeleton


def relevant_order(target: TargetSkeleton, bones: set[int]) -> list[int]:
    """`bones` and everything their pose depends on, parents first."""
    keep = set(bones)
    for b in bones:
        keep.update(target.dependencies(b))
    return [b for b in target.order if b in keep]


def forward(
    target: TargetSkeleton,
    order: list[int],
    goals: dict[int, np.ndarray],
    locations: dict[int, np.ndarray] | None = None,
):
    """FK over `order`: world orientations, heads and pose-space rotations of the bones with goals.

    `goals`: bone -> armature-space orientation (T,4); `locations`: bone -> pose-space
    location (T,3) (zero for bones not listed). Bones without goals keep their rest
    pose relative to their parent.
    """
    locations = locations or {}
    t = len(next(iter(goals.values())))
    rest_rot, rest_head = target.rest_rotations, target.heads
    world: dict[int, np.ndarray] = {}
    heads: dict[int, np.ndarray] = {}
    local: dict[int, np.ndarray] = {}
    for b in order:
        p = target.parents[b]
        src = target.copy_of[b]
        copied = src >= 0 and b not in goals  # Copy Transforms: the same posed matrix as the source bone
        if copied and not target.connected[b]:
            world[b], heads[b] = world[src], heads[src].copy()
            continue
        base = parent_frame(target, world, b, t)
        if copied:  # a connected bone copies the orientation; its head stays on its parent's tail
            world[b] = world[src]
        elif b in goals:
            world[b] = goals[b]
            local[b] = quat.multiply(quat.conjugate(base), goals[b])
        else:
            world[b] = base
        if p < 0:
            heads[b] = np.broadcast_to(rest_head[b], (t, 3)).copy()
        else:
            lever = quat.multiply(world[p], quat.conjugate(rest_rot[p]))
            heads[b] = heads[p] + quat.rotate(lever, rest_head[b] - rest_head[p])
        if b in locations:
            heads[b] = heads[b] + quat.rotate(location_frame(target, base, b), locations[b])
    return world, heads, local


def location_frame(target: TargetSkeleton, base: np.ndarray, b: int) -> np.ndarray:
    """Orientation of a bone's location keys: its unposed orientation `base`, or the armature's axes for
    bones with "Local Location" off."""
    return base if target.local_location[b] else quat.identity(np.shape(base)[:-1])


def parent_frame(target: TargetSkeleton, world: dict, b: int, frames: int | None = None) -> np.ndarray:
    """Orientation in which a bone's pose-space rotation and location are expressed (its unposed orientation)."""
    p = target.parents[b]
    rest_rot = target.rest_rotations
    if p < 0 or not target.inherit_rotation[b]:
        return rest_rot[b] if frames is None else np.broadcast_to(rest_rot[b], (frames, 4))
    return quat.multiply(world[p], quat.multiply(quat.conjugate(rest_rot[p]), rest_rot[b]))
