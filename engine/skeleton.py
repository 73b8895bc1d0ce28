"""The canonical 22-joint skeleton and the body-part table, each defined once.

Every other module (features, retargeting, timeline composition, IO) reads
joint order, topology, rest offsets and body parts from here.
Conventions: metres, Z up, rest pose is a T-pose facing -Y with the
character's left side on +X, and every local rotation is the identity at rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import quaternion as quat


@dataclass(frozen=True)
class Skeleton:
    """Joint names, parent indices (-1 for the root) and rest offsets from the parent."""

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray = field(repr=False)  # (J, 3) metres, in the parent's rest frame
    levels: list = field(init=False, repr=False, compare=False)  # depth_levels(parents)

    def __post_init__(self) -> None:
        offsets = np.asarray(self.offsets, dtype=np.float64).reshape(len(self.names), 3)
        object.__setattr__(self, "offsets", offsets)
        for j, p in enumerate(self.parents):
            if p >= j:
                raise ValueError(f"joint {self.names[j]!r}: parent must come before the joint")
        object.__setattr__(self, "levels", depth_levels(self.parents))

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"unknown joint {name!r}; known joints: {', '.join(self.names)}") from None

    def children(self, j: int) -> list[int]:
        return [c for c, p in enumerate(self.parents) if p == j]

    def forward_kinematics(self, rotations: np.ndarray, root_translation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World positions (...,J,3) and rotations (...,J,4) from local rotations and root position.

        All joints of one depth are done together (8 levels instead of 22 joints: FK runs hundreds of times per
        generation, where per-joint numpy calls were most of its cost)."""
        rotations = np.asarray(rotations, dtype=np.float64)
        root_translation = np.asarray(root_translation, dtype=np.float64)
        world_rot = np.empty_like(rotations)
        world_pos = np.empty(rotations.shape[:-1] + (3,))
        roots, *levels = self.levels
        world_rot[..., roots, :] = rotations[..., roots, :]
        world_pos[..., roots, :] = root_translation[..., None, :]
        for js, ps in levels:
            world_rot[..., js, :] = quat.multiply(world_rot[..., ps, :], rotations[..., js, :])
            world_pos[..., js, :] = world_pos[..., ps, :] + quat.rotate(world_rot[..., ps, :], self.offsets[js])
        return world_pos, world_rot

    def rest_positions(self) -> np.ndarray:
        """World joint positions of the rest pose with the root at the origin."""
        pos, _ = self.forward_kinematics(quat.identity((self.num_joints,)), np.zeros(3))
        return pos

    def bone_lengths(self) -> np.ndarray:
        return np.linalg.norm(self.offsets, axis=-1)


def depth_levels(parents: tuple[int, ...]) -> list:
    """[root joints, then (joints, their parents) per depth]: the order FK can go level by level in."""
    depth: list[int] = []
    for p in parents:
        depth.append(0 if p < 0 else depth[p] + 1)
    d = np.asarray(depth)
    out: list = [np.flatnonzero(d == 0)]
    for k in range(1, d.max(initial=0) + 1):
        js = np.flatnonzero(d == k)
        out.append((js, np.asarray(parents)[js]))
    return out


JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
    "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)  # fmt: skip

PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)

# Rest offsets (metres) in the canonical T-pose. Bone lengths are those of the
# Bandai Namco skeleton (one skeleton for all its clips); directions are an
# idealised T-pose except the pelvis->hip and chest->collar offsets (the
# source geometry) and the foot, which keeps its standing pitch of 39.6 degrees
# below horizontal so that a flat-footed stand has identity ankle rotations.
# spine3 is the point 40% of the way from the source chest to the neck.
_LEFT_OFFSETS = {
    "left_hip": (0.0647, 0.0, -0.0219),
    "spine1": (0.0, 0.0, 0.1574),
    "left_knee": (0.0, 0.0, -0.3908),
    "spine2": (0.0, 0.0, 0.0899),
    "left_ankle": (0.0, 0.0, -0.4099),
    "spine3": (0.0, 0.0, 0.0655),
    "left_foot": (0.0, -0.0906, -0.0749),
    "neck": (0.0, 0.0, 0.0983),
    "left_collar": (0.0498, 0.0024, 0.0644),
    "head": (0.0, 0.0, 0.0646),
    "left_shoulder": (0.0535, 0.0, 0.0),
    "left_elbow": (0.2433, 0.0, 0.0),
    "left_wrist": (0.2229, 0.0, 0.0),
}


