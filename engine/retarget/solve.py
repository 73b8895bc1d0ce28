"""Retargeting: a canonical Motion to pose-space keys on a target armature.

Each mapped bone takes the world-space orientation change of its canonical
joint (relative to the canonical T-pose), applied on top of the bone's rest
orientation after the rest-pose compensation of `rest.align`. Pose-space
rotations then follow from the target's own hierarchy, so unmapped bones
between mapped ones (twist bones, Rigify's mechanism bones) stay at rest,
and extra spine/neck bones get a share of the bend. The root bone's
location puts the pelvis where the (leg-length scaled) source pelvis is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import quaternion as quat
from ..constraints.types import JointTarget
from ..errors import RetargetError
from ..kinematics.filters import moving_average
from ..kinematics.ik import two_bone_world
from ..motion import Motion
from ..skeleton import CANONICAL, FOOT_JOINTS, FOOT_REST_HEIGHTS, JOINT_NAMES
from . import footlock, ik, reach
from .mapping import EDIT_HINT, BoneMapping
from .posing import forward, parent_frame, relevant_order
from .rest import RestAlignment, align, primary_child
from .target import TargetSkeleton

ROOT_MOTION_MODES = ("full", "in_place", "vertical_only")
#: the chain where extra target bones between mapped ones share the bend
TORSO_CHAIN = ("pelvis", "spine1", "spine2", "spine3", "neck", "head")
TILT_PASSES = 3  # tilts of the spine towards a torso target (each closes most of what is left)
_REST = CANONICAL.rest_positions()
_J = {n: i for i, n in enumerate(JOINT_NAMES)}


@dataclass
class RetargetResult:
    """Keys for the target: what goes into pose_bone.rotation_quaternion / .location per frame."""

    fps: float
    rotations: dict[str, np.ndarray]  # bone -> (T,4) w,x,y,z, continuous in time
    locations: dict[str, np.ndarray]  # bone -> (T,3)
    properties: dict[str, dict[str, float]]  # pose-bone custom properties to key (constant)
    joint_positions: dict[str, np.ndarray]  # canonical joint -> (T,3) armature-space head of its bone
    alignment: RestAlignment
    #: every bone the pose depends on (keyed ones, their parents, references): armature-space
    #: orientation (T,4) and head (T,3), e.g. for BVH export of the retargeted motion
    bone_orientations: dict[str, np.ndarray] | None = None
    bone_heads: dict[str, np.ndarray] | None = None

    @property
    def num_frames(self) -> int:
        return len(next(iter(self.rotations.values())))


def retarget(
    motion: Motion,
    target: TargetSkeleton,
    mapping: BoneMapping,
    *,
    root_motion: str = "full",
    foot_lock: bool = True,
    blend_seconds: float = 0.2,
    joint_targets: Sequence[JointTarget] = (),
) -> RetargetResult:
    """Retarget `motion` (canonical skeleton) onto `target` through `mapping`.

    root_motion: "full" (travel as in the source), "in_place" (travel removed,
    sway and bob kept), "vertical_only" (only the height changes). Foot lock
    runs for "full" root motion when the motion has contacts; in place, the
    feet must slide. `joint_targets` (canonical world positions, as in the
    request) are met on the rig itself: the target is taken through the rest
    alignment to armature space and the limb reaches it by IK (see reach.py).
    Limbs of `mapping.ik_limbs()` get the same pose as keys on the rig's IK
    controls instead of their FK bones (see ik.py).
    """
    if root_motion not in ROOT_MOTION_MODES:
        raise RetargetError(f"root motion must be one of {', '.join(ROOT_MOTION_MODES)}, got {root_motion!r}")
    if tuple(motion.skeleton.names) != JOINT_NAMES:
        raise RetargetError("retargeting needs a motion on the canonical skeleton")
    if motion.num_frames == 0:
        raise RetargetError("the motion has no frames")
    mapping.validate(target)
    al = align(target, mapping)
    pos_c, rot_c = motion.forward_kinematics()
    deltas = _world_deltas(al, mapping, pos_c, rot_c)

    rest_rot = target.rest_rotations
    goals: dict[int, np.ndarray] = {}  # keyed bone -> (T,4) armature-space orientation
    for j, bone in mapping.joints.items():
        b = target.index(bone)
        goals[b] = quat.multiply(quat.multiply(deltas[j], al.compensation[j]), rest_rot[b])
    root = target.index(mapping.root)
    if root not in goals:  # a control above the pelvis (Rigify torso) carries the pelvis orientation
        goals[root] = quat.multiply(quat.multiply(deltas["pelvis"], al.compensation["pelvis"]), rest_rot[root])
    while target.connected[root] and target.parents[root] >= 0:
        root = target.parents[root]  # a connected bone cannot move: its first free parent takes the location
    if mapping.distribute:
        goals.update(_in_between_goals(target, mapping, al, deltas))

    refs = {j: target.index(mapping.reference(j)) for j in mapping.joints}
    order = relevant_order(target, set(goals) | set(refs.values()))
    pelvis_ref = refs["pelvis"]
    subtree = {b for b in order if b == root or root in target.dependencies(b)}
    if pelvis_ref not in subtree:
        raise RetargetError(
            f"root bone {mapping.root!r} must be the pelvis bone {target.names[pelvis_ref]!r} or one of its parents; {EDIT_HINT}"
        )

    def pose():
        world, heads, local = forward(target, order, goals)
        for b in subtree:
            heads[b] = heads[b] + offset
        return world, heads, local

    offset = 0.0
    world, heads, local = pose()
    offset = al.to_armature(_root_path(motion, root_motion)) - heads[pelvis_ref]
    for b in subtree:
        heads[b] = heads[b] + offset

    blend = max(1, int(round(blend_seconds * motion.fps)))
    if foot_lock and root_motion == "full" and motion.contacts is not None:
        if _lock_feet(target, mapping, al, refs, goals, heads, deltas, motion.contacts, blend, pos_c):
            world, heads, local = pose()
    fade = reach.blend_frames(motion.fps)
    lowest = 1  # the spine tilts from spine1 up; a lower torso target keeps the bones below it for itself
    for joint, goal in reach.joint_goals(joint_targets, reach.TILTED, al, motion.fps, motion.num_frames).items():
        top = TORSO_CHAIN.index(joint)
        for _ in range(TILT_PASSES):
            _tilt_spine(target, mapping, refs, goals, world, heads, joint, goal, TORSO_CHAIN[lowest:top], fade)
            world, heads, local = pose()
        lowest = top
    middles = reach.joint_goals(joint_targets, tuple(reach.MIDDLES), al, motion.fps, motion.num_frames)
    for joint, goal in middles.items():
        turn = _swing_upper if joint.endswith("elbow") else _turn_knee
        turn(target, mapping, refs, goals, heads, reach.MIDDLES[joint], goal, fade)
    if middles:
        world, heads, local = pose()
    limbs = reach.limb_goals(joint_targets, al, motion.fps, motion.num_frames)
    if limbs:
        for limb, goal in limbs.items():
            upper, mid, end = (refs.get(j) for j in limb)
            if None in (upper, mid, end):
                continue
            corr = footlock.fade_out(goal - heads[end], fade)
            hint = quat.rotate(deltas[limb[0]], al.direction(reach.bend_direction(limb)))
            q_upper, q_mid = two_bone_world(heads[upper], heads[mid], heads[end], heads[end] + corr, hint,
                                            soft=reach.SOFT_REACH)  # fmt: skip
            _turn_limb(target, mapping, goals, limb, q_upper, q_mid)
        world, heads, local = pose()

    base = parent_frame(target, world, root)
    location = quat.rotate(quat.conjugate(base), offset)
    rotations = {}
    for b in goals:
        rotations[target.names[b]] = quat.continuous(quat.normalize(local[b]))
    locations = {target.names[root]: location}
    properties = {b: dict(p) for b, p in mapping.properties.items()}
    if mapping.ik_limbs():  # the same pose on the IK controls of these limbs, instead of their FK bones
        ik_rotations, ik_locations, switches = ik.ik_keys(target, mapping, goals, {root: location}, world, heads)
        for bone in ik.fk_bones_replaced(mapping):
            rotations.pop(bone, None)
        rotations.update(ik_rotations)
        locations.update(ik_locations)
        for bone, values in switches.items():
            properties.setdefault(bone, {}).update(values)
    return RetargetResult(
        fps=motion.fps,
        rotations=rotations,
        locations=locations,
        properties=properties,
        joint_positions={j: heads[b].copy() for j, b in refs.items()},
        alignment=al,
        bone_orientations={target.names[b]: q for b, q in world.items()},
        bone_heads={target.names[b]: p for b, p in heads.items()},
    )


def _world_deltas(al: RestAlignment, mapping: BoneMapping, pos_c: np.ndarray, rot_c: np.ndarray) -> dict:
    """Per mapped joint, its world orientation change from the T-pose, in armature space."""
    f, f_inv = al.frame, quat.conjugate(al.frame)
    out = {}
    for j in mapping.joints:
        d = quat.multiply(quat.multiply(f, rot_c[:, _J[j]]), f_inv)
        n = al.next_joint[j]
        if n is not None and primary_child(j) != n:
            # canonical joints the rig lacks in between: aim the bone at the next mapped joint
            rest_dir = quat.rotate(d, al.direction(_REST[_J[n]] - _REST[_J[j]]))
            actual = al.direction(pos_c[:, _J[n]] - pos_c[:, _J[j]])
            d = quat.multiply(quat.from_two_vectors(rest_dir, actual), d)
        out[j] = d
    return out


def _in_between_goals(target: TargetSkeleton, mapping: BoneMapping, al: RestAlignment, deltas: dict) -> dict:
    """Unmapped torso bones between two mapped ones get an interpolated share of the bend."""
    used = {target.index(b) for b in mapping.keyed_bones()}
    used |= {target.index(mapping.reference(j)) for j in mapping.joints}
    heads = target.heads
    out = {}
    for j in TORSO_CHAIN:
        n = al.next_joint.get(j)
        if j not in mapping.joints or n is None or n not in TORSO_CHAIN:
            continue
        a, b = target.index(mapping.joints[j]), target.index(mapping.joints[n])
        if not target.is_ancestor(a, b):
            continue
        path = list(reversed(target.ancestors(b)))
        path = path[path.index(a) + 1 :]
        if not path or any(u in used for u in path):
            continue
        points = np.concatenate([heads[[a] + path], heads[b][None]])
        cum = np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=-1))
        for u, frac in zip(path, cum[:-1] / max(cum[-1], 1e-12), strict=True):
            d = quat.slerp(deltas[j], deltas[n], frac)
            c = quat.slerp(al.compensation[j], al.compensation[n], frac)
            out[u] = quat.multiply(quat.multiply(d, c), target.rest_rotations[u])
    return out


def _root_path(motion: Motion, mode: str) -> np.ndarray:
    path = motion.root_translation.copy()
    if mode == "vertical_only":
        path[:, :2] = 0.0
    elif mode == "in_place":
        path[:, :2] -= moving_average(path[:, :2], max(1, int(round(motion.fps))), ends="reflect")  # travel, not sway
    return path


def _floor(al: RestAlignment, pos_c: np.ndarray, side: str, with_ball: bool) -> footlock.Floor:
    """The rig's rest heights of one foot's joints, plus the source's lift above its standing heights."""

    def height(joint: str) -> np.ndarray:
        lift = np.maximum(pos_c[:, _J[joint], 2] - FOOT_REST_HEIGHTS[joint], 0.0)
        return al.ground[joint] + al.scale * lift

    ball = height(f"{side}_foot") if with_ball and f"{side}_foot" in al.ground else None
    return footlock.Floor(al.up, height(f"{side}_ankle"), ball)


