"""The canonical armature: engine.skeleton.CANONICAL as Blender bones.

Bones are named after the canonical joints (so no mapping is needed) and
point from each joint to its child; the rest pose is the canonical T-pose
standing on the floor, so an identity pose is the T-pose and retargeting onto
it is exact. Poses are read back like on any rig (addon.capture).
"""

from __future__ import annotations

import bpy
import numpy as np
from mathutils import Vector

from .engine_link import skeleton as sk

#: the child each bone points at, where a joint has several
_MAIN_CHILD = {"pelvis": "spine1", "spine3": "neck"}
#: tails of the leaf bones, relative to their head (metres)
_LEAF_TAILS = {
    "head": (0.0, 0.0, 0.18),
    "left_wrist": (0.09, 0.0, 0.0),
    "right_wrist": (-0.09, 0.0, 0.0),
    "left_foot": (0.0, -0.06, 0.0),
    "right_foot": (0.0, -0.06, 0.0),
}


def rest_head_positions() -> np.ndarray:
    """Joint positions of the T-pose standing on the ground (z = 0), feet at the data's standing heights."""
    return sk.standing_rest_positions()


def _tail_child(j: int) -> int | None:
    names = sk.CANONICAL.names
    children = sk.CANONICAL.children(j)
    if not children:
        return None
    preferred = _MAIN_CHILD.get(names[j])
    return names.index(preferred) if preferred else children[0]


def add_canonical_armature(context: bpy.types.Context, name: str = "Canonical", location=(0.0, 0.0, 0.0)):
    """Create, link and select a canonical armature object; returns the object (Object mode)."""
    names = sk.CANONICAL.names
    heads = rest_head_positions()
    data = bpy.data.armatures.new(name)
    data.display_type = "OCTAHEDRAL"
    obj = bpy.data.objects.new(name, data)
    obj.location = location
    obj.show_in_front = True
    context.collection.objects.link(obj)
    for other in context.selected_objects:
        other.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        bones = {}
        for j, joint in enumerate(names):
            bone = data.edit_bones.new(joint)
            bone.head = Vector(heads[j])
            child = _tail_child(j)
            tail = heads[child] if child is not None else heads[j] + np.array(_LEAF_TAILS[joint])
            bone.tail = Vector(tail)
            along_y = abs(bone.vector.normalized().y) > 0.7
            bone.align_roll(Vector((0.0, 0.0, 1.0)) if along_y else Vector((0.0, -1.0, 0.0)))
            parent = sk.CANONICAL.parents[j]
            if parent >= 0:
                bone.parent = bones[names[parent]]
                bone.use_connect = _tail_child(parent) == j
            bones[joint] = bone
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    for pbone in obj.pose.bones:
        pbone.rotation_mode = "QUATERNION"
    return obj


def is_canonical(armature_obj) -> bool:
    """Whether every canonical joint has a bone of the same name (no mapping needed)."""
    bones = armature_obj.data.bones
    return all(name in bones for name in sk.CANONICAL.names)