def _mirror_name(name: str) -> str:
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


def _canonical_offsets() -> np.ndarray:
    offsets = np.zeros((len(JOINT_NAMES), 3))
    for name, off in _LEFT_OFFSETS.items():
        offsets[JOINT_NAMES.index(name)] = off
        if name.startswith("left_"):
            offsets[JOINT_NAMES.index(_mirror_name(name))] = (-off[0], off[1], off[2])
    return offsets


CANONICAL = Skeleton(JOINT_NAMES, PARENTS, _canonical_offsets())

NUM_JOINTS = len(JOINT_NAMES)

#: index of each joint's mirror image (left <-> right), for mirroring motions
MIRROR = tuple(JOINT_NAMES.index(_mirror_name(n)) for n in JOINT_NAMES)

#: joints whose contacts the model predicts, in the order of Motion.contacts
FOOT_JOINTS: tuple[str, ...] = ("left_ankle", "left_foot", "right_ankle", "right_foot")
FOOT_INDICES = tuple(JOINT_NAMES.index(n) for n in FOOT_JOINTS)

#: height of each foot joint above the floor when standing flat (z = 0 is the floor)
FOOT_REST_HEIGHTS: dict[str, float] = {"left_ankle": 0.1174, "left_foot": 0.0425,
                                       "right_ankle": 0.1174, "right_foot": 0.0425}  # fmt: skip


def standing_rest_positions() -> np.ndarray:
    """Rest joint positions of the T-pose standing flat on the floor (z = 0): each foot joint at its
    standing height (FOOT_REST_HEIGHTS), which is where the data puts feet that touch the ground."""
    pos = CANONICAL.rest_positions()
    ankle = JOINT_NAMES.index("left_ankle")
    pos[:, 2] += FOOT_REST_HEIGHTS["left_ankle"] - pos[ankle, 2]
    return pos


#: body parts for tracks and composition; root translation belongs to "legs"
BODY_PARTS: dict[str, tuple[str, ...]] = {
    "legs": ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee",
             "left_ankle", "right_ankle", "left_foot", "right_foot"),
    "torso": ("spine1", "spine2", "spine3", "neck"),
    "head": ("head",),
    "left_arm": ("left_collar", "left_shoulder", "left_elbow", "left_wrist"),
    "right_arm": ("right_collar", "right_shoulder", "right_elbow", "right_wrist"),
}  # fmt: skip
BODY_PART_NAMES: tuple[str, ...] = tuple(BODY_PARTS)
#: the body part that owns the root translation (and the root's heading)
ROOT_BODY_PART = "legs"


def body_part_joint_mask(parts: list[str] | tuple[str, ...]) -> np.ndarray:
    """Boolean (J,) mask of the joints in the given body parts."""
    mask = np.zeros(NUM_JOINTS, dtype=bool)
    for part in parts:
        if part not in BODY_PARTS:
            raise ValueError(f"unknown body part {part!r}; use one of: {', '.join(BODY_PART_NAMES)}")
        for name in BODY_PARTS[part]:
            mask[JOINT_NAMES.index(name)] = True
    return mask


def _check_body_parts() -> None:
    seen = [n for part in BODY_PARTS.values() for n in part]
    assert sorted(seen) == sorted(JOINT_NAMES), "every joint belongs to exactly one body part"


_check_body_parts()
