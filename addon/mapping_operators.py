"""Operators of the mapping editor: automatic mapping, a bone per joint (search or the active bone),
mirrored completion, IK or FK, and mapping preset files. The work is in mapping_store / engine.retarget.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty

from . import mapping_store, results
from .engine_link import retarget
from .job_operators import target_armature
from .panel_operators import OnTarget
from .reporting import reports_errors


def label(slot: str) -> str:
    """A joint or IK slot in plain words ("Left upper arm", "Left knee pole")."""
    return retarget.JOINT_LABELS.get(slot) or retarget.IK_SLOT_LABELS.get(slot, slot)


def _report_mirrored(op, filled: list[str]) -> None:
    if filled:
        op.report({"INFO"}, f"mirrored: {', '.join(label(j).lower() for j in filled)}")


class MOTION_COMPOSER_OT_mapping_auto(OnTarget, bpy.types.Operator):
    """Store the automatic bone mapping on the target armature (known rigs, bone names, the skeleton's shape),
    to review and edit it"""

    bl_idname = "motion_composer.mapping_auto"
    bl_label = "Auto-Map Bones"

    @reports_errors
    def execute(self, context):
        obj = target_armature(context)
        mapping = retarget.auto_map(results.rig_reader.read_armature(obj))
        mapping_store.save_mapping(obj, mapping)
        self.report({"INFO"}, f"{obj.name}: {len(mapping.joints)} joints mapped ({mapping.preset})")
        return {"FINISHED"}


class MOTION_COMPOSER_OT_mapping_clear(bpy.types.Operator):
    """Forget the stored bone mapping; the automatic one is used again"""

    bl_idname = "motion_composer.mapping_clear"
    bl_label = "Clear Bone Mapping"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        obj = target_armature(context)
        return obj is not None and mapping_store.PROP_MAPPING in obj

    def execute(self, context):
        mapping_store.clear_mapping(target_armature(context))
        return {"FINISHED"}


class MOTION_COMPOSER_OT_mapping_set_ik(OnTarget, bpy.types.Operator):
    """Key these limbs on the rig's IK controls (foot/hand controls, pole targets, switch to IK) or on its FK
    bones; stored with the armature's bone mapping"""

    bl_idname = "motion_composer.mapping_set_ik"
    bl_label = "IK or FK"

    part: EnumProperty(name="Limbs", items=[("legs", "Legs", "Both legs"), ("arms", "Arms", "Both arms")])
    use_ik: BoolProperty(name="IK", description="Key the IK controls (off: the FK bones)", default=True)

    @reports_errors
    def execute(self, context):
        obj = target_armature(context)
        mapping = results.current_mapping(obj)
        parts = [p for p in mapping.ik_parts if p != self.part] + ([self.part] if self.use_ik else [])
        mapping.ik_parts = tuple(p for p in retarget.IK_PARTS if p in parts)
        mapping_store.save_mapping(obj, mapping)
        return {"FINISHED"}


NO_BONE = "__none__"
_BONE_ITEMS: list = []  # Blender needs the enum strings kept alive while the search popup is open


def _bone_items(self, context):
    obj = target_armature(context)
    bones = obj.data.bones if obj is not None else ()
    _BONE_ITEMS[:] = [(NO_BONE, "(none)", "Leave the joint unmapped")] + [(b.name, b.name, "") for b in bones]
    return _BONE_ITEMS


class MOTION_COMPOSER_OT_mapping_pick_bone(OnTarget, bpy.types.Operator):
    """Choose the bone for this body part from a searchable list (the other side follows when not set by hand)"""

    bl_idname = "motion_composer.mapping_pick_bone"
    bl_label = "Pick Bone"
    bl_property = "bone"

    joint: StringProperty(name="Joint", description="The body part, or an IK slot such as left_leg.pole",
                          options={"HIDDEN"})  # fmt: skip
    bone: EnumProperty(name="Bone", items=_bone_items)

    def invoke(self, context, event):
        context.window_manager.invoke_search_popup(self)
        return {"RUNNING_MODAL"}

    @reports_errors
    def execute(self, context):
        filled = mapping_store.set_joint(
            target_armature(context), self.joint, None if self.bone == NO_BONE else self.bone
        )
        _report_mirrored(self, filled)
        return {"FINISHED"}


class MOTION_COMPOSER_OT_mapping_use_active_bone(OnTarget, bpy.types.Operator):
    """Use the bone you clicked in the viewport (the armature's active bone) for this body part; the other side
    follows when not set by hand"""

    bl_idname = "motion_composer.mapping_use_active_bone"
    bl_label = "Use Active Bone"

    joint: StringProperty(name="Joint", description="The body part, or an IK slot such as left_leg.pole",
                          options={"HIDDEN"})  # fmt: skip

    @reports_errors
    def execute(self, context):
        obj = target_armature(context)
        active = obj.data.bones.active
        if active is None:
            self.report(
                {"ERROR"}, f"{obj.name} has no active bone: click the bone in Pose Mode first, then this button"
            )
            return {"CANCELLED"}
        filled = mapping_store.set_joint(obj, self.joint, active.name)
        self.report({"INFO"}, f"{label(self.joint)} → {active.name}")
        _report_mirrored(self, filled)
        return {"FINISHED"}


class MOTION_COMPOSER_OT_mapping_mirror(OnTarget, bpy.types.Operator):
    """Map the other side of every body part mapped on one side only (by mirrored bone names, else by place)"""

    bl_idname = "motion_composer.mapping_mirror"
    bl_label = "Mirror Left/Right"

    @reports_errors
    def execute(self, context):
        filled = mapping_store.mirror_all(target_armature(context))
        if not filled:
            self.report({"INFO"}, "nothing to mirror: both sides are mapped (or no mirror image was found)")
        _report_mirrored(self, filled)
        return {"FINISHED"}


class _MappingFile(OnTarget):
    filepath: StringProperty(name="File", subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def invoke(self, context, event):
        if not self.filepath:
            self.filepath = f"{bpy.path.clean_name(target_armature(context).name)}_mapping.json"
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}


class MOTION_COMPOSER_OT_mapping_save_file(_MappingFile, bpy.types.Operator):
    """Save the target's bone mapping as a JSON preset, to load onto other characters with the same bones"""

    bl_idname = "motion_composer.mapping_save_file"
    bl_label = "Save Mapping Preset"

    overwrite: BoolProperty(name="Overwrite", description="Replace the file if it exists", default=False)

    @reports_errors
    def execute(self, context):
        path = mapping_store.save_file(target_armature(context), bpy.path.abspath(self.filepath),
                                       overwrite=self.overwrite)  # fmt: skip
        self.report({"INFO"}, f"bone mapping saved to {path}")
        return {"FINISHED"}


class MOTION_COMPOSER_OT_mapping_load_file(_MappingFile, bpy.types.Operator):
    """Load a JSON bone mapping preset onto the target armature (bone names may differ in namespace and case)"""

    bl_idname = "motion_composer.mapping_load_file"
    bl_label = "Load Mapping Preset"

    @reports_errors
    def execute(self, context):
        obj = target_armature(context)
        mapping = mapping_store.load_file(obj, bpy.path.abspath(self.filepath))
        self.report({"INFO"}, f"{obj.name}: {len(mapping.joints)} joints mapped from {self.filepath}")
        return {"FINISHED"}


CLASSES = (
    MOTION_COMPOSER_OT_mapping_auto,
    MOTION_COMPOSER_OT_mapping_clear,
    MOTION_COMPOSER_OT_mapping_set_ik,
    MOTION_COMPOSER_OT_mapping_pick_bone,
    MOTION_COMPOSER_OT_mapping_use_active_bone,
    MOTION_COMPOSER_OT_mapping_mirror,
    MOTION_COMPOSER_OT_mapping_save_file,
    MOTION_COMPOSER_OT_mapping_load_file,
)

register, unregister = bpy.utils.register_classes_factory(CLASSES)
