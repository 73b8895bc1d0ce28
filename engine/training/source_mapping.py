"""Any humanoid source skeleton -> the canonical skeleton, by rest-pose bone directions.

The inverse of retargeting (engine/retarget): the source is read as a
`TargetSkeleton` posed at its rest pose, mapped with the same presets and
automatic bone mapping (or a mapping file), and `engine.retarget.rest.align`
gives the character's facing frame F, its scale and, per mapped joint, the
rotation that turns the source bone's rest direction onto the canonical one.
Each frame then converts as

    W_canonical(t) = F^-1 . W_source(t) . W_source_rest^-1 . comp_j^-1 . F

so a source bone in its rest pose gives the canonical bone in its rest
direction, and every later source rotation is carried over. Joints the
source lacks copy their parent's world rotation (identity local rotation).
When the rest pose is a neutral T- or A-pose stance, the torso and feet are
conformed instead of copied (engine/training/posture.py): the rig's rest
spine counts as straight and its rest feet as flat. Used by the BVH library
reader and the SMPL reader alike.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .. import quaternion as quat
from ..errors import MotionComposerError
from ..motion import Motion
from ..retarget import BoneMapping, TargetSkeleton, auto_map
from ..retarget.rest import align
from ..skeleton import JOINT_NAMES, PARENTS
from .posture import conformed, stance_problem


class SourceDataError(MotionComposerError):
    """A source clip that cannot become canonical motion (not humanoid, no standing rest pose, ...)."""


@dataclass(frozen=True)
class SourcePose:
    """A source clip in the engine frame: world joint positions (T,B,3) and rotations (T,B,4) plus its rest pose."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    positions: np.ndarray
    rotations: np.ndarray
    rest_positions: np.ndarray  # (B,3)
    rest_rotations: np.ndarray  # (B,4) world rotations at rest
    fps: float


def rest_skeleton(source: SourcePose, name: str) -> TargetSkeleton:
    """The source at rest as a TargetSkeleton: each bone points at its first child (leaves continue the parent)."""
    heads = source.rest_positions
    children: dict[int, list[int]] = {}
    for b, p in enumerate(source.parents):
        children.setdefault(p, []).append(b)
    rows = []
    for b, nm in enumerate(source.names):
        p = source.parents[b]
        kids = [c for c in children.get(b, []) if np.linalg.norm(heads[c] - heads[b]) > 1e-6]
        if kids:
            tail = heads[kids[0]]
        elif p >= 0 and np.linalg.norm(heads[b] - heads[p]) > 1e-6:
            tail = heads[b] + 0.3 * (heads[b] - heads[p])
        else:
            tail = heads[b] + np.array([0.0, 0.0, 0.01])
        rows.append((nm, None if p < 0 else source.names[p], tuple(heads[b]), tuple(tail), 0.0))
    return TargetSkeleton.from_bones(rows, name=name)


def check_standing(skeleton: TargetSkeleton, mapping: BoneMapping, what: str) -> None:
    """Raise unless the rest pose stands upright: head above the pelvis, ankles below it, hips apart."""
    z = {j: skeleton.heads[skeleton.index(b)][2] for j, b in mapping.joints.items()}
    hips = (
        skeleton.heads[skeleton.index(mapping.joints["left_hip"])]
        - skeleton.heads[skeleton.index(mapping.joints["right_hip"])]
    )
    leg = abs(z["pelvis"] - min(z["left_ankle"], z["right_ankle"]))
    upright = z["head"] > z["pelvis"] > max(z["left_ankle"], z["right_ankle"]) and np.linalg.norm(hips[:2]) > 0.05 * leg
    if not upright:
        raise SourceDataError(
            f"{what}: the rest pose does not stand upright (head above the pelvis above the feet); if the file "
            "starts with a T-pose frame, pass --rest-frame 0 (or the frame number of a standing pose)"
        )


def source_mapping(skeleton: TargetSkeleton, mapping: BoneMapping | None) -> BoneMapping:
    """The given mapping checked against the skeleton, or the automatic one (presets, then a name guess)."""
    if mapping is None:
        return auto_map(skeleton)
    mapping.validate(skeleton)
    return mapping