def _tilt_spine(target, mapping, refs, goals, world, heads, joint, goal, below, blend: int) -> None:
    """Move `joint` towards `goal` (T,3, NaN where free) by tilting the keyed bones of the torso joints `below`
    it an equal share each.

    Bones above a tilted one keep their world orientation (goals are world orientations) and ride on its tail, so
    each tilt moves the joint by its own tail's displacement; a few passes close what the shares leave.
    """
    corr = footlock.fade_out(goal - heads[refs[joint]], blend)
    bones = [target.index(mapping.joints[j]) for j in below if j in mapping.joints]
    for b in bones:
        bone = quat.rotate(world[b], np.array([0.0, target.lengths[b], 0.0]))  # head to posed tail
        goals[b] = quat.multiply(quat.from_two_vectors(bone, bone + corr / len(bones)), goals[b])


def _swing_upper(target, mapping, refs, goals, heads, limb, goal, blend: int) -> None:
    """Turn an arm's upper bone so its elbow points at `goal` (T,3, NaN where free); the
    bones below keep their world orientation and ride along."""
    mid = refs.get(limb[1])
    if mid is None or limb[0] not in mapping.joints:
        return
    ku = target.index(mapping.joints[limb[0]])
    corr = footlock.fade_out(goal - heads[mid], blend)
    bone = heads[mid] - heads[ku]
    goals[ku] = quat.multiply(quat.from_two_vectors(bone, bone + corr), goals[ku])


