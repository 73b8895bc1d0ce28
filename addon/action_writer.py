"""Write retargeted channels as a NEW Action, all or nothing.

Keys go in with `keyframe_points.add` + `foreach_set` (one call per channel,
not one per key). Blender 4.4+ stores F-curves in slots/layers/strips/
channelbags (5.0 removed `Action.fcurves`); 4.2-4.3 use `Action.fcurves`.
The user's existing Actions and keys are never touched; the only change to
the rig itself is the rotation mode of keyed bones that were not already
QUATERNION (otherwise the quaternion keys would have no effect); bones keyed
only at their rest rotation keep their mode (zero Euler / axis-angle keys). Assigning
the Action is the caller's choice (`assign`).
"""

from __future__ import annotations

import bpy
import numpy as np

from .engine_link import errors
from .rig_reader import check_writable

_CUSTOM = object()  # marks custom-property channels in the channel list


def write_action(
    armature_obj,
    bone_rotations: dict,
    bone_locations: dict,
    *,
    frame_start: int,
    name: str,
    properties: dict | None = None,
    bone_properties: dict | None = None,
):
    """A new Action keyed from `frame_start`: rotations (T,4) w,x,y,z and locations (T,3) per bone.

    `properties` become custom properties of the Action (metadata);
    `bone_properties` {bone: {property: value}} key pose-bone custom properties
    at a constant value (e.g. Rigify's IK_FK switch to FK) for the same frames.
    Raises RetargetError before anything changes if a bone or property is
    missing or the data is malformed; if writing fails midway, the new Action
    is removed and rotation modes are restored.
    """
    check_writable(armature_obj)
    bone_rotations = dict(bone_rotations)
    at_rest = _rest_in_own_mode(armature_obj, bone_rotations)
    channels, frames = _channels(armature_obj, bone_rotations, bone_locations, bone_properties or {}, frame_start)
    count = len(frames)
    channels += [
        (bone, prop, np.tile(np.asarray(value, dtype=np.float32), (count, 1)))
        for bone, (prop, value) in at_rest.items()
    ]
    changed_modes: dict[str, str] = {}
    action = bpy.data.actions.new(name)
    try:
        fcurves = _FCurves(action, armature_obj)
        for bone, prop, values in channels:
            for index in range(values.shape[1]):
                fc = fcurves.new(bone, prop, index)
                _fill(fc, frames, values[:, index])
        for bone in bone_rotations:
            pb = armature_obj.pose.bones[bone]
            if pb.rotation_mode != "QUATERNION":
                changed_modes[bone] = pb.rotation_mode
                pb.rotation_mode = "QUATERNION"
        for key, value in (properties or {}).items():
            action[key] = _id_property(value)
    except Exception:
        for bone, mode in changed_modes.items():
            armature_obj.pose.bones[bone].rotation_mode = mode
        bpy.data.actions.remove(action)
        raise
    return action


#: rotation channels that hold the rest pose, by rotation mode (Euler modes: zero angles)
_REST_ROTATION = {"AXIS_ANGLE": ("rotation_axis_angle", (0.0, 0.0, 1.0, 0.0))}


def _rest_in_own_mode(obj, rotations: dict) -> dict:
    """Bones not in quaternion mode whose keys are all the rest rotation: keyed at rest in their own mode
    (so an Euler control such as Rigify's heel roll keeps its rotation mode). Removed from `rotations`."""
    out = {}
    for bone, values in list(rotations.items()):
        pb = obj.pose.bones.get(bone)
        if pb is None or pb.rotation_mode == "QUATERNION":
            continue
        q = np.asarray(values, dtype=np.float64)
        if q.ndim == 2 and q.shape[1] == 4 and np.allclose(np.abs(q[:, 0]), 1.0, atol=1e-9):
            out[bone] = _REST_ROTATION.get(pb.rotation_mode, ("rotation_euler", (0.0, 0.0, 0.0)))
            del rotations[bone]
    return out