def leaf_compensation(mapping: BoneMapping, comp: dict, next_joint: dict) -> dict:
    """End joints (hands, toes, head) take their mapped parent's compensation.

    A source's end bones point anywhere (a hand's first child may be a thumb,
    a toe bone has no child at all), while the canonical rest pose has them
    straight on from their parent: so the source's rest end bone counts as
    straight on from its parent too, and only its motion from rest carries over.
    """
    out = dict(comp)
    for joint in JOINT_NAMES:  # parents first, so chains of end joints resolve
        if joint in mapping.joints and next_joint.get(joint) is None and joint != "pelvis":
            p = PARENTS[JOINT_NAMES.index(joint)]
            while JOINT_NAMES[p] not in mapping.joints:
                p = PARENTS[p]
            out[joint] = out[JOINT_NAMES[p]]
    return out


def mapped_rest(source: SourcePose, mapping: BoneMapping | None, what: str) -> tuple[TargetSkeleton, BoneMapping]:
    """The source's rest skeleton and its checked bone mapping; raises SourceDataError (one line)."""
    skeleton = rest_skeleton(source, what)
    try:
        mapping = source_mapping(skeleton, mapping)
        check_standing(skeleton, mapping, what)
    except SourceDataError:
        raise
    except MotionComposerError as exc:
        raise SourceDataError(f"{what}: {str(exc).split('; edit the bone mapping')[0]}") from None
    return skeleton, mapping


def mapped_bones(source: SourcePose, mapping: BoneMapping | None, what: str) -> set[str]:
    """Names of the source bones the mapping uses (found from names and hierarchy, whatever the rest pose)."""
    try:
        return set(source_mapping(rest_skeleton(source, what), mapping).joints.values())
    except MotionComposerError:
        return set()


def rest_stance_problem(source: SourcePose, mapping: BoneMapping | None, what: str) -> str | None:
    """Why the source's rest pose is not a neutral T- or A-pose stance (None when it is); raises SourceDataError."""
    return stance_problem(*mapped_rest(source, mapping, what))


def to_canonical(source: SourcePose, mapping: BoneMapping | None = None, what: str = "clip") -> tuple[Motion, str]:
    """Canonical Motion (at the source frame rate) and the mapping's preset name; raises SourceDataError.

    A rest pose that is no neutral stance maps by bone directions only, with a warning (a note in the report).
    """
    skeleton, mapping = mapped_rest(source, mapping, what)
    try:
        rest = align(skeleton, mapping)
    except MotionComposerError as exc:
        raise SourceDataError(f"{what}: {str(exc).split('; edit the bone mapping')[0]}") from None
    problem = stance_problem(skeleton, mapping)
    if problem is None:
        comp = conformed(rest, skeleton, mapping)
    else:
        comp = rest.compensation
        warnings.warn(f"rest pose: {problem}, so spine and foot posture are copied unconformed (give --rest-frame "
                      "of a frame that stands in a T- or A-pose)", stacklevel=2)  # fmt: skip
    frame = rest.frame
    comp = leaf_compensation(mapping, comp, rest.next_joint)
    t = len(source.rotations)
    world = np.zeros((t, len(JOINT_NAMES), 4))
    for j, joint in enumerate(JOINT_NAMES):
        if joint not in mapping.joints:
            world[:, j] = world[:, PARENTS[j]] if j else quat.identity((t,))
            continue
        b = skeleton.index(mapping.joints[joint])
        delta = quat.multiply(source.rotations[:, b], quat.conjugate(source.rest_rotations[b]))
        fixed = quat.multiply(quat.conjugate(comp[joint]), frame)
        world[:, j] = quat.multiply(quat.conjugate(frame), quat.multiply(delta, fixed))
    local = np.empty_like(world)
    local[:, 0] = world[:, 0]
    local[:, 1:] = quat.multiply(quat.conjugate(world[:, list(PARENTS[1:])]), world[:, 1:])
    pelvis = source.positions[:, skeleton.index(mapping.joints["pelvis"])]
    root = quat.rotate(quat.conjugate(frame), pelvis - rest.origin) / rest.scale
    motion = Motion(fps=source.fps, root_translation=root, rotations=quat.continuous(quat.normalize(local)))
    return motion, mapping.preset
