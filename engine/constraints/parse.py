"""Request dicts (job file, panel, API) -> a validated ConstraintSet.

All user mistakes surface here as RequestError naming the constraint and the
field, before any sampling starts, so nothing is half-written.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .. import quaternion as quat
from ..errors import RequestError
from ..io.json_input import read_json_file
from ..io.referenced import resolve_referenced
from ..limits import check_magnitude
from ..skeleton import CANONICAL, NUM_JOINTS
from .types import ConstraintSet, FootPlant, JointTarget, KeyframePose, RootPath, frame_at

FIELDS = {
    "joint": {"type", "joint", "time", "start", "end", "position", "weight"},
    "root_path": {"type", "points", "curve", "start", "end", "facing", "weight"},
    "keyframe": {"type", "time", "pose", "weight"},
    "foot_plant": {"type", "foot", "time", "start", "end", "position", "weight"},
}


def parse_constraints(items: list[dict[str, Any]], seconds: float, fps: float,
                      base_dir: str | Path | None = None) -> ConstraintSet:  # fmt: skip
    """Validate every constraint against a clip of `seconds` at `fps` (the output frame rate)."""
    return ConstraintSet.of(parse_items(items, seconds, fps, base_dir))


def parse_items(items: list[Any], seconds: float, fps: float, base_dir: str | Path | None = None,
                allow_outside: bool = False) -> list:  # fmt: skip
    """Typed constraints in the given order (typed ones pass through); identical keyframes on one frame merged.

    Pose files are read relative to `base_dir` (a job file's folder) and only inside it unless `allow_outside`
    (engine.io.referenced); the typed constraint keeps the pose itself in its `source`."""
    out = []
    for i, item in enumerate(items):
        if isinstance(item, (JointTarget, RootPath, KeyframePose, FootPlant)):
            out.append(item)
            continue
        if not isinstance(item, dict):
            raise RequestError(f"constraint {i} must be an object with a 'type'")
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in FIELDS:
            raise RequestError(f"constraint {i} has unknown type {kind!r}; use one of: {', '.join(FIELDS)}")
        label = f"constraint {i} ({kind})"
        unknown = sorted(set(item) - FIELDS[kind])
        if unknown:
            raise RequestError(
                f"{label}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS[kind]))}"
            )
        ctx = _Ctx(label, seconds, base_dir, allow_outside)
        parsed = PARSERS[kind](item, ctx)
        parsed.source = dict(item, **ctx.resolved)
        out.append(parsed)
    drop = _keyframe_duplicates([c for c in out if isinstance(c, KeyframePose)], fps)
    return [c for c in out if id(c) not in drop]


class _Ctx:
    def __init__(self, label: str, seconds: float, base_dir, allow_outside: bool = False) -> None:
        self.label, self.seconds, self.base_dir, self.allow_outside = label, seconds, base_dir, allow_outside
        self.resolved: dict[str, Any] = {}  # fields whose file references were read (the pose itself)

    def number(self, value: Any, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RequestError(f"{self.label}: {name} must be a finite number (got {value!r})")
        return float(value)

    def time(self, value: Any, name: str = "time") -> float:
        t = self.number(value, name)
        if not -1e-6 <= t <= self.seconds + 1e-6:
            raise RequestError(f"{self.label}: {name} {t:g} s is outside the clip (0 to {self.seconds:g} s)")
        return min(max(t, 0.0), self.seconds)

    def vector(self, value: Any, name: str, sizes: tuple[int, ...]) -> np.ndarray:
        try:
            v = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise RequestError(f"{self.label}: {name} must be a list of numbers") from None
        if v.ndim != 1 or len(v) not in sizes:
            raise RequestError(f"{self.label}: {name} must have {' or '.join(map(str, sizes))} numbers")
        if not np.all(np.isfinite(v)):
            raise RequestError(f"{self.label}: {name} contains NaN or infinite values")
        check_magnitude("position_metres", v, f"{self.label}: {name}")  # 1e308 m is the constraint's fault
        return v

    def weight(self, item: dict) -> float:
        w = self.number(item.get("weight", 1.0), "weight")
        if w < 0:
            raise RequestError(f"{self.label}: weight must not be negative (got {w:g})")
        return w

    def span(self, item: dict) -> tuple[float, float]:
        if "time" in item:
            if "start" in item or "end" in item:
                raise RequestError(f"{self.label}: give either 'time' or 'start'/'end', not both")
            t = self.time(item["time"])
            return t, t
        if "start" not in item and "end" not in item:
            raise RequestError(f"{self.label}: needs 'time' (seconds) or a 'start'/'end' range")
        start = self.time(item.get("start", 0.0), "start")
        end = self.time(item.get("end", self.seconds), "end")
        if end < start:
            raise RequestError(f"{self.label}: end {end:g} s is before start {start:g} s")
        return start, end


def _joint(item: dict, ctx: _Ctx) -> JointTarget:
    name = item.get("joint")
    if name not in CANONICAL.names:
        raise RequestError(f"{ctx.label}: unknown joint {name!r}; use one of: {', '.join(CANONICAL.names)}")
    if "position" not in item:
        raise RequestError(f"{ctx.label}: needs 'position' [x, y, z] in metres")
    start, end = ctx.span(item)
    pos = ctx.vector(item["position"], "position", (3,))
    return JointTarget(CANONICAL.index(name), start, end, pos, ctx.weight(item), label=f"{ctx.label} {name}")


def _root_path(item: dict, ctx: _Ctx) -> RootPath:
    if ("points" in item) == ("curve" in item):
        raise RequestError(f"{ctx.label}: give either 'points' [[t, x, y], ...] or 'curve' [[x, y], ...]")
    key = "points" if "points" in item else "curve"
    rows = item[key]
    if not isinstance(rows, list) or len(rows) < 2:
        n = len(rows) if isinstance(rows, list) else 0
        raise RequestError(f"{ctx.label}: a path needs at least two points (got {n})")
    width = (3, 4) if key == "points" else (2, 3)
    arr = [ctx.vector(r, f"{key}[{k}]", width) for k, r in enumerate(rows)]
    if len({len(r) for r in arr}) != 1:
        raise RequestError(f"{ctx.label}: all {key} must have the same number of values")
    arr = np.stack(arr)
    if key == "points":
        times = np.array([ctx.time(t, f"points[{k}] time") for k, t in enumerate(arr[:, 0])])
        if np.any(np.diff(times) <= 0):
            raise RequestError(f"{ctx.label}: point times must increase strictly")
        xyz = arr[:, 1:]
        dense = False
    else:
        start = ctx.time(item.get("start", 0.0), "start")
        end = ctx.time(item.get("end", ctx.seconds), "end")
        if end <= start:
            raise RequestError(f"{ctx.label}: the curve's end {end:g} s must be after its start {start:g} s")
        xyz = arr
        times = _arc_length_times(xyz[:, :2], start, end)
        dense = True
    heights = xyz[:, 2] if xyz.shape[1] == 3 else np.full(len(xyz), np.nan)
    facing = np.zeros((0, 2))
    if item.get("facing") is not None:
        rows = item["facing"]
        if not isinstance(rows, list) or not rows:
            raise RequestError(f"{ctx.label}: facing must be a list of [time, degrees]")
        f = np.stack([ctx.vector(r, f"facing[{k}]", (2,)) for k, r in enumerate(rows)])
        for t in f[:, 0]:
            ctx.time(t, "facing time")
        facing = np.stack([f[:, 0], np.deg2rad(f[:, 1])], axis=-1)
    return RootPath(times, xyz[:, :2].copy(), heights, facing, dense, ctx.weight(item), label=ctx.label)


def _arc_length_times(points: np.ndarray, start: float, end: float) -> np.ndarray:
    """Times so the root moves along the curve at constant speed."""
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    if cum[-1] <= 1e-9:
        return np.linspace(start, end, len(points))
    times = start + (end - start) * cum / cum[-1]
    # repeated points would give equal times; nudge so times strictly increase
    return np.maximum.accumulate(times + np.arange(len(times)) * 1e-9)


def _keyframe(item: dict, ctx: _Ctx) -> KeyframePose:
    t = ctx.time(item.get("time"))
    pose = item.get("pose")
    if isinstance(pose, str):
        pose = _load_pose(pose, ctx)
        ctx.resolved["pose"] = pose
    if not isinstance(pose, dict) or "rotations" not in pose:
        raise RequestError(f"{ctx.label}: pose must be a pose file name or {{'rotations': 22 x [w, x, y, z]}}")
    try:
        rot = np.asarray(pose["rotations"], dtype=np.float64)
    except (TypeError, ValueError):
        raise RequestError(f"{ctx.label}: pose rotations must be {NUM_JOINTS} lists of 4 numbers") from None
    if rot.shape != (NUM_JOINTS, 4):
        raise RequestError(f"{ctx.label}: pose rotations must be {NUM_JOINTS} x 4 (w, x, y, z), got {rot.shape}")
    if not np.all(np.isfinite(rot)):
        raise RequestError(f"{ctx.label}: pose rotations contain NaN or infinite values")
    if np.any(np.linalg.norm(rot, axis=-1) < 1e-6):
        raise RequestError(f"{ctx.label}: a pose rotation is all zeros; use [1, 0, 0, 0] for no rotation")
    root = None
    if pose.get("root_translation") is not None:
        root = ctx.vector(pose["root_translation"], "pose root_translation", (3,))
    return KeyframePose(t, quat.normalize(rot), root, ctx.weight(item), label=ctx.label)


def _load_pose(name: str, ctx: _Ctx) -> dict:
    """A pose file: inside the job's folder unless allowed elsewhere, read within the JSON limits."""
    what = f"{ctx.label}: pose file"
    return read_json_file(resolve_referenced(name, ctx.base_dir, allow_outside=ctx.allow_outside, what=what), what)


def _foot_plant(item: dict, ctx: _Ctx) -> FootPlant:
    side = item.get("foot")
    if side not in ("left", "right"):
        raise RequestError(f"{ctx.label}: foot must be 'left' or 'right' (got {side!r})")
    start, end = ctx.span(item)
    pos = None if item.get("position") is None else ctx.vector(item["position"], "position", (2, 3))[:2]
    return FootPlant(side, start, end, pos, ctx.weight(item), label=f"{ctx.label} {side}")


def _keyframe_duplicates(keys: list[KeyframePose], fps: float) -> set[int]:
    """ids of keyframes repeating an identical earlier one on the same frame; different poses on a frame fail."""
    seen: dict[int, KeyframePose] = {}
    drop = []
    for k in keys:
        f = frame_at(k.time, fps)
        other = seen.get(f)
        if other is None:
            seen[f] = k
            continue
        same_rot = np.all(quat.angle_between(other.rotations, k.rotations) < 1e-4)
        same_root = (other.root is None and k.root is None) or (
            other.root is not None and k.root is not None and np.allclose(other.root, k.root, atol=1e-4)
        )
        if not (same_rot and same_root):
            raise RequestError(f"{other.label} and {k.label} put different poses on frame {f} "
                               f"({k.time:g} s); remove one or move it to another frame")  # fmt: skip
        drop.append(id(k))
    return set(drop)


PARSERS = {"joint": _joint, "root_path": _root_path, "keyframe": _keyframe, "foot_plant": _foot_plant}
