"""Small operators of the sidebar: settings from an Action, the canonical armature, seed, tracks and
constraints (the bone mapping's are in mapping_operators). Each gathers context, calls a plain module and reports.
"""

from __future__ import annotations

import json
import random

import bpy
from bpy.props import BoolProperty

from . import canonical_armature, capture, request_builder, results
from .job_operators import stored_action, target_armature
from .reporting import reports_errors


class OnTarget:
    """Operators that work on the target armature: available when there is one."""

    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return target_armature(context) is not None


class MOTION_COMPOSER_OT_load_settings(bpy.types.Operator):
    """Copy the prompt, tracks, seed and placement stored on the target's active Action into the panel"""

    bl_idname = "motion_composer.load_settings"
    bl_label = "Load Settings from Action"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return stored_action(context) is not None

    @reports_errors
    def execute(self, context):
        text, seed, _model, placement = results.stored_settings(stored_action(context))
        request = request_builder.request_from_json(text)
        request_builder.load_into_panel(context.scene, request, seed, placement)
        if request.edits:
            self.report({"WARNING"}, "the Action's edits are not loaded into the panel; use Regenerate to reproduce")
        elif request.constraints:
            self.report({"WARNING"}, "constraints are not loaded back; use Regenerate to reproduce them")
        return {"FINISHED"}


class MOTION_COMPOSER_OT_add_canonical_armature(bpy.types.Operator):
    """Add the 22-bone armature the model generates for, at the 3D cursor, and make it the target"""

    bl_idname = "motion_composer.add_canonical_armature"
    bl_label = "Add Canonical Armature"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return context.mode == "OBJECT"

    def execute(self, context):
        obj = canonical_armature.add_canonical_armature(context, location=context.scene.cursor.location)
        context.scene.motion_composer.target = obj
        return {"FINISHED"}


class MOTION_COMPOSER_OT_randomize_seed(bpy.types.Operator):
    """Pick a new random seed"""

    bl_idname = "motion_composer.randomize_seed"
    bl_label = "Randomize Seed"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        context.scene.motion_composer.seed = random.randrange(0, 2**31 - 1)
        return {"FINISHED"}


class MOTION_COMPOSER_OT_track_add(bpy.types.Operator):
    """Add a text track; from the preview range (or scene range) when asked"""

    bl_idname = "motion_composer.track_add"
    bl_label = "Add Track"
    bl_options = {"REGISTER", "UNDO"}

    from_preview_range: BoolProperty(name="From Preview Range", default=False)

    def execute(self, context):
        settings = context.scene.motion_composer
        _, warning = new_track(context.scene, settings.tracks, settings.prompt, self.from_preview_range)
        settings.tracks_index = len(settings.tracks) - 1
        if warning:
            self.report({"WARNING"}, warning)
        return {"FINISHED"}


def new_track(scene, tracks, text: str, from_preview_range: bool = False):
    """(a track added to `tracks` with `text`, a warning or None): from the current frame for two seconds, or
    over the preview range (the scene range without one), and a warning when it reaches past the motion."""
    settings = scene.motion_composer
    fps = request_builder.scene_fps(scene)
    last = settings.frame_start + int(round(settings.seconds * fps))
    track = tracks.add()
    if from_preview_range:
        use_preview = scene.use_preview_range
        track.frame_start = scene.frame_preview_start if use_preview else scene.frame_start
        track.frame_end = scene.frame_preview_end if use_preview else scene.frame_end
    else:
        track.frame_start = min(max(scene.frame_current, settings.frame_start), last - 1)
        track.frame_end = min(track.frame_start + int(round(2 * fps)), last)
    track.text = text
    track.name = f"Track {len(tracks)}"
    if track.frame_start < settings.frame_start or track.frame_end > last:
        return track, (f"the track ({track.frame_start}-{track.frame_end}) reaches past the motion's frames "
                       f"{settings.frame_start}-{last}: change the duration or the track")  # fmt: skip
    return track, None


