"""Rest-pose alignment: how the canonical T-pose sits on the target's rest pose.

Computed once per (target, mapping): the rotation from the canonical frame
(left +X, up +Z, facing -Y) to the character's frame in armature space, the
scale from canonical metres to armature units (leg length ratio), and per
mapped joint a compensation rotation that turns the target bone's rest
direction onto the canonical rest direction (A-pose vs T-pose, bone roll and
bone-axis conventions drop out because only directions are compared).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quaternion as quat
from ..errors import RetargetError
from ..skeleton import CANONICAL, FOOT_JOINTS, JOINT_NAMES, PARENTS, standing_rest_positions
from .mapping import EDIT_HINT, BoneMapping
from .target import TargetSkeleton

#: the child that continues a joint's main chain where it has several
PRIMARY_CHILD = {"pelvis": "spine1", "spine3": "neck"}
#: canonical rest direction of end joints that have no canonical child
LEAF_DIRECTIONS = {"head": (0.0, 0.0, 1.0), "left_foot": (0.0, -1.0, 0.0), "right_foot": (0.0, -1.0, 0.0)}

_REST = CANONICAL.rest_positions()


def primary_child(joint: str) -> str | None:
    if joint in PRIMARY_CHILD:
        return PRIMARY_CHILD[joint]
    j = JOINT_NAMES.index(joint)
    kids = [JOINT_NAMES[c] for c, p in enumerate(PARENTS) if p == j]
    return kids[0] if len(kids) == 1 else None


def next_mapped(joint: str, mapped: set[str] | dict) -> str | None:
    """First mapped joint down `joint`'s main chain (skipping joints the rig lacks)."""
    c = primary_child(joint)
    while c is not None and c not in mapped:
        c = primary_child(c)
    return c


def canonical_leaf_direction(joint: str) -> np.ndarray:
    """Rest direction of a joint with no mapped joint below it, in the canonical frame."""
    c = primary_child(joint)
    if c is not None:
        return _unit(_REST[JOINT_NAMES.index(c)] - _REST[JOINT_NAMES.index(joint)])
    if joint in LEAF_DIRECTIONS:
        return np.asarray(LEAF_DIRECTIONS[joint], dtype=np.float64)
    p = PARENTS[JOINT_NAMES.index(joint)]  # wrists: continue the forearm
    return _unit(_REST[JOINT_NAMES.index(joint)] - _REST[p])


def canonical_leg_length() -> float:
    idx = {n: i for i, n in enumerate(JOINT_NAMES)}
    legs = []
    for s in ("left", "right"):
        h, k, a = (_REST[idx[f"{s}_{n}"]] for n in ("hip", "knee", "ankle"))
        legs.append(np.linalg.norm(k - h) + np.linalg.norm(a - k))
    return float(np.mean(legs))


def canonical_pelvis_height() -> float:
    """Pelvis height of the rest pose standing flat on the floor (feet at the data's standing heights).

    The rig's rest pelvis is put there, so a standing motion puts the rig's feet where its rest pose has them.
    """
    return float(standing_rest_positions()[0, 2])


@dataclass(frozen=True)
class RestAlignment:
    frame: np.ndarray  # (4,) quaternion: canonical frame -> armature space
    scale: float  # armature units per canonical metre
    origin: np.ndarray  # (3,) armature-space point where the canonical origin (floor) lands
    up: np.ndarray  # (3,) armature-space up
    compensation: dict[str, np.ndarray]  # joint -> (4,) rest compensation, armature space
    next_joint: dict[str, str | None]
    #: foot joint -> its rest height along `up` (armature space): where it is when the foot is planted
    ground: dict[str, float]

    def to_armature(self, points: np.ndarray) -> np.ndarray:
        """Canonical world points (...,3) to armature space."""
        return self.origin + self.scale * quat.rotate(self.frame, points)

    def to_canonical(self, points: np.ndarray) -> np.ndarray:
        """Armature-space points (...,3) to the canonical world frame (the inverse of to_armature)."""
        return quat.rotate(
            quat.conjugate(self.frame), (np.asarray(points, dtype=np.float64) - self.origin) / self.scale
        )

    def direction(self, v: np.ndarray) -> np.ndarray:
        return quat.rotate(self.frame, v)


