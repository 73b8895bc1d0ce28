"""The Bone Mapping panel: every body part with its bone, how it was found and how sure we are, at once.

Each row reads "Left upper arm  [mixamorig:LeftArm] [eyedropper] 100%": the bone button opens a search, the
eyedropper takes the bone clicked in the viewport; problems of the rest pose show under the row. Above the
rows: Auto-Map, Mirror, preset files, Clear; and the IK | FK choice for rigs with IK controls, whose
controls are mapped in the IK Controls sub-panel.
"""

from __future__ import annotations

import bpy

from . import job_operators, mapping_store, results
from .engine_link import errors, retarget

_CACHE: dict = {}


def mapping_for_display(obj):
    """(mapping or None, note, rows): the stored mapping, else the automatic one, reviewed (cached per rig state)."""
    key = (obj.name, obj.data.name, len(obj.data.bones), str(obj.get(mapping_store.PROP_MAPPING, "")))
    if key not in _CACHE:
        _CACHE.clear()
        try:
            stored = mapping_store.load_mapping(obj)
            mapping = stored or results.current_mapping(obj)
            title = retarget.PRESET_TITLES.get(mapping.preset, mapping.preset)
            note = f"Stored on {obj.name}: {title}" if stored else f"Automatic: {title}"
            rows = retarget.review(results.rig_reader.read_armature(obj, for_writing=False), mapping)
            _CACHE[key] = (mapping, note, rows)
        except errors.MotionComposerError as exc:
            _CACHE[key] = (None, str(exc), [])
    return _CACHE[key]


def draw_ik_choice(layout, obj) -> None:
    """Legs / Arms: IK | FK, for rigs whose mapping names IK controls (Rigify)."""
    mapping, _note, _rows = mapping_for_display(obj)
    if mapping is None or not mapping.ik:
        return
    for part, limbs in retarget.IK_PARTS.items():
        if not any(limb in mapping.ik for limb in limbs):
            continue
        row = layout.row(align=True, heading=part.title())
        on = part in mapping.ik_parts
        for use_ik, text in ((True, "IK"), (False, "FK")):
            op = row.operator("motion_composer.mapping_set_ik", text=text, depress=on == use_ik)
            op.part, op.use_ik = part, use_ik


def _bone_row(layout, text: str, slot: str, bone: str | None, icon: str = "BLANK1"):
    """'Left upper arm  [bone ▾][eyedropper]': the bone opens a search, the eyedropper takes the active bone."""
    line = layout.row(align=True)
    split = line.split(factor=0.4, align=True)
    split.label(text=text, icon=icon)
    sub = split.row(align=True)
    sub.operator("motion_composer.mapping_pick_bone", text=bone or "—").joint = slot
    sub.operator("motion_composer.mapping_use_active_bone", text="", icon="EYEDROPPER").joint = slot
    return line


def _icon(confidence: float) -> str:
    return "CHECKMARK" if confidence >= 0.9 else "QUESTION" if confidence >= 0.5 else "ERROR"


class _Sidebar:
    """In the 3D viewport's Motion tab (gui.py's panels have the same; importing them would be a cycle)."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Motion"

    @classmethod
    def poll(cls, context):
        return context.scene is not None and hasattr(context.scene, "motion_composer")


class MOTION_COMPOSER_PT_mapping(_Sidebar, bpy.types.Panel):
    """Which bone of the target follows each body part (stored on the armature once edited)."""

    bl_label = "Bone Mapping"
    bl_idname = "MOTION_COMPOSER_PT_mapping"

    def draw(self, context):
        layout = self.layout
        obj = job_operators.target_armature(context)
        if obj is None:
            layout.label(text="No target armature", icon="INFO")
            return
        mapping, note, rows = mapping_for_display(obj)
        row = layout.row(align=True)
        row.alert = mapping is None
        row.label(text=note, icon="BONE_DATA" if mapping else "ERROR")
        row = layout.row(align=True)
        row.operator("motion_composer.mapping_auto", text="Auto-Map", icon="AUTO")
        row.operator("motion_composer.mapping_mirror", text="Mirror", icon="MOD_MIRROR")
        row.operator("motion_composer.mapping_load_file", text="", icon="IMPORT")
        row.operator("motion_composer.mapping_save_file", text="", icon="EXPORT")
        row.operator("motion_composer.mapping_clear", text="", icon="X")
        col = layout.column(align=True)
        for item in rows or [retarget.Row(j, retarget.JOINT_LABELS[j], None, "", 0.0) for j in retarget.JOINT_LABELS]:
            line = _bone_row(col, item.label, item.joint, item.bone, _icon(item.confidence) if item.bone else "BLANK1")
            line.label(text=f"{round(item.confidence * 100)}%" if item.bone else "")
            if item.problems:
                warn = col.row()
                warn.alert = True
                warn.label(text=f"{item.label}: {'; '.join(item.problems)}", icon="ERROR")
        found = {}
        for item in rows:
            if item.bone:
                found[item.source] = found.get(item.source, 0) + 1
        if found:
            layout.label(text="Found by " + ", ".join(f"{how} ({n})" for how, n in found.items()), icon="INFO")


class MOTION_COMPOSER_PT_mapping_ik(_Sidebar, bpy.types.Panel):
    """The rig's own IK controls per limb (Rigify's are found automatically): limbs with a control can be keyed
    with IK (Legs / Arms: IK | FK)."""

    bl_label = "IK Controls"
    bl_idname = "MOTION_COMPOSER_PT_mapping_ik"
    bl_parent_id = "MOTION_COMPOSER_PT_mapping"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        obj = job_operators.target_armature(context)
        if obj is None:
            self.layout.label(text="No target armature", icon="INFO")
            return
        mapping, _note, _rows = mapping_for_display(obj)
        ik = mapping.ik if mapping is not None else {}
        col = self.layout.column(align=True)
        for slot, text in retarget.IK_SLOT_LABELS.items():
            limb, role = slot.split(".")
            controls = ik.get(limb)
            bone = (controls.control if role == "control" else controls.pole) if controls else None
            _bone_row(col, text, slot, bone, "CON_KINEMATIC" if bone else "BLANK1")
