"""Retargeting canonical motion onto any humanoid armature (pure numpy; no bpy).

target = TargetSkeleton.from_bones(...)        # or addon.rig_reader.read_armature(obj)
mapping = auto_map(target)                     # presets, then a name/hierarchy guess
result = retarget(motion, target, mapping, root_motion="full")
result.rotations["thigh.L"]                    # (T,4) pose_bone.rotation_quaternion keys
"""

from .automap import auto_map, detect_preset, guess_mapping, side_of
from .mapping import ESSENTIAL_JOINTS, IK_PARTS, BoneMapping, IkControls, parse_ik_parts
from .presets import PRESETS, Preset
from .solve import ROOT_MOTION_MODES, RetargetResult, retarget
from .target import TargetSkeleton, bone_matrix

__all__ = [
    "ESSENTIAL_JOINTS",
    "IK_PARTS",
    "PRESETS",
    "ROOT_MOTION_MODES",
    "BoneMapping",
    "IkControls",
    "Preset",
    "RetargetResult",
    "TargetSkeleton",
    "auto_map",
    "bone_matrix",
    "detect_preset",
    "guess_mapping",
    "parse_ik_parts",
    "retarget",
    "side_of",
]
