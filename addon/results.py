"""From generated motion to Actions on the target armature, and back to settings.

Three call sites connect the add-on to the retargeting work: `read_target`
(main thread: snapshot the armature and its bone mapping), `to_channels`
(worker thread: engine.retarget) and `write_action` (main thread: keys via
foreach_set). Everything else here is about never harming the user's data:
new Actions only, the previous Action kept, all-or-nothing writes.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import bpy

from . import action_writer, mapping_store, rig_reader
from .engine_link import errors, rest, retarget
from .generation import Channels

PROP_REQUEST = "motion_composer_request"
PROP_SEED = "motion_composer_seed"
PROP_MODEL = "motion_composer_model_version"
PROP_PLACEMENT = "motion_composer_placement"
#: the typed provenance (engine.pipeline.Provenance) as JSON: model, sampler, post-processing, residuals
PROP_PROVENANCE = "motion_composer_provenance"

MAX_NAME_CHARS = 60


@dataclass(frozen=True)
class Target:
    """What the worker thread needs to put canonical motion onto one armature (no bpy inside)."""

    object_name: str
    root_motion: str
    skeleton: Any  # engine.retarget.TargetSkeleton
    mapping: Any  # engine.retarget.BoneMapping
    joint_targets: tuple = ()  # engine.constraints.JointTarget: met on the rig itself, not only on the canonical


def current_mapping(armature_obj):
    """The mapping stored on the armature, else the automatic one (raises RetargetError if none fits)."""
    stored = mapping_store.load_mapping(armature_obj)
    if stored is not None:
        return stored
    return retarget.auto_map(rig_reader.read_armature(armature_obj, for_writing=False))


def read_target(armature_obj, root_motion: str = "full", request=None, ik_parts: tuple | None = None) -> Target:
    """Snapshot the armature on the main thread; raises RetargetError with the fix when it cannot take motion.

    The request's joint targets go along so that the rig's own limbs meet them. `ik_parts` (e.g. ("legs",))
    overrides which limbs are keyed on IK controls (default: the mapping's choice, set in the panel).
    """
    if armature_obj is None or armature_obj.type != "ARMATURE":
        raise errors.RetargetError("choose an armature as the target, or add the canonical armature")
    if armature_obj.mode == "EDIT":
        raise errors.RetargetError(f"{armature_obj.name!r} is in Edit Mode: switch to Object or Pose Mode first")
    skeleton = rig_reader.read_armature(armature_obj)
    mapping = mapping_store.load_mapping(armature_obj) or retarget.auto_map(skeleton)
    if ik_parts is not None:
        mapping = dataclasses.replace(mapping, ik_parts=tuple(ik_parts))
    mapping.validate(skeleton)
    joints = ()
    if request is not None and request.constraints:
        joints = tuple(request.constraint_set().joints)
    return Target(armature_obj.name, root_motion, skeleton, mapping, joints)


def engine_space(armature_obj):
    """How the armature's space maps to the engine's world frame (engine.retarget.rest.RestAlignment), or None.

    Scene positions (empties, curves) are converted through it, so a target lands on this character
    whatever its placement and scale.
    """
    if armature_obj is None or getattr(armature_obj, "type", None) != "ARMATURE":
        return None
    skeleton = rig_reader.read_armature(armature_obj, for_writing=False)
    return rest.align(skeleton, current_mapping(armature_obj))


def to_channels(target: Target, motion) -> Channels:
    """Canonical motion -> keys for the target's bones; pure numpy, runs on the worker thread."""
    result = retarget.retarget(motion, target.skeleton, target.mapping, root_motion=target.root_motion,
                                joint_targets=target.joint_targets)  # fmt: skip
    misses = retarget.rig_misses(target.joint_targets, result.joint_positions, result.alignment, motion.fps,
                                 target.skeleton.world_scale())  # fmt: skip
    return Channels(result.rotations, result.locations, result.properties, misses)


def write_action(armature_obj, channels: Channels, *, frame_start: int, name: str, properties: dict | None):
    """A new Action with the channels keyed from frame_start (addon.action_writer)."""
    return action_writer.write_action(armature_obj, channels.rotations, channels.locations, frame_start=frame_start,
                                      name=name, properties=properties, bone_properties=channels.bone_properties)  # fmt: skip


#: how an edited Action's name says what was done to it
EDIT_LABELS = {"regenerate_range": "range regenerated", "extend": "extended", "restyle": "restyled"}


def action_name(request, index: int, count: int, rig: str = "") -> str:
    """'Rig|prompt' like Blender's FBX importer names Actions (with the last edit), numbered for variations."""
    text = " ".join(request.text.split()) or "motion"
    if request.edits:
        text += f" ({EDIT_LABELS.get(request.edits[-1].op, 'edited')})"
    prefix = f"{rig[:20]}|" if rig else ""
    suffix = f" {index + 1}" if count > 1 else ""
    if len(prefix) + len(text) + len(suffix) > MAX_NAME_CHARS:
        text = text[: MAX_NAME_CHARS - len(prefix) - len(suffix) - 1].rstrip() + "…"
    return prefix + text + suffix


def metadata(result, placement: dict) -> dict:
    """Custom properties that make the Action reproducible (request, seed, model version); each joint target's
    provenance row also says how far the rig's own bone ended from it (`rig_max`, m)."""
    meta = dict(getattr(result.motion, "metadata", None) or {})
    misses = result.channels.target_misses
    if misses:
        meta["constraints"] = [{**row, "rig_max": misses[row["label"]]} if row.get("label") in misses else row
                               for row in meta.get("constraints", [])]  # fmt: skip
    request = result.request
    return {
        PROP_REQUEST: json.dumps(request.to_dict(), sort_keys=True),
        PROP_SEED: int(meta.get("seed", request.seed)),
        PROP_MODEL: str(meta.get("model_version", "unknown")),
        PROP_PLACEMENT: json.dumps(placement, sort_keys=True),
        PROP_PROVENANCE: json.dumps(meta, sort_keys=True),
    }


def generated_action(anim):
    """The Action Motion Composer made that the edit tools work on: the active Action, else the active NLA
    track's, else the top unmuted track's (results placed on NLA tracks can be edited and regenerated)."""
    if anim is None:
        return None
    if anim.action is not None and PROP_REQUEST in anim.action:
        return anim.action
    tracks = list(anim.nla_tracks)
    active = [t for t in tracks if t.active] + [t for t in reversed(tracks) if not t.mute]
    for track in active:
        for strip in track.strips:
            if strip.action is not None and PROP_REQUEST in strip.action:
                return strip.action
    return None


def stored_provenance(action) -> dict:
    """How the stored Action was made, as its provenance says (model version from its own property)."""
    meta = json.loads(action.get(PROP_PROVENANCE, "{}"))
    return {**meta, "model_version": str(action.get(PROP_MODEL, meta.get("model_version", "unknown")))}


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
            name = action_name(result.request, i, len(results), armature_obj.name)
            actions.append(write_action(armature_obj, result.channels, frame_start=frame_start, name=name,
                                        properties=metadata(result, settings)))  # fmt: skip
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
        action_writer.assign(armature_obj, actions[0])
        for action in actions[1:]:
            action.use_fake_user = True  # the other variations stay available in the Action browser
    return actions


def _slot(action):
    slots = getattr(action, "slots", None)  # Blender 4.4+: slotted actions
    return slots[0] if slots else None


def _push_to_nla(anim, action, frame_start: int, mute: bool) -> None:
    track = anim.nla_tracks.new()
    track.name = action.name
    track.mute = mute
    strip = track.strips.new(action.name, int(frame_start), action)
    slot = _slot(action)
    if slot is not None and getattr(strip, "action_slot", slot) != slot:
        strip.action_slot = slot