def assign(armature_obj, action) -> None:
    """Make `action` the armature's active Action (with its slot on Blender 4.4+)."""
    anim = armature_obj.animation_data or armature_obj.animation_data_create()
    anim.action = action
    slots = getattr(action, "slots", None)
    if slots and anim.action_slot != slots[0]:
        anim.action_slot = slots[0]


def _channels(obj, rotations, locations, bone_properties, frame_start):
    """Validate everything up front; returns [(bone, property, (T,k) float32)] and the frame numbers."""
    pose_bones = obj.pose.bones
    channels, lengths, missing = [], set(), []
    for prop, table, width in (("rotation_quaternion", rotations, 4), ("location", locations, 3)):
        for bone, values in table.items():
            if bone not in pose_bones:
                missing.append(bone)
                continue
            values = np.asarray(values, dtype=np.float64)
            if values.ndim != 2 or values.shape[1] != width:
                raise errors.RetargetError(f"bone {bone!r}: {prop} keys must be (frames, {width}), got {values.shape}")
            if not np.isfinite(values).all():
                raise errors.RetargetError(f"bone {bone!r}: {prop} keys contain NaN or infinite values")
            lengths.add(len(values))
            channels.append((bone, prop, values.astype(np.float32)))
    if missing:
        raise errors.RetargetError(
            f"armature {obj.name!r} has no bones named {', '.join(map(repr, sorted(set(missing))))}; "
            "edit the bone mapping"
        )
    if len(lengths) > 1:
        raise errors.RetargetError(f"all channels need the same number of frames, got {sorted(lengths)}")
    if not lengths or 0 in lengths:
        raise errors.RetargetError("nothing to key: the motion has no frames or no bones")
    count = lengths.pop()
    for bone, props in bone_properties.items():
        if bone not in pose_bones:
            raise errors.RetargetError(f"armature {obj.name!r} has no bone {bone!r} (custom properties to key)")
        for prop, value in props.items():
            if prop not in pose_bones[bone]:
                raise errors.RetargetError(f"bone {bone!r} has no custom property {prop!r} to key")
            channels.append((bone, (_CUSTOM, prop), np.full((count, 1), float(value), dtype=np.float32)))
    frames = frame_start + np.arange(count, dtype=np.float32)
    return channels, frames


class _FCurves:
    """Creates F-curves grouped per bone, on the slotted (4.4+) or the legacy (4.2) Action API."""

    def __init__(self, action, obj):
        self.slotted = hasattr(action, "layers")
        if self.slotted:
            slot = action.slots.new(id_type="OBJECT", name=obj.name)
            strip = action.layers.new("Layer").strips.new(type="KEYFRAME")
            self.bag = strip.channelbag(slot, ensure=True)
            self.groups = {}
        else:
            self.bag = action

    def new(self, bone: str, prop, index: int):
        escaped = bpy.utils.escape_identifier(bone)
        if isinstance(prop, tuple):
            path = f'pose.bones["{escaped}"]["{bpy.utils.escape_identifier(prop[1])}"]'
        else:
            path = f'pose.bones["{escaped}"].{prop}'
        if not self.slotted:
            return self.bag.fcurves.new(path, index=index, action_group=bone)
        fc = self.bag.fcurves.new(path, index=index)
        group = self.groups.get(bone)
        if group is None:
            group = self.groups[bone] = self.bag.groups.new(bone)
        fc.group = group
        return fc


def _fill(fc, frames: np.ndarray, values: np.ndarray) -> None:
    points = fc.keyframe_points
    points.add(len(frames))
    co = np.empty(2 * len(frames), dtype=np.float32)
    co[0::2], co[1::2] = frames, values
    points.foreach_set("co", co)
    points.foreach_set("interpolation", np.full(len(frames), _LINEAR, dtype=np.int32))
    fc.update()


_LINEAR = 1  # bpy enum value of 'LINEAR' in BezTriple.ipo: dense baked keys need no Bezier handles


def _id_property(value):
    """Values ID properties can hold (numpy scalars/arrays converted; others as strings)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)
