"""Operators under `motion_composer.`: generate (modal, cancellable), rigs, tracks, constraints.

Operators only gather context and report; the work is in request_builder,
generation, results, canonical_armature and capture.
"""

from __future__ import annotations

import json
import random

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty

from . import (
    canonical_armature,
    capture,
    generation,
    keep_keys,
    mapping_store,
    preferences,
    prompt_notes,
    request_builder,
    results,
)
from .engine_link import errors, load

TIMER_SECONDS = 0.05  # how often the modal operator polls the worker: keeps Esc and progress responsive

#: the generation in progress (one at a time), for the panel's progress bar and the Cancel button
_RUNNING: dict[str, generation.GenerationJob] = {}


def running_job() -> generation.GenerationJob | None:
    return _RUNNING.get("job")


def target_armature(context):
    """The panel's target, else the active object when it is an armature, else None."""
    settings = context.scene.motion_composer
    if settings.target is not None:
        return settings.target
    obj = context.active_object
    return obj if obj is not None and obj.type == "ARMATURE" else None


class _GenerateBase:
    """Shared by Generate and Regenerate: prepare a job, run it modally or at once, write results."""

    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return context.scene is not None and running_job() is None

    #: model version that made the Action being reproduced or edited (None for a new generation)
    _source_model: str | None = None

    # Subclasses return (requests, frame_start, placement, root_motion).
    def _requests(self, context):
        raise NotImplementedError

    def _stored_request(self, context):
        """(Action, its stored request with the stored seed, placement) of the target's generated Action."""
        action = stored_action(context)
        text, seed, self._source_model, placement = results.stored_settings(action)
        request = request_builder.request_from_json(text)
        request.seed = seed
        return action, request, placement

    def _prepare(self, context) -> None:
        requests, self._frame_start, self._placement, root_motion = self._requests(context)
        for warning in requests[0].warnings:
            self.report({"WARNING"}, warning)
        self._target_name = None
        obj = target_armature(context)
        target = results.read_target(obj, root_motion, requests[0])
        self._kept = keep_keys.kept_range(stored_action(context), requests[0], self._frame_start)
        self._target_name = obj.name
        self._root_motion = root_motion
        self._runtime = runtime = preferences.runtime_options(context).as_kwargs()
        self._job = generation.GenerationJob(requests, lambda motion: results.to_channels(target, motion), runtime)

    def execute(self, context):
        try:
            self._prepare(context)
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        _RUNNING["job"] = self._job
        try:
            self._job.run()
        finally:
            _RUNNING.pop("job", None)
        return self._finish(context)

    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        try:
            self._prepare(context)
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        _RUNNING["job"] = self._job.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_SECONDS, window=context.window)
        wm.modal_handler_add(self)
        self._show_progress(context)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = self._job
        if (event.type == "ESC" and event.value == "PRESS") or job.cancelled:
            job.cancel()
            self._stop(context)
            self.report({"INFO"}, "Motion generation cancelled; nothing was changed")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if not job.done:
            self._show_progress(context)
            return {"PASS_THROUGH"}
        self._stop(context)
        return self._finish(context)

    def cancel(self, context) -> None:
        """Blender ends the modal operator (file loaded, window closed): stop the worker, write nothing."""
        self._job.cancel()
        self._stop(context)

    def _show_progress(self, context) -> None:
        percent = int(round(self._job.progress * 100))
        if context.workspace is not None:
            context.workspace.status_text_set(f"Motion Composer: generating {percent}%   (Esc to cancel)")
        _redraw_sidebars(context)

    def _stop(self, context) -> None:
        context.window_manager.event_timer_remove(self._timer)
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        _RUNNING.pop("job", None)
        _redraw_sidebars(context)

    def _finish(self, context):
        job = self._job
        if job.cancelled:
            self.report({"INFO"}, "Motion generation cancelled; nothing was changed")
            return {"CANCELLED"}
        if job.error:
            self.report({"ERROR"}, job.error)
            return {"CANCELLED"}
        obj = context.scene.objects.get(self._target_name)
        for result in job.results if self._kept is not None else ():
            keep_keys.keep_outside(result.channels, self._kept, self._frame_start)
        try:
            actions = results.apply_results(context, obj, job.results, frame_start=self._frame_start,
                                            placement=self._placement, root_motion=self._root_motion)  # fmt: skip
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        prompt_notes.show_advice(context, self._runtime)
        names = ", ".join(a.name for a in actions)
        self.report({"INFO"}, f"Generated {len(actions)} motion(s) in {job.seconds:.2f} s: {names}")
        made_with = job.results[0].motion.metadata.get("model_version") if job.results else None
        if self._source_model not in (None, made_with):
            self.report({"WARNING"}, f"the source Action was made with model {self._source_model}, this is "
                                     f"{made_with}: the motion differs from the source")  # fmt: skip
        return {"FINISHED"}


