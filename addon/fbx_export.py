"""FBX export of an animated armature (baked), for the batch command's --fbx: one rig, or one per character."""

from __future__ import annotations

from pathlib import Path

import addon_utils
import bpy


def export_fbx(context, obj, path: Path, deform_only: bool = False) -> None:
    """The animated armature as FBX (baked); `deform_only` leaves out control and mechanism bones."""
    if not hasattr(bpy.ops.export_scene, "fbx"):
        addon_utils.enable("io_scene_fbx", default_set=False)
    for other in context.selected_objects:
        other.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj
    bpy.ops.export_scene.fbx(filepath=str(path), use_selection=True, object_types={"ARMATURE"}, bake_anim=True,
                             add_leaf_bones=False, use_armature_deform_only=deform_only)  # fmt: skip
