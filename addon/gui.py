"""The "Motion" tab in the 3D viewport sidebar, its lists, and the tracks drawn on the timeline."""

from __future__ import annotations

import json

import bpy

from . import job_operators, prompt_notes, results
from .engine_link import parts, post
from .mapping_gui import MOTION_COMPOSER_PT_mapping, MOTION_COMPOSER_PT_mapping_ik, draw_ik_choice

CATEGORY = "Motion"


class _MotionPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY

    @classmethod
    def poll(cls, context):
        return context.scene is not None and hasattr(context.scene, "motion_composer")


def list_with_buttons(layout, list_id: str, owner, collection: str, rows: int = 3):
    """A UI list of owner.<collection> (active item <collection>_index); returns the column beside it for the
    list's add and remove buttons (tracks, constraints, the cast's characters and interactions)."""
    row = layout.row()
    row.template_list(list_id, "", owner, collection, owner, f"{collection}_index", rows=rows)
    return row.column(align=True)


class MOTION_COMPOSER_PT_generate(_MotionPanel, bpy.types.Panel):
    bl_label = "Generate"
    bl_idname = "MOTION_COMPOSER_PT_generate"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.motion_composer
        layout.prop(settings, "prompt", text="", icon="TEXT")
        prompt_notes.draw_note(layout, settings)

        col = layout.column(align=True)
        col.use_property_split = True
        col.use_property_decorate = False
        col.prop(settings, "seconds")
        col.prop(settings, "frame_start")
        row = col.row(align=True)
        row.prop(settings, "seed")
        row.operator("motion_composer.randomize_seed", text="", icon="FILE_REFRESH")
        col.prop(settings, "variations")
        row = col.row(align=True)
        row.prop(settings, "start_pose")
        row.prop(settings, "end_pose")
        row = col.row(align=True, heading="Steps")
        row.prop(settings, "use_steps", text="")
        sub = row.row(align=True)
        sub.active = settings.use_steps
        sub.prop(settings, "steps", text="" if not settings.use_steps else "Steps")
        row = col.row(align=True, heading="Guidance")
        row.prop(settings, "use_guidance", text="")
        sub = row.row(align=True)
        sub.active = settings.use_guidance
        sub.prop(settings, "guidance", text="")

        box = layout.box()
        col = box.column()
        col.use_property_split = True
        col.use_property_decorate = False
        target = job_operators.target_armature(context)
        col.prop(settings, "target", text="Target")
        if settings.target is None:
            col.label(text=f"Using: {target.name}" if target else "No armature selected", icon="ARMATURE_DATA")
        if target is None:
            box.operator("motion_composer.add_canonical_armature", icon="OUTLINER_OB_ARMATURE")
        col.prop(settings, "root_motion")
        if target is not None:
            draw_ik_choice(col, target)
        col.prop(settings, "placement", expand=True)

        job = job_operators.running_job()
        if job is not None:
            row = layout.row(align=True)
            row.progress(factor=job.progress, type="BAR", text=f"Generating {int(job.progress * 100)}%")
            row.operator("motion_composer.cancel", text="", icon="CANCEL")
        else:
            row = layout.row()
            row.scale_y = 1.5
            row.enabled = target is not None
            row.operator("motion_composer.generate", icon="PLAY")

        action = job_operators.stored_action(context)
        if action is not None:
            box = layout.box()
            seed = action.get(results.PROP_SEED, 0)
            box.label(text=f"{action.name} (seed {seed})", icon="ACTION")
            row = box.row(align=True)
            row.operator("motion_composer.regenerate", icon="FILE_REFRESH")
            row.operator("motion_composer.load_settings", text="", icon="IMPORT")


