"""The Cast panel (a sub-panel of Generate): the characters, their interactions and the crowd tool."""

from __future__ import annotations

import bpy

from . import cast_builder, cast_operators, gui
from .gui import _MotionPanel, draw_active_track, list_with_buttons


class MOTION_COMPOSER_UL_cast(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        row.prop(item, "armature", text="", icon="ARMATURE_DATA")
        row.prop(item, "prompt", text="", placeholder="what this character does")


class MOTION_COMPOSER_UL_interactions(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        row.prop(item, "kind", text="")
        if item.kind == "apart":
            row.prop(item, "min_distance", text="")
            return
        row.prop(item, "a", text="")
        if item.kind == "contact":
            row.prop(item, "a_joint", text="")
        row.prop(item, "b", text="")
        if item.kind == "contact":
            row.prop(item, "b_joint", text="")


class MOTION_COMPOSER_PT_cast(_MotionPanel, bpy.types.Panel):
    bl_label = "Cast (several characters)"
    bl_idname = "MOTION_COMPOSER_PT_cast"
    bl_parent_id = "MOTION_COMPOSER_PT_generate"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        return super().poll(context) and hasattr(context.scene, "motion_composer_cast")

    def draw(self, context):
        layout = self.layout
        cast = context.scene.motion_composer_cast
        layout.label(text="Characters (each starts where its armature stands):")
        col = list_with_buttons(layout, "MOTION_COMPOSER_UL_cast", cast, "members")
        col.operator("motion_composer.cast_add", icon="ADD", text="")
        col.operator("motion_composer.cast_remove", icon="REMOVE", text="")
        member = cast_operators.active_member(context)
        if member is not None:
            box = layout.box()
            box.prop(member, "stays")
            box.label(text=f"Tracks of {member.armature.name if member.armature else 'this character'}:")
            col = list_with_buttons(box, "MOTION_COMPOSER_UL_tracks", member, "tracks", rows=2)
            col.operator("motion_composer.cast_track_add", text="", icon="ADD").from_preview_range = False
            col.operator("motion_composer.cast_track_add", text="", icon="PREVIEW_RANGE").from_preview_range = True
            col.operator("motion_composer.cast_track_remove", text="", icon="REMOVE")
            box.prop(context.scene.motion_composer, "show_tracks_on_timeline")
            draw_active_track(box, member)
        layout.label(text="Interactions:")
        col = list_with_buttons(layout, "MOTION_COMPOSER_UL_interactions", cast, "interactions", rows=2)
        col.operator_menu_enum("motion_composer.interaction_add", "kind", icon="ADD", text="")
        col.operator("motion_composer.interaction_remove", icon="REMOVE", text="")
        if cast.interactions and 0 <= cast.interactions_index < len(cast.interactions):
            it = cast.interactions[cast.interactions_index]
            if it.kind != "apart":
                sub = layout.row(align=True)
                sub.prop(it, "frame_start")
                sub.prop(it, "frame_end")
                if it.kind == "contact":
                    sub.prop(it, "distance")
        layout.operator("motion_composer.generate_cast", icon="COMMUNITY")  # greyed out while a job runs (poll)


class MOTION_COMPOSER_PT_crowd(_MotionPanel, bpy.types.Panel):
    bl_label = "Crowd"
    bl_idname = "MOTION_COMPOSER_PT_crowd"
    bl_parent_id = "MOTION_COMPOSER_PT_cast"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        cast = context.scene.motion_composer_cast
        for prop in ("crowd_rig", "crowd_count", "crowd_from", "crowd_to", "crowd_prompts", "crowd_spacing"):
            layout.prop(cast, prop)
        layout.operator("motion_composer.crowd", icon="OUTLINER_OB_ARMATURE")


CLASSES = (MOTION_COMPOSER_UL_cast, MOTION_COMPOSER_UL_interactions, MOTION_COMPOSER_PT_cast, MOTION_COMPOSER_PT_crowd)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register() -> None:
    _register_classes()
    gui.STRIP_SOURCES.append(cast_builder.cast_strips)  # each character's tracks on the timeline too


def unregister() -> None:
    if cast_builder.cast_strips in gui.STRIP_SOURCES:
        gui.STRIP_SOURCES.remove(cast_builder.cast_strips)
    _unregister_classes()
