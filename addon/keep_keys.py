"""Regenerate Frame Range: every key outside the range stays exactly as it was.

The engine keeps the frames outside the range and joins the new part to
them, but retargeting looks a little around each frame (foot lock pins whole
contact periods), so keys near the range would still move. Here the keys
outside the range are copied back from the Action being edited (or, for
Regenerate, the Action being reproduced, which already holds them, so
Regenerate gives the same keys again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine_link import quaternion as quat


@dataclass(frozen=True)
class KeptRange:
    """Scene frames [first, last] that were regenerated; keys elsewhere come from `action`."""

    action: object  # bpy.types.Action
    first: int
    last: int


def kept_range(action, request, frame_start: int) -> KeptRange | None:
    """The range to keep keys around, when the request's last edit regenerates a range of `action`."""
    if action is None or not request.edits or request.edits[-1].op != "regenerate_range":
        return None
    edit = request.edits[-1]
    return KeptRange(action, frame_start + edit.start, frame_start + edit.end - 1)


def action_curves(action) -> dict[tuple[str, int], dict[int, float]]:
    """(data path, index) -> {frame: value} of every key in the Action (slotted 4.4+ or legacy)."""
    layers = getattr(action, "layers", None)
    if layers:
        curves = [fc for layer in layers for strip in layer.strips for bag in strip.channelbags for fc in bag.fcurves]
    else:
        curves = list(action.fcurves)
    out = {}
    for fc in curves:
        co = np.zeros(2 * len(fc.keyframe_points), dtype=np.float32)
        fc.keyframe_points.foreach_get("co", co)
        co = co.reshape(-1, 2)
        out[(fc.data_path, fc.array_index)] = {int(round(f)): float(v) for f, v in co}
    return out


def keep_outside(channels, kept: KeptRange, frame_start: int) -> None:
    """Replace the channels' rows outside [first, last] by the kept Action's keys (in place)."""
    source = action_curves(kept.action)
    frames = frame_start + np.arange(channels.num_frames)
    outside = (frames < kept.first) | (frames > kept.last)
    for prop, table in (("rotation_quaternion", channels.rotations), ("location", channels.locations)):
        for bone, values in table.items():
            old = _source_rows(source, f'pose.bones["{bone}"].{prop}', values, frames)
            if old is None:
                continue
            new = values.astype(np.float64).copy()
            if prop == "rotation_quaternion":
                new = _same_sign(old, new, outside)
            new[outside] = old[outside]
            table[bone] = new


def _source_rows(source, path: str, values: np.ndarray, frames: np.ndarray) -> np.ndarray | None:
    """The source keys as rows like `values` (new values where the source has no key at a frame)."""
    curves = [source.get((path, i)) for i in range(values.shape[1])]
    if any(c is None for c in curves):
        return None
    out = values.astype(np.float64).copy()
    for i, curve in enumerate(curves):
        for k, f in enumerate(frames):
            if int(f) in curve:
                out[k, i] = curve[int(f)]
    return out


def _same_sign(old: np.ndarray, new: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """The new quaternions with the sign of the kept key just before them, so F-curves do not swing through 0."""
    new = quat.continuous(new)
    inside = np.flatnonzero(~outside)
    if len(inside) and inside[0] > 0 and np.dot(old[inside[0] - 1], new[inside[0]]) < 0:
        new = -new
    return new
