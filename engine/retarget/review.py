"""The mapping as an animator reads it: one row per body part, its bone, how it was found, how sure we are.

Rows speak of body parts ("Left upper arm -> mixamorig:LeftArm"), not of
canonical joint names. The confidence starts from how the bone was found
(a known rig's name or a bone the animator picked: 100 %; a name guess or a
mirrored bone: 90 %; the skeleton's shape: 80 %) and halves for every check
of the rest pose it fails: the left side on the left, the middle in the
middle, knees below hips and the spine above the pelvis, and a length from
the parent joint between a third and three times the usual proportion (for
segments longer than 10 cm; collarbones start anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..skeleton import CANONICAL, JOINT_NAMES, PARENTS
from .mapping import SOURCES, BoneMapping
from .target import TargetSkeleton
from .topology import body_frame

_PARTS = {
    "pelvis": "Hips", "spine1": "Lower spine", "spine2": "Middle spine", "spine3": "Chest", "neck": "Neck",
    "head": "Head", "hip": "thigh", "knee": "shin", "ankle": "foot", "foot": "toes", "collar": "collarbone",
    "shoulder": "upper arm", "elbow": "forearm", "wrist": "hand",
}  # fmt: skip
#: canonical joint -> the body part its bone is, in plain words ("Left upper arm")
JOINT_LABELS: dict[str, str] = {
    j: _PARTS[j] if j in _PARTS else f"{j.split('_')[0].title()} {_PARTS[j.split('_', 1)[1]]}" for j in JOINT_NAMES
}
#: IK slots of the mapping editor ("left_leg.control") -> what they are, in plain words
IK_SLOT_LABELS: dict[str, str] = {
    f"{side}_{limb}.{role}": f"{side.title()} {words}"
    for side in ("left", "right")
    for limb, role, words in (("leg", "control", "foot IK control"), ("leg", "pole", "knee pole"),
                              ("arm", "control", "hand IK control"), ("arm", "pole", "elbow pole"))
}  # fmt: skip
#: what a mapping's `preset` means, in words
PRESET_TITLES = {
    "rigify": "Rigify rig", "rigify_metarig": "Rigify metarig", "mixamo": "Mixamo", "ue5_mannequin": "UE5 mannequin",
    "ue4_mannequin": "UE4 mannequin", "character_creator": "Character Creator", "smpl": "SMPL", "bandai": "Bandai BVH",
    "smplx": "canonical names", "guessed": "guessed from bone names", "shape": "guessed from the skeleton's shape",
    "custom": "edited",
}  # fmt: skip
#: confidence of a bone by how it was found, before the rest-pose checks
BASE_CONFIDENCE = {"preset": 1.0, "picked": 1.0, "file": 1.0, "name": 0.9, "mirror": 0.9, "shape": 0.8}
#: canonical segments shorter than this (m) vary too much between rigs to judge (collarbones start anywhere
#: between the sternum and the shoulder)
SHORT_SEGMENT = 0.1
_LEGS_DOWN = {"left_knee", "right_knee", "left_ankle", "right_ankle"}
_TORSO_UP = {"spine1", "spine2", "spine3", "neck", "head"}
_REST = CANONICAL.rest_positions()


@dataclass(frozen=True)
class Row:
    joint: str
    label: str
    bone: str | None
    source: str  # how it was found, in words ("known rig", "skeleton shape", ...); "" when unmapped
    confidence: float  # 0..1; 0 when unmapped
    problems: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """'Left upper arm → mixamorig:LeftArm' (or '… → (none)')."""
        return f"{self.label} → {self.bone or '(none)'}"


def review(target: TargetSkeleton, mapping: BoneMapping) -> list[Row]:
    """One row per canonical joint, in skeleton order (unmapped joints included)."""
    mapped = {j: b for j, b in mapping.joints.items() if target.has(b)}
    checks = _Checks(target, mapping, mapped) if "pelvis" in mapped else None
    rows = []
    for joint in JOINT_NAMES:
        bone = mapped.get(joint)
        if bone is None:
            rows.append(Row(joint, JOINT_LABELS[joint], mapping.joints.get(joint), "", 0.0))
            continue
        how = mapping.sources.get(joint) or _source_of(mapping.preset)
        problems = checks.problems(joint) if checks is not None else ()
        confidence = BASE_CONFIDENCE.get(how, 0.8) * 0.5 ** len(problems)
        rows.append(Row(joint, JOINT_LABELS[joint], bone, SOURCES.get(how, how), confidence, problems))
    return rows


def _source_of(preset: str) -> str:
    """How the bones of a mapping stored without sources (older files) were found, from its preset."""
    return {"custom": "picked", "guessed": "name", "shape": "shape"}.get(preset, "preset")


class _Checks:
    """Rest-pose plausibility of each mapped joint."""

    def __init__(self, target: TargetSkeleton, mapping: BoneMapping, mapped: dict[str, str]):
        self.mapped = mapped
        self.head = {j: target.heads[target.index(mapping.references.get(j, b))] for j, b in mapped.items()}
        toes = [(target.index(mapped[f"{s}_ankle"]), target.index(mapped[f"{s}_foot"]))
                for s in ("left", "right") if f"{s}_ankle" in mapped and f"{s}_foot" in mapped]  # fmt: skip
        self.body = body_frame(target, toes)
        self.centre = self.head["pelvis"]
        legs = [self._length(f"{s}_hip", f"{s}_ankle") for s in ("left", "right")]
        legs = [x for x in legs if x is not None]
        rest_leg = np.linalg.norm(_REST[_i("left_hip")] - _REST[_i("left_ankle")])
        self.scale = float(np.mean(legs)) / rest_leg if legs else None

    def _length(self, a: str, b: str) -> float | None:
        if a in self.head and b in self.head:
            return float(np.linalg.norm(self.head[a] - self.head[b]))
        return None

    def problems(self, joint: str) -> tuple[str, ...]:
        out = []
        tol = 0.01 * self.body.height
        side = float(np.dot(self.head[joint] - self.centre, self.body.left))
        if joint.startswith("left_") and side < -tol:
            out.append("on the right side")
        elif joint.startswith("right_") and side > tol:
            out.append("on the left side")
        elif not joint.startswith(("left_", "right_")) and abs(side) > 8 * tol:
            out.append("off the middle")
        parent = self._mapped_parent(joint)
        if parent is not None:
            rise = float(np.dot(self.head[joint] - self.head[parent], self.body.up))
            if joint in _LEGS_DOWN and rise > tol:
                out.append(f"above the {JOINT_LABELS[parent].lower()}")
            if joint in _TORSO_UP and rise < -tol:
                out.append(f"below the {JOINT_LABELS[parent].lower()}")
            length, usual = self._length(joint, parent), np.linalg.norm(_REST[_i(joint)] - _REST[_i(parent)])
            if self.scale and usual >= SHORT_SEGMENT and not 1 / 3 < length / (self.scale * usual) < 3:
                out.append(f"unusual distance from the {JOINT_LABELS[parent].lower()}")
        return tuple(out)

    def _mapped_parent(self, joint: str) -> str | None:
        p = PARENTS[_i(joint)]
        while p >= 0 and JOINT_NAMES[p] not in self.mapped:
            p = PARENTS[p]
        return JOINT_NAMES[p] if p >= 0 else None


def _i(joint: str) -> int:
    return JOINT_NAMES.index(joint)