class MOTION_COMPOSER_OT_generate(_GenerateBase, bpy.types.Operator):
    """Generate motion from the prompt, tracks and constraints onto the target armature (Esc cancels)"""

    bl_idname = "motion_composer.generate"
    bl_label = "Generate Motion"

    def _requests(self, context):
        settings = context.scene.motion_composer
        space = results.engine_space(target_armature(context))
        request = request_builder.build_request(request_builder.read_panel(context.scene), space)
        requests = request_builder.variation_requests(request, settings.variations)
        return requests, settings.frame_start, settings.placement, settings.root_motion


class MOTION_COMPOSER_OT_regenerate(_GenerateBase, bpy.types.Operator):
    """Generate again from the request, seed and placement stored on the target's active Action"""

    bl_idname = "motion_composer.regenerate"
    bl_label = "Regenerate with These Settings"

    @classmethod
    def poll(cls, context):
        return super().poll(context) and stored_action(context) is not None

    def _requests(self, context):
        action, request, placement = self._stored_request(context)
        self.report({"INFO"}, f"Regenerating {action.name!r} (seed {request.seed}, model {self._source_model})")
        settings = context.scene.motion_composer
        return ([request], int(placement.get("frame_start", settings.frame_start)),
                placement.get("placement", settings.placement), placement.get("root_motion", settings.root_motion))  # fmt: skip


def stored_action(context):
    """The target's Action made by Motion Composer (active, else on its NLA tracks), or None."""
    obj = target_armature(context)
    return results.generated_action(obj.animation_data if obj is not None else None)


class MOTION_COMPOSER_OT_cancel(bpy.types.Operator):
    """Stop the running generation; the scene stays as it was"""

    bl_idname = "motion_composer.cancel"
    bl_label = "Cancel Generation"

    @classmethod
    def poll(cls, context):
        return running_job() is not None

    def execute(self, context):
        running_job().cancel()
        return {"FINISHED"}


class MOTION_COMPOSER_OT_load_settings(bpy.types.Operator):
    """Copy the prompt, tracks, seed and placement stored on the target's active Action into the panel"""

    bl_idname = "motion_composer.load_settings"
    bl_label = "Load Settings from Action"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return stored_action(context) is not None

    def execute(self, context):
        try:
            text, seed, _model, placement = results.stored_settings(stored_action(context))
            request = request_builder.request_from_json(text)
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
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
        scene = context.scene
        settings = scene.motion_composer
        fps = request_builder.scene_fps(scene)
        last = settings.frame_start + int(round(settings.seconds * fps))
        track = settings.tracks.add()
        if self.from_preview_range:
            use_preview = scene.use_preview_range
            track.frame_start = scene.frame_preview_start if use_preview else scene.frame_start
            track.frame_end = scene.frame_preview_end if use_preview else scene.frame_end
        else:
            track.frame_start = min(max(scene.frame_current, settings.frame_start), last - 1)
            track.frame_end = min(track.frame_start + int(round(2 * fps)), last)
        track.text = settings.prompt
        track.name = f"Track {len(settings.tracks)}"
        settings.tracks_index = len(settings.tracks) - 1
        if track.frame_start < settings.frame_start or track.frame_end > last:
            self.report({"WARNING"}, f"the track ({track.frame_start}-{track.frame_end}) reaches past the motion's "
                                     f"frames {settings.frame_start}-{last}: change the duration or the track")  # fmt: skip
        return {"FINISHED"}


class _RemoveActive:
    """Remove the active item of a collection on the scene settings, keeping a valid active index."""

    bl_options = {"REGISTER", "UNDO"}
    collection = ""  # name of the collection property; its index property is <collection>_index

    @classmethod
    def poll(cls, context):
        return len(getattr(context.scene.motion_composer, cls.collection)) > 0

    def execute(self, context):
        settings = context.scene.motion_composer
        items, key = getattr(settings, self.collection), f"{self.collection}_index"
        items.remove(getattr(settings, key))
        setattr(settings, key, max(0, min(getattr(settings, key), len(items) - 1)))
        return {"FINISHED"}


class MOTION_COMPOSER_OT_track_remove(_RemoveActive, bpy.types.Operator):
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


class MOTION_COMPOSER_OT_constraint_add_keyframe(_ConstraintAdd, bpy.types.Operator):
    """Constrain the motion to the target armature's current pose at the current frame"""

    bl_idname = "motion_composer.constraint_add_keyframe"
    bl_label = "Add Keyframe from Current Pose"

    @classmethod
    def poll(cls, context):
        return target_armature(context) is not None

    def execute(self, context):
        obj = target_armature(context)
        try:
            pose = capture.pose_from_armature(obj)
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        item = self._add(context, "KEYFRAME", f"{obj.name} pose @ {context.scene.frame_current}")
        item.data = json.dumps(pose)
        return {"FINISHED"}


