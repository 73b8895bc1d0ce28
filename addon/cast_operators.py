"""Operators of the Cast panel: edit the cast and its interactions, generate everyone, make a crowd.

Generation reuses the Generate operator's machinery (job_operators._GenerateBase:
worker thread, progress in the status bar, Esc cancels and changes nothing,
one undo step); only what is prepared and how results are written differ:
every character is sampled together and each armature gets one new Action.
"""

from __future__ import annotations

import bpy

from . import cast_builder, cast_results, generation, job_operators, preferences, request_builder
from .cast_properties import INTERACTION_KINDS
from .engine_link import characters
from .panel_operators import RemoveActive, new_track


class MOTION_COMPOSER_OT_cast_add(bpy.types.Operator):
    """Add the selected armatures to the cast (or an empty row to fill in)"""

    bl_idname = "motion_composer.cast_add"
    bl_label = "Add Characters"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        cast = context.scene.motion_composer_cast
        present = {m.armature.name for m in cast.members if m.armature is not None}
        picked = [o for o in context.selected_objects if o.type == "ARMATURE" and o.name not in present]
        for obj in picked or [None]:
            row = cast.members.add()
            row.armature = obj
            row.prompt = context.scene.motion_composer.prompt if obj is not None else ""
        cast.members_index = len(cast.members) - 1
        return {"FINISHED"}


class CastRemove(RemoveActive):
    """Remove the active row of a Cast panel list (characters, interactions)."""

    owner = "motion_composer_cast"


class MOTION_COMPOSER_OT_cast_remove(CastRemove, bpy.types.Operator):
    """Remove the active character from the cast (the armature stays in the scene)"""

    bl_idname = "motion_composer.cast_remove"
    bl_label = "Remove Character"
    collection = "members"


def active_member(context):
    """The Cast list's active row, or None."""
    cast = context.scene.motion_composer_cast
    return cast.members[cast.members_index] if 0 <= cast.members_index < len(cast.members) else None


class MOTION_COMPOSER_OT_cast_track_add(bpy.types.Operator):
    """Add a track (text over a frame range, on some body parts) to the active character of the cast"""

    bl_idname = "motion_composer.cast_track_add"
    bl_label = "Add Character Track"
    bl_options = {"REGISTER", "UNDO"}

    from_preview_range: bpy.props.BoolProperty(name="From Preview Range", default=False)

    @classmethod
    def poll(cls, context):
        return active_member(context) is not None

    def execute(self, context):
        member = active_member(context)
        _, warning = new_track(context.scene, member.tracks, member.prompt, self.from_preview_range)
        member.tracks_index = len(member.tracks) - 1
        if warning:
            self.report({"WARNING"}, warning)
        return {"FINISHED"}


class MOTION_COMPOSER_OT_cast_track_remove(RemoveActive, bpy.types.Operator):
    """Remove the active track of the active character"""

    bl_idname = "motion_composer.cast_track_remove"
    bl_label = "Remove Character Track"
    collection = "tracks"

    @classmethod
    def holder(cls, context):
        return active_member(context)


class MOTION_COMPOSER_OT_interaction_add(bpy.types.Operator):
    """Add an interaction between characters of the cast"""

    bl_idname = "motion_composer.interaction_add"
    bl_label = "Add Interaction"
    bl_options = {"REGISTER", "UNDO"}

    kind: bpy.props.EnumProperty(name="Type", items=INTERACTION_KINDS, default="contact")

    def execute(self, context):
        cast = context.scene.motion_composer_cast
        names = [m.armature.name for m in cast.members if m.armature is not None]
        row = cast.interactions.add()
        row.kind = self.kind
        if len(names) >= 2:
            row.a, row.b = names[0], names[1]
        start = context.scene.motion_composer.frame_start
        row.frame_start, row.frame_end = start, start + 30
        cast.interactions_index = len(cast.interactions) - 1
        return {"FINISHED"}


class MOTION_COMPOSER_OT_interaction_remove(CastRemove, bpy.types.Operator):
    """Remove the active interaction"""

    bl_idname = "motion_composer.interaction_remove"
    bl_label = "Remove Interaction"
    collection = "interactions"


