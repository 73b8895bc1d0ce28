"""Source skeletons -> canonical skeleton, by world rotations.

A source joint's world rotation W_src and the canonical joint's world rotation
W_can differ by a constant per-joint change of frame C (W_can = W_src C):
both skeletons bend the same limbs, only their local axes differ. C maps the
canonical rest direction of the bone onto the source bone's local axis and
fixes the twist with a second axis. With C known, every frame converts
exactly, the canonical bone directions reproduce the source's, and the
canonical rest pose stays a T-pose with identity rotations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quaternion as quat
from ..io.bvh_math import axis_matrix
from ..motion import Motion
from ..skeleton import CANONICAL, JOINT_NAMES, PARENTS


@dataclass(frozen=True)
class SourceRig:
    """For each canonical joint: the source joint it follows and the frame change C.

    `follows` names canonical joints that copy their parent's world rotation
    (identity local rotation), for joints the source lacks.
    """

    name: str
    joints: dict[str, str]
    corrections: dict[str, np.ndarray]
    follows: tuple[str, ...] = ()


def _m(rows, up: str = "Y") -> np.ndarray:
    """Frame change written in the source file's own axes, as seen by the engine.

    The BVH reader conjugates every rotation by the file->engine axis change A
    (W_engine = A W_file A^T), so a frame change C_file read off the file's local
    axes becomes A C_file.
    """
    return quat.from_matrix(axis_matrix(up) @ np.array(rows, dtype=np.float64))


def _bandai_rig() -> SourceRig:
    # Bandai local axes (in the Y-up file): X along the bone. These signed
    # permutations were read off standing frames (measured residual < 5 degrees,
    # arms' twist aside); every bone direction then matches the source's.
    spine = _m([[0, 0, 1], [0, -1, 0], [1, 0, 0]])
    left_leg = _m([[0, 0, -1], [1, 0, 0], [0, -1, 0]])
    right_leg = _m([[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    left_arm = _m([[1, 0, 0], [0, 0, 1], [0, -1, 0]])
    right_arm = _m([[1, 0, 0], [0, 0, -1], [0, 1, 0]])
    foot_dir = CANONICAL.offsets[JOINT_NAMES.index("left_foot")]
    # the ankle's bone points along the foot, not down the shin
    ankle_pitch = quat.from_two_vectors(foot_dir, np.array([0.0, 0.0, -1.0]))
    left_ankle = quat.multiply(left_leg, ankle_pitch)
    right_ankle = quat.multiply(right_leg, ankle_pitch)
    joints = {
        "pelvis": "Hips", "left_hip": "UpperLeg_L", "right_hip": "UpperLeg_R", "spine1": "Spine",
        "left_knee": "LowerLeg_L", "right_knee": "LowerLeg_R", "spine2": "Chest",
        "left_ankle": "Foot_L", "right_ankle": "Foot_R", "left_foot": "Toes_L", "right_foot": "Toes_R",
        "neck": "Neck", "left_collar": "Shoulder_L", "right_collar": "Shoulder_R", "head": "Head",
        "left_shoulder": "UpperArm_L", "right_shoulder": "UpperArm_R", "left_elbow": "LowerArm_L",
        "right_elbow": "LowerArm_R", "left_wrist": "Hand_L", "right_wrist": "Hand_R",
    }  # fmt: skip
    corrections = {
        "pelvis": _m([[0, 0, 1], [-1, 0, 0], [0, -1, 0]]),
        "spine1": spine, "spine2": spine, "neck": spine, "head": spine,
        "left_hip": left_leg, "left_knee": left_leg, "right_hip": right_leg, "right_knee": right_leg,
        "left_ankle": left_ankle, "left_foot": left_ankle, "right_ankle": right_ankle, "right_foot": right_ankle,
        "left_collar": left_arm, "left_shoulder": left_arm, "left_elbow": left_arm, "left_wrist": left_arm,
        "right_collar": right_arm, "right_shoulder": right_arm, "right_elbow": right_arm, "right_wrist": right_arm,
    }  # fmt: skip
    return SourceRig("bandai", joints, corrections, follows=("spine3",))


BANDAI = _bandai_rig()


def to_canonical(world_positions: np.ndarray, world_rotations: np.ndarray, names: list[str] | tuple[str, ...],
                 rig: SourceRig, fps: float) -> Motion:  # fmt: skip
    """Canonical Motion from a source clip's world joint positions and rotations (engine frame)."""
    index = {n: i for i, n in enumerate(names)}
    missing = [s for s in rig.joints.values() if s not in index]
    if missing:
        raise ValueError(f"source skeleton lacks joints {missing} needed by the {rig.name} rig")
    t = len(world_rotations)
    world = np.zeros((t, len(JOINT_NAMES), 4))
    for j, name in enumerate(JOINT_NAMES):
        if name in rig.follows:
            world[:, j] = world[:, PARENTS[j]]
        else:
            world[:, j] = quat.multiply(world_rotations[:, index[rig.joints[name]]], rig.corrections[name])
    local = np.empty_like(world)
    local[:, 0] = world[:, 0]
    parents = list(PARENTS[1:])
    local[:, 1:] = quat.multiply(quat.conjugate(world[:, parents]), world[:, 1:])
    root = world_positions[:, index[rig.joints["pelvis"]]]
    return Motion(fps=fps, root_translation=root, rotations=quat.continuous(quat.normalize(local)))