class MOTION_COMPOSER_OT_constraint_add_joint_target(_ConstraintAdd, bpy.types.Operator):
    """Make a joint reach the selected empty or bone at the current frame"""

    bl_idname = "motion_composer.constraint_add_joint_target"
    bl_label = "Add Joint Target from Selection"

    def execute(self, context):
        try:
            position, joint, source = capture.selected_target(context, target_armature(context))
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        item = self._add(context, "JOINT", f"{source} @ {context.scene.frame_current}")
        item.position = position
        if joint:
            item.joint = joint
        return {"FINISHED"}


class MOTION_COMPOSER_OT_constraint_add_root_path(_ConstraintAdd, bpy.types.Operator):
    """Make the root follow the active curve over the motion's frame range"""

    bl_idname = "motion_composer.constraint_add_root_path"
    bl_label = "Add Root Path from Curve"

    def execute(self, context):
        obj = context.active_object
        try:
            points = capture.curve_points(obj, target_armature(context))
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        settings = context.scene.motion_composer
        fps = request_builder.scene_fps(context.scene)
        item = self._add(context, "ROOT_PATH", f"{obj.name} path")
        item.frame = settings.frame_start
        item.frame_end = settings.frame_start + int(round(settings.seconds * fps))
        item.data = json.dumps(points)
        return {"FINISHED"}


class MOTION_COMPOSER_OT_constraint_remove(_RemoveActive, bpy.types.Operator):
    """Remove the active constraint"""

    bl_idname = "motion_composer.constraint_remove"
    bl_label = "Remove Constraint"
    collection = "constraints"


class MOTION_COMPOSER_OT_mapping_auto(bpy.types.Operator):
    """Store the automatic bone mapping on the target armature, to review and edit it"""

    bl_idname = "motion_composer.mapping_auto"
    bl_label = "Auto-Map Bones"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return target_armature(context) is not None

    def execute(self, context):
        obj = target_armature(context)
        try:
            mapping = load("retarget").auto_map(results.rig_reader.read_armature(obj))
            mapping_store.save_mapping(obj, mapping)
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
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


NO_BONE = "__none__"
_BONE_ITEMS: list = []  # Blender needs the enum strings kept alive while the search popup is open


def _bone_items(self, context):
    obj = target_armature(context)
    bones = obj.data.bones if obj is not None else ()
    _BONE_ITEMS[:] = [(NO_BONE, "(none)", "Leave the joint unmapped")] + [(b.name, b.name, "") for b in bones]
    return _BONE_ITEMS


class MOTION_COMPOSER_OT_mapping_pick_bone(bpy.types.Operator):
    """Choose the target bone that follows this canonical joint"""

    bl_idname = "motion_composer.mapping_pick_bone"
    bl_label = "Pick Bone"
    bl_options = {"REGISTER", "UNDO"}
    bl_property = "bone"

    joint: StringProperty(name="Joint", options={"HIDDEN"})
    bone: EnumProperty(name="Bone", items=_bone_items)

    @classmethod
    def poll(cls, context):
        return target_armature(context) is not None

    def invoke(self, context, event):
        context.window_manager.invoke_search_popup(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        obj = target_armature(context)
        try:
            mapping = results.current_mapping(obj)
        except errors.MotionComposerError:
            mapping = load("retarget").BoneMapping(joints={})  # not humanoid enough to guess: start empty
        if self.bone == NO_BONE:
            mapping.joints.pop(self.joint, None)
        else:
            mapping.joints[self.joint] = self.bone
        mapping.preset = "custom"
        try:
            mapping_store.save_mapping(obj, mapping)
        except errors.MotionComposerError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return {"FINISHED"}


def _redraw_sidebars(context) -> None:
    screen = context.screen
    if screen is None:
        return
    for area in screen.areas:
        if area.type == "VIEW_3D":
            area.tag_redraw()


CLASSES = (
    MOTION_COMPOSER_OT_generate,
    MOTION_COMPOSER_OT_regenerate,
    MOTION_COMPOSER_OT_cancel,
    MOTION_COMPOSER_OT_load_settings,
    MOTION_COMPOSER_OT_add_canonical_armature,
    MOTION_COMPOSER_OT_randomize_seed,
    MOTION_COMPOSER_OT_track_add,
    MOTION_COMPOSER_OT_track_remove,
    MOTION_COMPOSER_OT_constraint_add_keyframe,
    MOTION_COMPOSER_OT_constraint_add_joint_target,
    MOTION_COMPOSER_OT_constraint_add_root_path,
    MOTION_COMPOSER_OT_constraint_remove,
    MOTION_COMPOSER_OT_mapping_auto,
    MOTION_COMPOSER_OT_mapping_clear,
    MOTION_COMPOSER_OT_mapping_pick_bone,
)

register, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def unregister() -> None:
    for job in list(_RUNNING.values()):
        job.cancel()
    _RUNNING.clear()
    _unregister_classes()