class RemoveActive:
    """Remove the active item of a collection, keeping a valid active index (the Generate panel's tracks and
    constraints, the Cast panel's characters, interactions and a character's tracks)."""

    bl_options = {"REGISTER", "UNDO"}
    owner = "motion_composer"  # the scene's settings property that holds the collection (see holder)
    collection = ""  # name of the collection property; its index property is <collection>_index

    @classmethod
    def holder(cls, context):
        """What holds the collection (None: nothing to remove from)."""
        return getattr(context.scene, cls.owner)

    @classmethod
    def poll(cls, context):
        holder = cls.holder(context)
        return holder is not None and len(getattr(holder, cls.collection)) > 0

    def execute(self, context):
        settings = self.holder(context)
        items, key = getattr(settings, self.collection), f"{self.collection}_index"
        items.remove(getattr(settings, key))
        setattr(settings, key, max(0, min(getattr(settings, key), len(items) - 1)))
        return {"FINISHED"}


class MOTION_COMPOSER_OT_track_remove(RemoveActive, bpy.types.Operator):
    """Remove the active track"""

    bl_idname = "motion_composer.track_remove"
    bl_label = "Remove Track"
    collection = "tracks"


class _ConstraintAdd:
    bl_options = {"REGISTER", "UNDO"}

    def _add(self, context, kind: str, source: str):
        settings = context.scene.motion_composer
        item = settings.constraints.add()
        item.kind = kind
        item.source = source
        item.name = source
        item.frame = context.scene.frame_current
        settings.constraints_index = len(settings.constraints) - 1
        return item


class MOTION_COMPOSER_OT_constraint_add_keyframe(OnTarget, _ConstraintAdd, bpy.types.Operator):
    """Constrain the motion to the target armature's current pose at the current frame"""

    bl_idname = "motion_composer.constraint_add_keyframe"
    bl_label = "Add Keyframe from Current Pose"

    @reports_errors
    def execute(self, context):
        obj = target_armature(context)
        pose = capture.pose_from_armature(obj)
        item = self._add(context, "KEYFRAME", f"{obj.name} pose @ {context.scene.frame_current}")
        item.data = json.dumps(pose)
        return {"FINISHED"}


class MOTION_COMPOSER_OT_constraint_add_joint_target(_ConstraintAdd, bpy.types.Operator):
    """Make a joint reach the selected empty or bone at the current frame"""

    bl_idname = "motion_composer.constraint_add_joint_target"
    bl_label = "Add Joint Target from Selection"

    @reports_errors
    def execute(self, context):
        position, joint, source = capture.selected_target(context, target_armature(context))
        item = self._add(context, "JOINT", f"{source} @ {context.scene.frame_current}")
        item.position = position
        if joint:
            item.joint = joint
        return {"FINISHED"}


class MOTION_COMPOSER_OT_constraint_add_root_path(_ConstraintAdd, bpy.types.Operator):
    """Make the root follow the active curve over the motion's frame range"""

    bl_idname = "motion_composer.constraint_add_root_path"
    bl_label = "Add Root Path from Curve"

    @reports_errors
    def execute(self, context):
        obj = context.active_object
        points = capture.curve_points(obj, target_armature(context))
        settings = context.scene.motion_composer
        fps = request_builder.scene_fps(context.scene)
        item = self._add(context, "ROOT_PATH", f"{obj.name} path")
        item.frame = settings.frame_start
        item.frame_end = settings.frame_start + int(round(settings.seconds * fps))
        item.data = json.dumps(points)
        return {"FINISHED"}


class MOTION_COMPOSER_OT_constraint_remove(RemoveActive, bpy.types.Operator):
    """Remove the active constraint"""

    bl_idname = "motion_composer.constraint_remove"
    bl_label = "Remove Constraint"
    collection = "constraints"


CLASSES = (
    MOTION_COMPOSER_OT_load_settings,
    MOTION_COMPOSER_OT_add_canonical_armature,
    MOTION_COMPOSER_OT_randomize_seed,
    MOTION_COMPOSER_OT_track_add,
    MOTION_COMPOSER_OT_track_remove,
    MOTION_COMPOSER_OT_constraint_add_keyframe,
    MOTION_COMPOSER_OT_constraint_add_joint_target,
    MOTION_COMPOSER_OT_constraint_add_root_path,
    MOTION_COMPOSER_OT_constraint_remove,
)

register, unregister = bpy.utils.register_classes_factory(CLASSES)
