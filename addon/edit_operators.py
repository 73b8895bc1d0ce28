"""Edit tools: regenerate a frame range, restyle, extend, inbetween the selected keys.

The first three change the target's generated Action: they take its stored
request (with any earlier edits, engine.edits) and append one edit, so the
result is again a new Action that Regenerate reproduces exactly and that can
be edited further. Inbetween makes a constrained request from the selected
keys. All run like Generate: off the UI thread, Esc cancels, one undo step,
the source Action is never changed.
"""

from __future__ import annotations

import json
from dataclasses import replace

import bpy

from . import key_poses, request_builder
from .engine_link import edits, errors
from .job_operators import _GenerateBase, stored_action, target_armature


def _edit_prompt(settings) -> str:
    text = settings.edit_prompt.strip()
    if not text:
        raise errors.RequestError("type what the character does in the edited part (Edit › Prompt)")
    return text


def _sampling(settings) -> dict:
    """Seed and the panel's custom steps / guidance, as edit keys."""
    out = {"seed": int(settings.seed)}
    if settings.use_steps:
        out["steps"] = int(settings.steps)
    if settings.use_guidance:
        out["guidance"] = float(settings.guidance)
    return out


class _EditStoredAction(_GenerateBase):
    """The target's stored request plus one new edit (`_edit`)."""

    @classmethod
    def poll(cls, context):
        return super().poll(context) and stored_action(context) is not None

    def _edit(self, context, action, frame_start: int) -> dict:
        raise NotImplementedError

    def _requests(self, context):
        action, request, placement = self._stored_request(context)
        settings = context.scene.motion_composer
        frame_start = int(placement.get("frame_start", action.frame_range[0]))
        edit = edits.parse_edit(self._edit(context, action, frame_start))
        frame_start -= edit.frames_added_before(request.fps)
        return (
            [replace(request, edits=[*request.edits, edit])],
            frame_start,
            settings.placement,
            placement.get("root_motion", settings.root_motion),
        )


class MOTION_COMPOSER_OT_edit_regenerate_range(_EditStoredAction, bpy.types.Operator):
    """Generate the frame range anew from the edit prompt; the frames around it stay as they are"""

    bl_idname = "motion_composer.edit_regenerate_range"
    bl_label = "Regenerate Frame Range"

    def _edit(self, context, action, frame_start):
        settings = context.scene.motion_composer
        first, last = (int(round(f)) for f in action.frame_range)
        start, end = settings.edit_frame_start, settings.edit_frame_end
        if not first <= start <= end <= last:
            raise errors.RequestError(
                f"the range {start}-{end} is not inside {action.name!r} (frames {first}-{last}): change Start/End"
            )
        return {"op": "regenerate_range", "start": start - frame_start, "end": end - frame_start + 1,
                "text": _edit_prompt(settings), **_sampling(settings)}  # fmt: skip


class MOTION_COMPOSER_OT_edit_restyle(_EditStoredAction, bpy.types.Operator):
    """Perform the same motion in the style of the edit prompt, keeping its timing and root path"""

    bl_idname = "motion_composer.edit_restyle"
    bl_label = "Restyle"

    def _edit(self, context, action, frame_start):
        settings = context.scene.motion_composer
        return {"op": "restyle", "text": _edit_prompt(settings), "strength": round(settings.restyle_strength, 4),
                **_sampling(settings)}  # fmt: skip


class MOTION_COMPOSER_OT_edit_extend(_EditStoredAction, bpy.types.Operator):
    """Add new motion from the edit prompt after the last frame or before the first; the old frames stay"""

    bl_idname = "motion_composer.edit_extend"
    bl_label = "Extend"

    def _edit(self, context, action, frame_start):
        settings = context.scene.motion_composer
        return {"op": "extend", "seconds": round(settings.extend_seconds, 4), "direction": settings.extend_direction,
                "text": _edit_prompt(settings), **_sampling(settings)}  # fmt: skip


class MOTION_COMPOSER_OT_edit_inbetween(_GenerateBase, bpy.types.Operator):
    """Generate motion through the poses at the selected keys of the target (any mapped rig, FK or IK)"""

    bl_idname = "motion_composer.edit_inbetween"
    bl_label = "Inbetween Selected Keys"

    @classmethod
    def poll(cls, context):
        return super().poll(context) and target_armature(context) is not None

    def _requests(self, context):
        scene, settings = context.scene, context.scene.motion_composer
        prompt = _edit_prompt(settings)
        frames, poses = key_poses.selected_key_poses(scene, target_armature(context))
        fps = request_builder.scene_fps(scene)
        keys = [request_builder.ConstraintSpec(kind="KEYFRAME", frame=f, data=json.dumps(p), label=f"key @ {f}")
                for f, p in zip(frames, poses, strict=True)]  # fmt: skip
        spec = request_builder.PanelSpec(
            prompt=prompt, seconds=(frames[-1] - frames[0]) / fps, fps=fps, frame_start=frames[0], seed=settings.seed,
            steps=settings.steps if settings.use_steps else None,
            guidance=settings.guidance if settings.use_guidance else None, constraints=keys,
        )  # fmt: skip
        return [request_builder.build_request(spec)], frames[0], settings.placement, settings.root_motion


class MOTION_COMPOSER_OT_edit_range_from_preview(bpy.types.Operator):
    """Set the range to regenerate from the preview range (or the scene's frame range)"""

    bl_idname = "motion_composer.edit_range_from_preview"
    bl_label = "Range from Preview Range"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        scene, settings = context.scene, context.scene.motion_composer
        preview = scene.use_preview_range
        settings.edit_frame_start = scene.frame_preview_start if preview else scene.frame_start
        settings.edit_frame_end = scene.frame_preview_end if preview else scene.frame_end
        return {"FINISHED"}


CLASSES = (
    MOTION_COMPOSER_OT_edit_regenerate_range,
    MOTION_COMPOSER_OT_edit_restyle,
    MOTION_COMPOSER_OT_edit_extend,
    MOTION_COMPOSER_OT_edit_inbetween,
    MOTION_COMPOSER_OT_edit_range_from_preview,
)

register, unregister = bpy.utils.register_classes_factory(CLASSES)
