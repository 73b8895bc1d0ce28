"""Retargeting canonical motion onto any humanoid armature (pure numpy; no bpy).

target = TargetSkeleton.from_bones(...)        # or addon.rig_reader.read_armature(obj)
mapping = auto_map(target)                     # presets, then a name/hierarchy guess
result = retarget(motion, target, mapping, root_motion="full")
result.rotations["thigh.L"]                    # (T,4) pose_bone.rotation_quaternion keys

Mapping editor helpers: review(target, mapping) rows in plain words with a confidence,
complete_mirrored (map one side, the other follows), shape_mapping (from the skeleton's
shape when names fail), read/write/fit_mapping for preset files.
"""

from .automap import auto_map, detect_preset, guess_mapping, side_of
from .mapping import ESSENTIAL_JOINTS, IK_PARTS, SOURCES, BoneMapping, IkControls, parse_ik_parts
from .mapping_file import fit_mapping, read_mapping_file, write_mapping_file
from .mirror import complete_mirrored, mirror_bone, other_side
from .presets import PRESETS, Preset
from .reach import rig_misses
from .review import IK_SLOT_LABELS, JOINT_LABELS, PRESET_TITLES, Row, review
from .solve import ROOT_MOTION_MODES, RetargetResult, retarget
from .target import TargetSkeleton, bone_matrix
from .topology import shape_mapping

__all__ = [
    "ESSENTIAL_JOINTS",
    "IK_PARTS",
    "IK_SLOT_LABELS",
    "JOINT_LABELS",
    "PRESETS",
    "PRESET_TITLES",
    "ROOT_MOTION_MODES",
    "SOURCES",
    "BoneMapping",
    "IkControls",
    "Preset",
    "RetargetResult",
    "Row",
    "TargetSkeleton",
    "auto_map",
    "bone_matrix",
    "complete_mirrored",
    "detect_preset",
    "fit_mapping",
    "guess_mapping",
    "mirror_bone",
    "other_side",
    "parse_ik_parts",
    "read_mapping_file",
    "retarget",
    "review",
    "rig_misses",
    "shape_mapping",
    "side_of",
    "write_mapping_file",
]
