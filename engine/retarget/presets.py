"""Bone-name presets for common humanoid rigs (see docs/retargeting.md).

Each preset lists, per canonical joint, candidate bone names in order of
preference; names match exactly, or case-insensitively after dropping a
namespace prefix such as `mixamorig:` / `mixamorig1:`. A preset applies when
all its `requires` bones exist. Left-side names only: the right side is
derived by `_mirror`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mapping import IkControls


@dataclass(frozen=True)
class Preset:
    name: str
    requires: tuple[str, ...]
    joints: dict[str, tuple[str, ...]]
    references: dict[str, tuple[str, ...]] = field(default_factory=dict)
    root_bone: tuple[str, ...] = ()
    properties: dict[str, dict[str, float]] = field(default_factory=dict)
    distribute: bool = True
    readers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ik: dict[str, IkControls] = field(default_factory=dict)


def _sided(left: dict[str, tuple[str, ...]], swap: tuple[str, str]) -> dict[str, tuple[str, ...]]:
    """Add the right side to a table of left-side names by swapping the marker pair `swap`."""
    out = dict(left)
    a, b = swap
    for joint, names in left.items():
        if joint.startswith("left_"):
            out["right_" + joint[5:]] = tuple(n.replace(a, b) for n in names)
    return out


_LIMBS = ("collar", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "foot")


def _limbs(names: tuple[str, ...], pattern: str) -> dict[str, tuple[str, ...]]:
    return {f"left_{j}": (pattern.format(n),) for j, n in zip(_LIMBS, names, strict=True)}


MIXAMO = Preset(
    "mixamo",
    requires=("Hips", "LeftUpLeg", "LeftForeArm"),
    joints=_sided(
        {
            "pelvis": ("Hips",), "spine1": ("Spine",), "spine2": ("Spine1",), "spine3": ("Spine2",),
            "neck": ("Neck",), "head": ("Head",),
            **_limbs(("Shoulder", "Arm", "ForeArm", "Hand", "UpLeg", "Leg", "Foot", "ToeBase"), "Left{}"),
        },
        ("Left", "Right"),
    ),
)  # fmt: skip

UE5 = Preset(
    "ue5_mannequin",
    requires=("pelvis", "spine_05", "thigh_l", "lowerarm_l"),
    joints=_sided(
        {
            "pelvis": ("pelvis",), "spine1": ("spine_01",), "spine2": ("spine_03",), "spine3": ("spine_05",),
            "neck": ("neck_01",), "head": ("head",),
            **_limbs(("clavicle", "upperarm", "lowerarm", "hand", "thigh", "calf", "foot", "ball"), "{}_l"),
        },
        ("_l", "_r"),
    ),
)  # fmt: skip

UE4 = Preset(
    "ue4_mannequin",
    requires=("pelvis", "spine_01", "thigh_l", "lowerarm_l"),
    joints=_sided(
        {
            "pelvis": ("pelvis",), "spine1": ("spine_01",), "spine2": ("spine_02",), "spine3": ("spine_03",),
            "neck": ("neck_01",), "head": ("head",),
            **_limbs(("clavicle", "upperarm", "lowerarm", "hand", "thigh", "calf", "foot", "ball"), "{}_l"),
        },
        ("_l", "_r"),
    ),
)  # fmt: skip

CHARACTER_CREATOR = Preset(
    "character_creator",
    requires=("CC_Base_Hip", "CC_Base_L_Thigh", "CC_Base_L_Forearm"),
    joints=_sided(
        {
            "pelvis": ("CC_Base_Hip",), "spine1": ("CC_Base_Waist",), "spine2": ("CC_Base_Spine01",),
            "spine3": ("CC_Base_Spine02",), "neck": ("CC_Base_NeckTwist01",), "head": ("CC_Base_Head",),
            **_limbs(("Clavicle", "Upperarm", "Forearm", "Hand", "Thigh", "Calf", "Foot", "ToeBase"), "CC_Base_L_{}"),
        },
        ("_L_", "_R_"),
    ),
)  # fmt: skip

SMPL = Preset(
    "smpl",
    requires=("Pelvis", "L_Hip", "L_Elbow"),
    joints=_sided(
        {
            "pelvis": ("Pelvis",), "spine1": ("Spine1",), "spine2": ("Spine2",), "spine3": ("Spine3",),
            "neck": ("Neck",), "head": ("Head",),
            **_limbs(("Collar", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "Foot"), "L_{}"),
        },
        ("L_", "R_"),
    ),
)  # fmt: skip

#: SMPL-X joint names (also this project's canonical names, e.g. an armature made from our BVH)
SMPLX = Preset(
    "smplx",
    requires=("pelvis", "left_hip", "left_elbow"),
    joints=_sided(
        {
            "pelvis": ("pelvis",), "spine1": ("spine1",), "spine2": ("spine2",), "spine3": ("spine3",),
            "neck": ("neck",), "head": ("head",),
            **_limbs(("collar", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "foot"), "left_{}"),
        },
        ("left_", "right_"),
    ),
)  # fmt: skip

BANDAI = Preset(
    "bandai",
    requires=("Hips", "UpperLeg_L", "LowerArm_L"),
    joints=_sided(
        {
            "pelvis": ("Hips",), "spine1": ("Spine",), "spine3": ("Chest",), "neck": ("Neck",), "head": ("Head",),
            **_limbs(("Shoulder", "UpperArm", "LowerArm", "Hand", "UpperLeg", "LowerLeg", "Foot", "Toes"), "{}_L"),
        },
        ("_L", "_R"),
    ),
)  # fmt: skip

RIGIFY_METARIG = Preset(
    "rigify_metarig",
    requires=("spine", "spine.004", "thigh.L", "forearm.L"),
    joints=_sided(
        {
            "pelvis": ("spine",), "spine1": ("spine.001",), "spine2": ("spine.002",), "spine3": ("spine.003",),
            "neck": ("spine.004",), "head": ("spine.006", "spine.005"),
            **_limbs(("shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe"), "{}.L"),
        },
        (".L", ".R"),
    ),
)  # fmt: skip


def _rigify_ik(side: str) -> dict[str, IkControls]:
    """Rigify's IK controls of one side; the switch keys IK, the pole on, and both parented to the root
    (so the controls' keys do not depend on the torso's); the foot roll and spin and the IK chains' own
    controls keyed at rest."""
    switch = {"IK_FK": 0.0, "pole_vector": 1.0, "IK_parent": 1.0, "pole_parent": 1.0}
    return {
        f"{'left' if side == 'L' else 'right'}_leg": IkControls(
            f"foot_ik.{side}",
            f"thigh_ik_target.{side}",
            follow={f"{'left' if side == 'L' else 'right'}_foot": f"toe_ik.{side}"},
            properties={f"thigh_parent.{side}": switch},
            rest=(f"foot_heel_ik.{side}", f"foot_spin_ik.{side}", f"thigh_ik.{side}"),
        ),
        f"{'left' if side == 'L' else 'right'}_arm": IkControls(
            f"hand_ik.{side}",
            f"upper_arm_ik_target.{side}",
            properties={f"upper_arm_parent.{side}": switch},
            rest=(f"upper_arm_ik.{side}",),
        ),
    }


#: a rig generated by Rigify: keys go on FK controls and the torso; IK/FK switches keyed to FK,
#: neck/head follow switches keyed so the FK chain is rigid (see docs/retargeting.md)
RIGIFY = Preset(
    "rigify",
    requires=("torso", "spine_fk", "thigh_fk.L", "upper_arm_fk.L", "ORG-spine"),
    joints=_sided(
        {
            "pelvis": ("spine_fk",), "spine1": ("spine_fk.001",), "spine2": ("spine_fk.002",),
            "spine3": ("spine_fk.003",), "neck": ("neck",), "head": ("head",),
            **_limbs(("shoulder", "upper_arm_fk", "forearm_fk", "hand_fk", "thigh_fk", "shin_fk", "foot_fk", "toe_fk"), "{}.L"),
        },
        (".L", ".R"),
    ),
    references={"pelvis": ("ORG-spine",), "spine1": ("ORG-spine.001",), "spine2": ("ORG-spine.002",),
                "spine3": ("ORG-spine.003",)},
    root_bone=("torso",),
    properties={
        "thigh_parent.L": {"IK_FK": 1.0, "FK_limb_follow": 0.0},
        "thigh_parent.R": {"IK_FK": 1.0, "FK_limb_follow": 0.0},
        "upper_arm_parent.L": {"IK_FK": 1.0, "FK_limb_follow": 0.0},
        "upper_arm_parent.R": {"IK_FK": 1.0, "FK_limb_follow": 0.0},
        "torso": {"neck_follow": 1.0, "head_follow": 1.0},
    },
    distribute=False,
    readers=_sided(
        {
            "pelvis": ("ORG-spine",), "spine1": ("ORG-spine.001",), "spine2": ("ORG-spine.002",),
            "spine3": ("ORG-spine.003",), "neck": ("ORG-spine.004",), "head": ("ORG-spine.006", "ORG-spine.005"),
            **_limbs(("shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe"), "ORG-{}.L"),
        },
        (".L", ".R"),
    ),
    ik={**_rigify_ik("L"), **_rigify_ik("R")},
)  # fmt: skip

#: tried in this order; the first whose `requires` all exist wins
PRESETS: tuple[Preset, ...] = (RIGIFY, RIGIFY_METARIG, MIXAMO, UE5, UE4, CHARACTER_CREATOR, SMPL, BANDAI, SMPLX)
