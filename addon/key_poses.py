"""The selected keys of an armature's Action and its poses at them: the input of Inbetween Selected Keys.

Reads F-curves on both Action APIs (slotted 4.4+, legacy 4.2-4.3) and only
ever moves the current frame, which it puts back.
"""

from __future__ import annotations

from . import capture
from .engine_link import errors


def action_fcurves(armature_obj) -> list:
    """The F-curves animating the object through its active Action (its slot's channelbag on 4.4+)."""
    anim = armature_obj.animation_data
    action = anim.action if anim is not None else None
    if action is None:
        return []
    layers = getattr(action, "layers", None)
    if not layers:  # legacy Action (4.2-4.3, or 4.4 before any slotted data)
        return list(getattr(action, "fcurves", ()))
    slot = getattr(anim, "action_slot", None)
    curves = []
    for layer in layers:
        for strip in layer.strips:
            bag = strip.channelbag(slot) if slot is not None else None
            if bag is not None:
                curves.extend(bag.fcurves)
    return curves


def selected_key_frames(armature_obj) -> list[int]:
    """Sorted distinct frames of the selected keyframes on the armature's active Action."""
    frames = {
        int(round(point.co[0]))
        for fc in action_fcurves(armature_obj)
        for point in fc.keyframe_points
        if point.select_control_point
    }
    return sorted(frames)


def poses_at_frames(scene, armature_obj, frames: list[int]) -> list[dict]:
    """Keyframe poses ({"root_translation", "rotations"}) of the armature at each frame; the frame is restored."""
    current = scene.frame_current, scene.frame_subframe
    try:
        poses = []
        for frame in frames:
            scene.frame_set(frame)
            poses.append(capture.pose_from_armature(armature_obj))
        return poses
    finally:
        scene.frame_set(current[0], subframe=current[1])


def selected_key_poses(scene, armature_obj) -> tuple[list[int], list[dict]]:
    """(frames, poses) for Inbetween: at least two selected keys on different frames, or a RequestError."""
    if armature_obj is None or armature_obj.type != "ARMATURE":
        raise errors.RequestError("choose the armature whose keys to inbetween as the target")
    frames = selected_key_frames(armature_obj)
    if len(frames) < 2:
        raise errors.RequestError(
            f"select keys on at least two frames of {armature_obj.name!r}'s Action (Dope Sheet or Timeline); "
            f"{len(frames)} selected"
        )
    return frames, poses_at_frames(scene, armature_obj, frames)