def align(target: TargetSkeleton, mapping: BoneMapping) -> RestAlignment:
    heads = target.heads
    ref = {j: target.index(mapping.reference(j)) for j in mapping.joints}
    up = target.up_axis()
    left = _left_vector(target, mapping, ref, up)
    fwd = np.cross(up, -left)  # character's forward (-Y canonical): up x right
    frame_m = np.stack([left, -fwd, up], axis=-1)  # columns: images of canonical X, Y, Z
    frame = quat.from_matrix(frame_m)

    legs = []
    for s in ("left", "right"):
        h, k, a = (heads[ref[f"{s}_{n}"]] for n in ("hip", "knee", "ankle"))
        legs.append(np.linalg.norm(k - h) + np.linalg.norm(a - k))
    leg = float(np.mean(legs))
    if leg < 1e-9:
        raise RetargetError(f"armature {target.name!r}: the leg bones have no length; fix the rig or {EDIT_HINT}")
    scale = leg / canonical_leg_length()
    origin = heads[ref["pelvis"]] - scale * canonical_pelvis_height() * up

    comp: dict[str, np.ndarray] = {}
    nxt: dict[str, str | None] = {}
    for j in mapping.joints:
        n = next_mapped(j, mapping.joints)
        nxt[j] = n
        b = ref[j]
        if n is None:
            can = quat.rotate(frame, canonical_leaf_direction(j))
            tgt = target.rest[b, :3, 1] if target.lengths[b] > 1e-6 * max(leg, 1e-9) else None
            if tgt is None:
                comp[j] = quat.identity()
                continue
        else:
            can = quat.rotate(frame, _REST[JOINT_NAMES.index(n)] - _REST[JOINT_NAMES.index(j)])
            tgt = heads[ref[n]] - heads[b]
            if np.linalg.norm(tgt) < 1e-4 * leg:
                raise RetargetError(
                    f"armature {target.name!r}: bones {target.names[b]!r} ({j}) and {target.names[ref[n]]!r} ({n}) "
                    f"start at the same point, so the part between them has no length; fix the rig or {EDIT_HINT}"
                )
        if j == "pelvis":
            comp[j] = frame_alignment(tgt, heads[ref["left_hip"]] - heads[ref["right_hip"]], can, left)
        else:
            comp[j] = quat.from_two_vectors(tgt, can)
    ground = {j: float(np.dot(heads[ref[j]], up)) for j in FOOT_JOINTS if j in ref}
    return RestAlignment(frame, scale, origin, up, comp, nxt, ground)


def frame_alignment(tgt_up, tgt_left, can_up, can_left) -> np.ndarray:
    """Rotation taking the target pelvis frame (up, left) onto the canonical one."""
    a = quat.from_frame(_unit(tgt_up), np.cross(tgt_up, tgt_left))
    b = quat.from_frame(_unit(can_up), np.cross(can_up, can_left))
    return quat.normalize(quat.multiply(b, quat.conjugate(a)))


def _left_vector(target, mapping, ref, up) -> np.ndarray:
    heads = target.heads
    for a, b in (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder"), ("left_collar", "right_collar")):
        if a in ref and b in ref:
            v = heads[ref[a]] - heads[ref[b]]
            v = v - np.dot(v, up) * up
            if np.linalg.norm(v) > 1e-9:
                return _unit(v)
    raise RetargetError(
        f"armature {target.name!r}: the left and right hips are at the same place, so the facing "
        f"direction is unknown; check the left/right bones in the mapping or {EDIT_HINT}"
    )


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / max(np.linalg.norm(v), 1e-12)