def _turn_knee(target, mapping, refs, goals, heads, limb, goal, blend: int) -> None:
    """Turn a leg about its hip-to-ankle line so the knee comes towards `goal` (T,3, NaN where free): the ankle
    stays where it is (a planted foot stays planted), the foot keeps its orientation."""
    hip, knee, ankle = (refs.get(j) for j in limb)
    if None in (hip, knee, ankle) or not all(j in mapping.joints for j in limb[:2]):
        return
    corr = footlock.fade_out(goal - heads[knee], blend)
    axis = heads[ankle] - heads[hip]
    axis = axis / np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-12)

    def across(v: np.ndarray) -> np.ndarray:
        return v - np.sum(v * axis, axis=-1, keepdims=True) * axis

    q = quat.from_two_vectors(across(heads[knee] - heads[hip]), across(heads[knee] + corr - heads[hip]))
    _turn_limb(target, mapping, goals, limb, q, quat.identity(q.shape[:-1]))


def _turn_limb(target, mapping, goals, limb, q_upper, q_mid) -> None:
    """Apply two-bone IK turns (world, (T,4)) to a limb's upper and middle bones; the end keeps its orientation."""
    ku, km = target.index(mapping.joints[limb[0]]), target.index(mapping.joints[limb[1]])
    goals[ku] = quat.multiply(q_upper, goals[ku])
    goals[km] = quat.multiply(q_mid, quat.multiply(q_upper, goals[km]))