class MOTION_COMPOSER_UL_tracks(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        row.prop(item, "enabled", text="")
        row.label(text=item.text or "(no text)", icon="SEQ_STRIP_META")
        row.label(text=f"{item.frame_start}-{item.frame_end}")


class MOTION_COMPOSER_PT_tracks(_MotionPanel, bpy.types.Panel):
    bl_label = "Tracks"
    bl_idname = "MOTION_COMPOSER_PT_tracks"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        settings = context.scene.motion_composer
        col = list_with_buttons(layout, "MOTION_COMPOSER_UL_tracks", settings, "tracks")
        col.operator("motion_composer.track_add", text="", icon="ADD").from_preview_range = False
        col.operator("motion_composer.track_add", text="", icon="PREVIEW_RANGE").from_preview_range = True
        col.operator("motion_composer.track_remove", text="", icon="REMOVE")
        layout.prop(settings, "show_tracks_on_timeline")
        draw_active_track(layout, settings)


def draw_active_track(layout, owner) -> None:
    """The text, frames and body parts of owner.tracks[owner.tracks_index] (the panel's or a cast row's)."""
    if not 0 <= owner.tracks_index < len(owner.tracks):
        return
    track = owner.tracks[owner.tracks_index]
    col = layout.column(align=True)
    col.prop(track, "text", text="")
    row = col.row(align=True)
    row.prop(track, "frame_start")
    row.prop(track, "frame_end")
    col.label(text="Body parts (none: inferred from the text)")
    grid = col.grid_flow(columns=3, align=True)
    grid.prop(track, "body_parts", expand=True)
    if not track.body_parts:
        col.label(text=f"Inferred: {parts.infer_body_parts(track.text).describe()}", icon="INFO")


_CONSTRAINT_ICONS = {"KEYFRAME": "POSE_HLT", "JOINT": "EMPTY_AXIS", "ROOT_PATH": "CURVE_DATA"}


class MOTION_COMPOSER_UL_constraints(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        row.prop(item, "enabled", text="")
        row.label(text=item.source or item.kind.title(), icon=_CONSTRAINT_ICONS.get(item.kind, "DOT"))
        frames = f"{item.frame}-{item.frame_end}" if item.kind == "ROOT_PATH" else str(item.frame)
        row.label(text=frames)


class MOTION_COMPOSER_PT_constraints(_MotionPanel, bpy.types.Panel):
    bl_label = "Constraints"
    bl_idname = "MOTION_COMPOSER_PT_constraints"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        settings = context.scene.motion_composer
        col = list_with_buttons(layout, "MOTION_COMPOSER_UL_constraints", settings, "constraints")
        col.operator("motion_composer.constraint_add_keyframe", text="", icon="POSE_HLT")
        col.operator("motion_composer.constraint_add_joint_target", text="", icon="EMPTY_AXIS")
        col.operator("motion_composer.constraint_add_root_path", text="", icon="CURVE_DATA")
        col.operator("motion_composer.constraint_remove", text="", icon="REMOVE")
        if 0 <= settings.constraints_index < len(settings.constraints):
            item = settings.constraints[settings.constraints_index]
            col = layout.column()
            col.use_property_split = True
            col.use_property_decorate = False
            col.prop(item, "frame")
            if item.kind == "ROOT_PATH":
                col.prop(item, "frame_end")
            elif item.kind == "JOINT":
                col.prop(item, "joint")
                col.prop(item, "position")
            col.prop(item, "weight")
        draw_residuals(layout, job_operators.stored_action(context))


def draw_residuals(layout, action) -> None:
    """After Generate: how far each constraint ended from its target on the result, and the conflicts found
    before sampling, as stored with the Action (its provenance)."""
    meta = json.loads(action.get(results.PROP_PROVENANCE, "{}")) if action is not None else {}
    rows = meta.get("constraints", [])
    conflicts = [w for w in meta.get("warnings", []) if w.startswith("constraint ")]
    if not rows and not conflicts:
        return
    col = layout.box().column(align=True)
    col.label(text=f"Result: {action.name}", icon="ACTION")
    for row in rows:
        text, met = post.residual_line(row)
        col.label(text=text, icon="CHECKMARK" if met else "ERROR")
    for line in conflicts:
        col.label(text=line, icon="ERROR")


class MOTION_COMPOSER_PT_edit(_MotionPanel, bpy.types.Panel):
    """Edit tools; each makes a new Action and leaves the source Action as it was."""

    bl_label = "Edit"
    bl_idname = "MOTION_COMPOSER_PT_edit"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        settings = context.scene.motion_composer
        action = job_operators.stored_action(context)
        if action is None:
            layout.label(text="Regenerate, Restyle, Extend: generate first", icon="INFO")
        else:
            layout.label(text=f"Editing {action.name}", icon="ACTION")
        layout.prop(settings, "edit_prompt", text="", icon="TEXT")

        box = layout.box()
        box.enabled = action is not None
        row = box.row(align=True)
        row.prop(settings, "edit_frame_start")
        row.prop(settings, "edit_frame_end")
        row.operator("motion_composer.edit_range_from_preview", text="", icon="PREVIEW_RANGE")
        box.operator("motion_composer.edit_regenerate_range", icon="FILE_REFRESH")
        row = box.row(align=True)
        row.prop(settings, "restyle_strength")
        row.operator("motion_composer.edit_restyle", icon="BRUSH_DATA")
        row = box.row(align=True)
        row.prop(settings, "extend_seconds", text="")
        row.prop(settings, "extend_direction", text="")
        row.operator("motion_composer.edit_extend", icon="FORWARD")

        layout.operator("motion_composer.edit_inbetween", icon="KEYFRAME")


CLASSES = (
    MOTION_COMPOSER_UL_tracks,
    MOTION_COMPOSER_UL_constraints,
    MOTION_COMPOSER_PT_generate,
    MOTION_COMPOSER_PT_mapping,
    MOTION_COMPOSER_PT_mapping_ik,
    MOTION_COMPOSER_PT_tracks,
    MOTION_COMPOSER_PT_constraints,
    MOTION_COMPOSER_PT_edit,
)

# --- tracks drawn as strips on the Timeline / Dope Sheet -----------------------------
_HANDLES: list = []
_STRIP_HEIGHT = 14
_SCRUB_HEIGHT = 26  # the frame-number strip at the top of timeline regions
_COLOURS = ((0.30, 0.55, 0.90, 0.55), (0.90, 0.55, 0.25, 0.55), (0.40, 0.80, 0.45, 0.55), (0.80, 0.40, 0.75, 0.55))


def panel_strips(scene) -> list[tuple[str, int, int]]:
    """(label, first frame, last frame) of each enabled track of the Tracks panel."""
    return [(t.text, t.frame_start, t.frame_end) for t in scene.motion_composer.tracks if t.enabled]


#: functions scene -> [(label, first frame, last frame)] whose spans are drawn on the timeline, one row each
#: (the Cast panel adds its characters' tracks)
STRIP_SOURCES: list = [panel_strips]


def _draw_tracks() -> None:
    """Draw each enabled track as a labelled strip below the time scrubbing area (POST_PIXEL)."""
    import blf
    import gpu
    from gpu_extras.batch import batch_for_shader

    context = bpy.context
    settings = getattr(context.scene, "motion_composer", None)
    region = context.region
    if settings is None or region is None or not settings.show_tracks_on_timeline:
        return
    strips = [strip for source in STRIP_SOURCES for strip in source(context.scene)]
    if not strips:
        return
    scale = context.preferences.system.ui_scale
    height, top = _STRIP_HEIGHT * scale, region.height - _SCRUB_HEIGHT * scale
    shader = gpu.shader.from_builtin("UNIFORM_COLOR")
    gpu.state.blend_set("ALPHA")
    for i, (label, start, end) in enumerate(strips):
        x0, _ = region.view2d.view_to_region(start, 0, clip=False)
        x1, _ = region.view2d.view_to_region(end, 0, clip=False)
        y1 = top - i * (height + 2)
        y0 = y1 - height
        batch = batch_for_shader(shader, "TRIS", {"pos": ((x0, y0), (x1, y0), (x1, y1), (x0, y1))},
                                 indices=((0, 1, 2), (0, 2, 3)))  # fmt: skip
        shader.bind()
        shader.uniform_float("color", _COLOURS[i % len(_COLOURS)])
        batch.draw(shader)
        blf.size(0, 11 * scale)
        blf.color(0, 1.0, 1.0, 1.0, 0.9)
        blf.position(0, max(x0, 0) + 4, y0 + 3 * scale, 0)
        blf.draw(0, label[:60] or "(no text)")
    gpu.state.blend_set("NONE")


def draw_object_animation_menu(self, context) -> None:
    """Object › Animation: the sidebar's main actions, for animators who look in menus first."""
    layout = self.layout
    layout.separator()
    layout.operator("motion_composer.generate", text="Generate Motion (Motion Composer)", icon="ARMATURE_DATA")
    layout.operator("motion_composer.edit_inbetween", text="Inbetween Selected Keys (Motion Composer)")


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.VIEW3D_MT_object_animation.append(draw_object_animation_menu)
    if not bpy.app.background:
        _HANDLES.append(bpy.types.SpaceDopeSheetEditor.draw_handler_add(_draw_tracks, (), "WINDOW", "POST_PIXEL"))


def unregister() -> None:
    bpy.types.VIEW3D_MT_object_animation.remove(draw_object_animation_menu)
    while _HANDLES:
        bpy.types.SpaceDopeSheetEditor.draw_handler_remove(_HANDLES.pop(), "WINDOW")
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
