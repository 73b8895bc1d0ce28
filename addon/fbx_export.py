"""FBX export of an animated armature (baked), for the batch command's --fbx: one rig, or one per character."""

from __future__ import annotations

from pathlib import Path

import addon_utils
import bpy

from .deform_skeleton import baked_deform_copy, needs_rebuild, remove_copy


def export_fbx(context, obj, path: Path, deform_only: bool = False) -> None:
    """The animated armature as FBX (baked); `deform_only` leaves out control and mechanism bones.

    A rig whose deform bones hang from control bones (Rigify) is exported as a
    baked deform-only copy with one connected hierarchy (addon/deform_skeleton.py).
    """
    if not hasattr(bpy.ops.export_scene, "fbx"):
        addon_utils.enable("io_scene_fbx", default_set=False)
    scene = context.scene
    copy = (
        baked_deform_copy(context, obj, scene.frame_start, scene.frame_end)
        if deform_only and needs_rebuild(obj)
        else None
    )
    try:
        target = copy or obj
        for other in context.selected_objects:
            other.select_set(False)
        target.select_set(True)
        context.view_layer.objects.active = target
        bpy.ops.export_scene.fbx(filepath=str(path), use_selection=True, object_types={"ARMATURE"}, bake_anim=True,
                                 add_leaf_bones=False, use_armature_deform_only=deform_only)  # fmt: skip
    finally:
        if copy is not None:
            remove_copy(copy)
        context.view_layer.objects.active = obj