def _lock_feet(target, mapping, al, refs, goals, heads, deltas, contacts, blend, pos_c) -> bool:
    contacts = np.asarray(contacts) > 0.5
    changed = False
    for side in ("left", "right"):
        hip, knee, ankle = (refs[f"{side}_{n}"] for n in ("hip", "knee", "ankle"))
        toe = refs.get(f"{side}_foot")
        heel_on = contacts[:, FOOT_JOINTS.index(f"{side}_ankle")]
        ball_on = contacts[:, FOOT_JOINTS.index(f"{side}_foot")]
        if not heel_on.any() and not (toe is not None and ball_on.any()):
            continue
        h, k, a = heads[hip], heads[knee], heads[ankle]
        ball = heads[toe] if toe is not None else None
        floor = _floor(al, pos_c, side, toe is not None)
        corr, aim = footlock.ankle_corrections(a, ball, heel_on, ball_on if toe is not None else None, blend, floor)
        if not np.any(np.abs(corr) > 0) and aim is None:
            continue
        limb = (f"{side}_hip", f"{side}_knee", f"{side}_ankle")
        bend = quat.rotate(deltas[limb[0]], al.direction(reach.bend_direction(limb)))
        q_thigh, q_shin = two_bone_world(h, k, a, a + corr, bend)
        _turn_limb(target, mapping, goals, limb, q_thigh, q_shin)
        if aim is not None:
            both = ~np.isnan(aim[:, 0])
            if both.any():
                kf = target.index(mapping.joints[f"{side}_ankle"])
                fix = quat.identity((len(aim),))
                fix[both] = quat.from_two_vectors(ball[both] - a[both], aim[both])
                goals[kf] = quat.multiply(fix, goals[kf])
        changed = True
    return changed
