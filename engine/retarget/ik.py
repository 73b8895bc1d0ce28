"""Keys on a rig's IK controls that reproduce the retargeted (FK) pose.

Retargeting solves the pose on the FK bones. For limbs keyed with IK
(`BoneMapping.ik_limbs`: the legs by default) the same pose is handed to the
IK controls instead: the foot/hand control and the bones that follow the toe
move rigidly with the joint they carry (the world change of the joint's
keyed bone, applied to the control's rest), and the pole target goes into
the limb's bend plane, in front of the knee or behind the elbow, as far
from it as at rest; controls between them (Rigify's foot roll) are keyed at
rest. The rig's own IK then puts the limb where the FK pose has it; the
switch properties (Rigify's IK_FK) are keyed to IK.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from .mapping import IK_LIMBS, BoneMapping, IkControls
from .posing import forward, location_frame, parent_frame, relevant_order
from .target import TargetSkeleton

#: below this bend (knee/elbow off the hip-ankle line, as a fraction of the limb) the pole direction
#: comes more and more from the upper bone's turn, so a straight limb keeps a well-defined knee direction
STRAIGHT_LIMB = 0.01


def ik_keys(
    target: TargetSkeleton,
    mapping: BoneMapping,
    goals: dict[int, np.ndarray],
    locations: dict[int, np.ndarray],
    world: dict[int, np.ndarray],
    heads: dict[int, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, dict[str, float]]]:
    """(rotations, locations, switch properties) of the IK controls of `mapping.ik_limbs()`.

    `world`/`heads`: the final FK pose (armature space) made by `goals` and `locations` (the root's).
    """
    want_rot: dict[int, np.ndarray] = {}
    want_head: dict[int, np.ndarray] = {}
    switches: dict[str, dict[str, float]] = {}
    for limb, controls in mapping.ik_limbs().items():
        end = IK_LIMBS[limb][2]
        for joint, bone in {end: controls.control, **controls.follow}.items():
            if joint in mapping.joints:
                c = target.index(bone)
                want_rot[c], want_head[c] = _carried(target, target.index(mapping.joints[joint]), c, world, heads)
        if controls.pole:
            want_head[target.index(controls.pole)] = _pole(target, mapping, limb, controls, world, heads)
        for bone, values in controls.properties.items():
            switches.setdefault(bone, {}).update(values)

    goals, locations = dict(goals), dict(locations)
    order = relevant_order(target, set(want_head))  # the controls and what they hang from: a short FK
    pending = [b for b in order if b in want_head]  # parents first: a control's keys depend on those above it
    while pending:
        world, heads, _ = forward(target, order, goals, locations)
        ready = [b for b in pending if not set(target.dependencies(b)) & set(pending)]
        for b in ready:
            frame = location_frame(target, parent_frame(target, world, b, len(heads[b])), b)
            unmoved = heads[b] - (quat.rotate(frame, locations[b]) if b in locations else 0.0)
            if b in want_rot:
                goals[b] = want_rot[b]
            locations[b] = quat.rotate(quat.conjugate(frame), want_head[b] - unmoved)
        pending = [b for b in pending if b not in ready]
    _, _, local = forward(target, order, goals, locations)
    rotations = {target.names[b]: quat.continuous(quat.normalize(local[b])) for b in want_rot}
    locations = {target.names[b]: locations[b] for b in want_head}
    frames = len(next(iter(goals.values())))
    for controls in mapping.ik_limbs().values():
        for bone in controls.rest:  # the rest pose the keys above assume (a foot roll left posed would shift them)
            rotations[bone], locations[bone] = quat.identity((frames,)), np.zeros((frames, 3))
    return rotations, locations, switches


def fk_bones_replaced(mapping: BoneMapping) -> set[str]:
    """The FK bones of limbs keyed with IK that get no keys: separate FK controls (Rigify's thigh_fk, whose
    pose is read back from another bone). A rig whose IK constraint sits on the keyed bones themselves keeps
    their keys: they are the IK's starting pose, and the foot's key is its angle on the shin."""
    out = set()
    for limb, controls in mapping.ik_limbs().items():
        for joint in (*IK_LIMBS[limb], *controls.follow):
            if joint in mapping.joints and mapping.reader(joint) != mapping.joints[joint]:
                out.add(mapping.joints[joint])
    return out


def _carried(target, src: int, c: int, world, heads) -> tuple[np.ndarray, np.ndarray]:
    """Orientation and head of bone `c` moving rigidly with bone `src` from the rest pose."""
    rest_rot, rest_head = target.rest_rotations, target.heads
    turn = quat.multiply(world[src], quat.conjugate(rest_rot[src]))
    return quat.multiply(turn, rest_rot[c]), heads[src] + quat.rotate(turn, rest_head[c] - rest_head[src])


def _pole(target, mapping: BoneMapping, limb: str, controls: IkControls, world, heads) -> np.ndarray:
    """Pole head (T,3): in the plane of the limb's three joints, on the bent side of the middle joint."""
    upper, mid, end = (target.index(mapping.reference(j)) for j in IK_LIMBS[limb])
    pole = target.index(controls.pole)
    h, k, a = heads[upper], heads[mid], heads[end]
    rest = target.heads
    reach = np.linalg.norm(rest[mid] - rest[upper]) + np.linalg.norm(rest[end] - rest[mid])
    distance = np.linalg.norm(rest[pole] - rest[mid])
    axis = _unit(a - h)
    bend = (k - h) - np.sum((k - h) * axis, axis=-1, keepdims=True) * axis
    # a straight limb: the rest-pose pole offset, turned with the upper bone
    keyed = target.index(mapping.joints[IK_LIMBS[limb][0]])
    turn = quat.multiply(world[keyed], quat.conjugate(target.rest_rotations[keyed]))
    fallback = quat.rotate(turn, rest[pole] - rest[mid])
    fallback = fallback - np.sum(fallback * axis, axis=-1, keepdims=True) * axis
    w = np.clip(np.linalg.norm(bend, axis=-1, keepdims=True) / (STRAIGHT_LIMB * reach), 0.0, 1.0)
    direction = _unit(w * _unit(bend) + (1.0 - w) * _unit(fallback))
    return k + distance * direction


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