class _CastGenerate(job_operators._GenerateBase):
    """Sample the whole cast together; write one new Action per armature when it is done."""

    _objects: dict | None = None

    def _job_and_armatures(self, context) -> tuple[dict, dict]:
        raise NotImplementedError

    def _prepare(self, context) -> None:
        job, armatures = self._job_and_armatures(context)
        cast = characters.parse_cast(job)
        for warning in cast.all_warnings:
            self.report({"WARNING"}, warning)
        settings = context.scene.motion_composer
        self._frame_start, self._placement, self._root_motion = (settings.frame_start, settings.placement,
                                                                 settings.root_motion)  # fmt: skip
        self._targets = self._read_targets(cast, armatures)
        fps = request_builder.scene_fps(context.scene)
        runtime = preferences.runtime_options(context).as_kwargs()
        self._job = generation.GenerationJob([cast], cast_results.converter(self._targets, fps), runtime,
                                             generate=cast_results.generate_motions)  # fmt: skip

    def _read_targets(self, cast, armatures: dict) -> list:
        return cast_results.read_targets(armatures, self._root_motion)

    def _write(self, context, job) -> set[str]:
        """One new Action per armature of the cast."""
        objects = self._objects_for(context)
        actions = cast_results.apply_cast(context, self._targets, job.results[0], frame_start=self._frame_start,
                                          placement=self._placement, root_motion=self._root_motion,
                                          objects=objects)  # fmt: skip
        self.report({"INFO"}, f"Generated {len(actions)} characters in {job.seconds:.2f} s")
        return {"FINISHED"}

    def _objects_for(self, context) -> dict | None:
        return None


class MOTION_COMPOSER_OT_generate_cast(_CastGenerate, bpy.types.Operator):
    """Generate every character of the cast together, with their interactions (Esc cancels)"""

    bl_idname = "motion_composer.generate_cast"
    bl_label = "Generate Cast"

    def _job_and_armatures(self, context):
        return cast_builder.cast_job(context.scene)


class MOTION_COMPOSER_OT_crowd(_CastGenerate, bpy.types.Operator):
    """Plan a crowd from the start area to the goal, make linked duplicates of the rig there and generate them"""

    bl_idname = "motion_composer.crowd"
    bl_label = "Generate Crowd"

    def _job_and_armatures(self, context):
        self._rig = context.scene.motion_composer_cast.crowd_rig
        return cast_builder.crowd_job(context.scene), {}

    def _read_targets(self, cast, armatures: dict) -> list:
        """Every member retargets like the rig (linked duplicates share its armature), from its planned start."""
        target = cast_results.results.read_target(self._rig, self._root_motion)
        self._starts = {c.name: c.frame for c in cast.characters}
        return [cast_results.CastTarget(c.name, target, c.frame.origin, c.frame.yaw) for c in cast.characters]

    def _objects_for(self, context) -> dict:
        """The linked duplicates, made only now that generation succeeded (a cancel leaves the scene as it was)."""
        rig = self._rig
        out = {}
        for name, frame in self._starts.items():
            obj = bpy.data.objects.new(name, rig.data)
            obj.location = (frame.origin[0], frame.origin[1], rig.location.z)
            obj.rotation_mode = "XYZ"
            obj.rotation_euler = (0.0, 0.0, frame.yaw)
            obj.scale = rig.scale
            for collection in rig.users_collection:
                collection.objects.link(obj)
            out[name] = obj
        context.view_layer.update()  # new armature objects get their pose bones here
        return out


CLASSES = (
    MOTION_COMPOSER_OT_cast_add,
    MOTION_COMPOSER_OT_cast_remove,
    MOTION_COMPOSER_OT_cast_track_add,
    MOTION_COMPOSER_OT_cast_track_remove,
    MOTION_COMPOSER_OT_interaction_add,
    MOTION_COMPOSER_OT_interaction_remove,
    MOTION_COMPOSER_OT_generate_cast,
    MOTION_COMPOSER_OT_crowd,
)


register, unregister = bpy.utils.register_classes_factory(CLASSES)
