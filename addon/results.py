"""From generated motion to Actions on the target armature, and back to settings.

Three call sites connect the add-on to the retargeting work: `read_target`
(main thread: snapshot the armature), `to_channels` (worker thread: canonical
motion -> bone channels) and `write_action` (main thread: keys via
foreach_set). Everything else here is about never harming the user's data:
new Actions only, the previous Action kept, all-or-nothing writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import bpy
import numpy as np

from . import canonical_armature
from .engine_link import errors

PROP_REQUEST = "motion_composer_request"
PROP_SEED = "motion_composer_seed"
PROP_MODEL = "motion_composer_model_version"
PROP_PLACEMENT = "motion_composer_placement"

MAX_NAME_CHARS = 60


@dataclass(frozen=True)
class Target:
    """What the worker thread needs to put canonical motion onto one armature."""

    object_name: str
    root_motion: str
    rest: canonical_armature.RestFrames | None = None  # canonical-named rigs
    skeleton: Any = None  # engine retarget TargetSkeleton (other rigs)
    mapping: Any = None


def read_target(armature_obj, root_motion: str = "full") -> Target:
    """Snapshot the armature on the main thread (rig_reader for non-canonical rigs)."""
    if armature_obj is None or armature_obj.type != "ARMATURE":
        raise errors.RetargetError("choose an armature as the target, or add the canonical armature")
    if armature_obj.library is not None:
        raise errors.RetargetError(f"{armature_obj.name!r} is linked from a library: make a library override first")
    if armature_obj.mode == "EDIT":
        raise errors.RetargetError(f"{armature_obj.name!r} is in Edit Mode: switch to Object or Pose Mode first")
    if canonical_armature.is_canonical(armature_obj):
        rest = canonical_armature.RestFrames.from_armature(armature_obj)
        return Target(armature_obj.name, root_motion, rest=rest)
    raise errors.RetargetError(
        f"armature {armature_obj.name!r} has no canonical bone names, and retargeting onto other rigs is not "
        "available in this build; use 'Add Canonical Armature'"
    )


def to_channels(target: Target, motion) -> tuple[dict, dict]:
    """Canonical motion -> (bone rotations (T,4), bone locations (T,3)); pure numpy, any thread."""
    root = np.array(motion.root_translation, dtype=np.float64)
    if target.root_motion in ("in_place", "vertical_only"):  # the retargeter keeps the sway for in_place
        root[:, :2] = root[:1, :2]
    return canonical_armature.pose_channels(target.rest, motion.rotations, root)


def write_action(armature_obj, rotations: dict, locations: dict, *, frame_start: int, name: str,
                 properties: dict | None):  # fmt: skip
    """A new Action with the channels keyed from frame_start (the action writer's interface)."""
    try:
        from . import action_writer
    except ImportError:
        return _write_action_minimal(armature_obj, rotations, locations, frame_start=frame_start, name=name,
                                     properties=properties)  # fmt: skip
    return action_writer.write_action(armature_obj, rotations, locations, frame_start=frame_start, name=name,
                                      properties=properties)  # fmt: skip


def action_name(request, index: int, count: int) -> str:
    """Named after the prompt, numbered when there are several variations."""
    text = " ".join(request.text.split()) or "motion"
    suffix = f" {index + 1}" if count > 1 else ""
    if len(text) + len(suffix) > MAX_NAME_CHARS:
        text = text[: MAX_NAME_CHARS - len(suffix) - 1].rstrip() + "…"
    return text + suffix


def metadata(result, placement: dict) -> dict:
    """Custom properties that make the Action reproducible (request, seed, model version)."""
    meta = getattr(result.motion, "metadata", None) or {}
    request = result.request
    return {
        PROP_REQUEST: json.dumps(request.to_dict(), sort_keys=True),
        PROP_SEED: int(meta.get("seed", request.seed)),
        PROP_MODEL: str(meta.get("model_version", "unknown")),
        PROP_PLACEMENT: json.dumps(placement, sort_keys=True),
    }


def stored_settings(action) -> tuple[str, int, str, dict]:
    """(request JSON, seed, model version, placement) stored on a generated Action."""
    if action is None or PROP_REQUEST not in action:
        raise errors.RequestError("this Action was not made by Motion Composer: it stores no generation settings")
    placement = json.loads(action.get(PROP_PLACEMENT, "{}"))
    return action[PROP_REQUEST], int(action.get(PROP_SEED, 0)), str(action.get(PROP_MODEL, "unknown")), placement


def apply_results(context, armature_obj, results: list, *, frame_start: int, placement: str,
                  root_motion: str) -> list:  # fmt: skip
    """Write every result as a new Action and place it; all or nothing. Returns the Actions."""
    if armature_obj is None or armature_obj.name not in context.scene.objects:
        raise errors.RetargetError("the target armature was removed from the scene during generation")
    anim = armature_obj.animation_data
    if anim is not None and anim.use_tweak_mode:
        raise errors.RetargetError(
            f"{armature_obj.name!r} is in NLA tweak mode: leave it first (Tab in the NLA editor)"
        )
    settings = {"frame_start": frame_start, "placement": placement, "root_motion": root_motion}
    actions = []
    try:
        for i, result in enumerate(results):
            name = action_name(result.request, i, len(results))
            actions.append(write_action(armature_obj, result.rotations, result.locations, frame_start=frame_start,
                                        name=name, properties=metadata(result, settings)))  # fmt: skip
    except Exception:
        for action in actions:
            bpy.data.actions.remove(action)
        raise
    anim = armature_obj.animation_data or armature_obj.animation_data_create()
    if placement == "NLA":
        for i, action in enumerate(actions):
            _push_to_nla(anim, action, frame_start, mute=i > 0)
    else:
        previous = anim.action
        if previous is not None and previous not in actions:
            previous.use_fake_user = True  # the user's Action survives saving without users
        _assign(anim, actions[0])
        for action in actions[1:]:
            action.use_fake_user = True  # the other variations stay available in the Action browser
    return actions


def _slot(action):
    slots = getattr(action, "slots", None)  # Blender 4.4+: slotted actions
    return slots[0] if slots else None


def _assign(anim, action) -> None:
    anim.action = action
    slot = _slot(action)
    if slot is not None and anim.action_slot != slot:
        anim.action_slot = slot


def _push_to_nla(anim, action, frame_start: int, mute: bool) -> None:
    track = anim.nla_tracks.new()
    track.name = action.name
    track.mute = mute
    strip = track.strips.new(action.name, int(frame_start), action)
    slot = _slot(action)
    if slot is not None and getattr(strip, "action_slot", slot) != slot:
        strip.action_slot = slot


def _write_action_minimal(armature_obj, rotations, locations, *, frame_start, name, properties):
    """Stand-in for addon/action_writer.py until it lands: quaternion + location keys via foreach_set."""
    action = bpy.data.actions.new(name)
    try:
        if hasattr(action, "layers"):  # Blender 4.4+
            slot = action.slots.new(id_type="OBJECT", name=armature_obj.name)
            strip = action.layers.new("Layer").strips.new(type="KEYFRAME")
            fcurves = strip.channelbag(slot, ensure=True).fcurves
        else:
            fcurves = action.fcurves
        for prop, channels in (("rotation_quaternion", rotations), ("location", locations)):
            for bone, values in channels.items():
                values = np.asarray(values, dtype=np.float32)
                frames = frame_start + np.arange(len(values), dtype=np.float32)
                for axis in range(values.shape[1]):
                    path = f'pose.bones["{bone}"].{prop}'
                    if hasattr(action, "layers"):
                        fc = fcurves.new(path, index=axis, group_name=bone)
                    else:
                        fc = fcurves.new(path, index=axis, action_group=bone)
                    fc.keyframe_points.add(len(values))
                    fc.keyframe_points.foreach_set("co", np.column_stack([frames, values[:, axis]]).ravel())
                    fc.keyframe_points.foreach_set("interpolation", np.full(len(values), 1, dtype=np.int32))  # LINEAR
                    fc.update()
        for key, value in (properties or {}).items():
            action[key] = value
    except Exception:
        bpy.data.actions.remove(action)
        raise
    return action
