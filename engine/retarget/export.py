"""The retargeted animation as a Motion on the target's own skeleton, for BVH export.

The skeleton holds the bones that carry the motion (the mapped joints'
bones and everything above them up to the bone that travels), with the
rig's rest pose as offsets, in
world space (the armature object's transform applied, metres if the scene
is in metres). write_bvh then writes it like any other Motion.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..motion import Motion
from ..skeleton import Skeleton
from .mapping import BoneMapping
from .solve import RetargetResult
from .target import TargetSkeleton


def retargeted_motion(result: RetargetResult, target: TargetSkeleton, mapping: BoneMapping) -> Motion:
    """Motion (world frame) on a skeleton made of the rig's bones that move; contacts dropped."""
    keep = {target.index(mapping.reference(j)) for j in mapping.joints}
    for b in list(keep):
        keep.update(target.ancestors(b))
    moving = target.index(next(iter(result.locations)))
    if all(b == moving or target.is_ancestor(moving, b) for b in keep - set(target.ancestors(moving))):
        keep -= set(target.ancestors(moving))  # bones above the one that travels stay at rest: drop them
    order = [b for b in target.order if b in keep]
    index = {b: i for i, b in enumerate(order)}

    def kept_parent(b: int) -> int:
        p = target.parents[b]
        while p >= 0 and p not in index:
            p = target.parents[p]
        return index[p] if p >= 0 else -1

    parents = tuple(kept_parent(b) for b in order)
    if sum(p < 0 for p in parents) != 1:
        raise ValueError("the mapped bones do not share one root bone")
    m = target.object_matrix
    lin, move = m[:3, :3], m[:3, 3]
    obj_rot = quat.from_matrix(_rotation_part(lin))
    heads_world = target.heads @ lin.T + move
    offsets = np.array(
        [heads_world[b] - (heads_world[order[p]] if p >= 0 else 0.0) for b, p in zip(order, parents, strict=True)]
    )

    # world-space change of orientation from rest, per bone
    delta = {}
    for b in order:
        name = target.names[b]
        q = result.bone_orientations.get(name)
        rest = target.rest_rotations[b]
        d = quat.identity((result.num_frames,)) if q is None else quat.multiply(q, quat.conjugate(rest))
        delta[b] = quat.multiply(quat.multiply(obj_rot, d), quat.conjugate(obj_rot))
    local = np.stack(
        [
            delta[b] if p < 0 else quat.multiply(quat.conjugate(delta[order[p]]), delta[b])
            for b, p in zip(order, parents, strict=True)
        ],
        axis=1,
    )
    root_name = target.names[order[0]]
    root_head = result.bone_heads[root_name] @ lin.T + move
    skeleton = Skeleton(tuple(target.names[b] for b in order), parents, offsets)
    return Motion(result.fps, root_head, quat.normalize(local), skeleton=skeleton)


def _rotation_part(m: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd(m)
    r = u @ vt
    if np.linalg.det(r) < 0:
        u[:, -1] *= -1
        r = u @ vt
    return r
