"""Panel settings -> GenerationRequest, the same structure a job file has.

The panel works in scene frames; the engine in seconds from the motion's
start. `PanelSpec` is a plain snapshot of the properties so the conversion is
testable without a scene, and so validation is the engine's own (via
GenerationRequest.from_dict) plus frame-based messages an animator can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from .engine_link import errors, json_input
from .engine_link import request as rq
from .engine_link import skeleton as sk

BODY_PART_NAMES = sk.BODY_PART_NAMES


@dataclass
class TrackSpec:
    text: str
    frame_start: int
    frame_end: int
    body_parts: list[str] = field(default_factory=list)


@dataclass
class ConstraintSpec:
    kind: str  # KEYFRAME, JOINT or ROOT_PATH
    frame: int
    frame_end: int = 0
    joint: str = ""
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    weight: float = 1.0
    data: str = ""  # JSON: {"root_translation", "rotations"} for KEYFRAME, [[x, y, z], ...] for ROOT_PATH
    label: str = ""


@dataclass
class PanelSpec:
    prompt: str
    seconds: float
    fps: float
    frame_start: int = 1
    seed: int = 0
    steps: int | None = None
    guidance: float | None = None
    tracks: list[TrackSpec] = field(default_factory=list)
    constraints: list[ConstraintSpec] = field(default_factory=list)
    start: str = "auto"  # "rest": begin in the neutral standing pose (job field "start"); "auto": the engine's choice
    end: str = "auto"

    @property
    def frame_end(self) -> int:
        return self.frame_start + int(round(self.seconds * self.fps))

    def seconds_at(self, frame: float) -> float:
        return round((frame - self.frame_start) / self.fps, 6)


class EngineSpace(Protocol):
    """Where the target character stands: armature space <-> the engine's world frame (RestAlignment)."""

    def to_canonical(self, points: np.ndarray) -> np.ndarray: ...


def job_dict(spec: PanelSpec, space: EngineSpace | None = None) -> dict:
    """The job-file structure for the panel settings (times in seconds from frame_start).

    Scene positions (joint targets, root paths) are stored in the target armature's space; `space`
    takes them into the engine's frame through the rig's placement and scale (None: used as they are).
    """
    _check_frames(spec)
    job: dict = {"seconds": spec.seconds, "fps": spec.fps, "seed": spec.seed, "steps": spec.steps,
                 "guidance": spec.guidance}  # fmt: skip
    if spec.prompt.strip():
        job["text"] = spec.prompt
    job["tracks"] = [
        {"text": t.text, "start": spec.seconds_at(t.frame_start), "end": spec.seconds_at(t.frame_end),
         "body_parts": list(t.body_parts)}
        for t in spec.tracks
    ]  # fmt: skip
    to_engine = space.to_canonical if space is not None else np.asarray
    job["constraints"] = [_constraint(spec, c, to_engine) for c in spec.constraints]
    job.update({k: v for k, v in (("start", spec.start), ("end", spec.end)) if v != "auto"})
    return job


def build_request(spec: PanelSpec, space: EngineSpace | None = None) -> rq.GenerationRequest:
    """Validated request for the panel settings; raises RequestError with a message to show."""
    if not spec.prompt.strip() and not spec.tracks:
        raise errors.RequestError("type a prompt or add a track: there is nothing to generate")
    return rq.GenerationRequest.from_dict(job_dict(spec, space))


def variation_requests(request: rq.GenerationRequest, count: int) -> list[rq.GenerationRequest]:
    """One request per variation, seeds seed, seed + 1, ..."""
    return [replace(request, seed=request.seed + i) for i in range(count)]


def request_from_json(text: str) -> rq.GenerationRequest:
    """A request stored on an Action (see results.py) back as a GenerationRequest."""
    if not isinstance(text, str):
        raise errors.RequestError("the stored request is not valid JSON; generate anew from the panel")
    return rq.GenerationRequest.from_dict(
        json_input.parse_json_text(text, "the stored request", hint="generate anew from the panel")
    )  # within the limits


def _check_frames(spec: PanelSpec) -> None:
    first, last = spec.frame_start, spec.frame_end
    for i, t in enumerate(spec.tracks, 1):
        label = f"track {i} ({t.text[:30]!r})"
        if t.frame_end <= t.frame_start:
            raise errors.RequestError(f"{label}: end frame {t.frame_end} must be after start frame {t.frame_start}")
        if t.frame_start < first or t.frame_end > last:
            raise errors.RequestError(
                f"{label} covers frames {t.frame_start}-{t.frame_end}, outside the motion's frames {first}-{last}: "
                "move the track or change the start frame or duration"
            )
    for i, c in enumerate(spec.constraints, 1):
        end = c.frame_end if c.kind == "ROOT_PATH" else c.frame
        if c.frame < first or end > last:
            raise errors.RequestError(
                f"constraint {i} ({c.label or c.kind.lower()}) at frames {c.frame}-{end} is outside the motion's "
                f"frames {first}-{last}"
            )


def _constraint(spec: PanelSpec, c: ConstraintSpec, to_engine) -> dict:
    if c.kind == "JOINT":
        position = to_engine(np.asarray(c.position, dtype=np.float64))
        return {"type": "joint", "joint": c.joint, "time": spec.seconds_at(c.frame),
                "position": [round(float(v), 5) for v in position], "weight": float(c.weight)}  # fmt: skip
    if c.kind == "KEYFRAME":
        pose = _json(c.data, c)
        return {"type": "keyframe", "time": spec.seconds_at(c.frame), "pose": pose, "weight": float(c.weight)}
    if c.kind == "ROOT_PATH":
        points = to_engine(np.asarray(_json(c.data, c), dtype=np.float64).reshape(-1, 3))
        if len(points) < 2 or c.frame_end <= c.frame:
            raise errors.RequestError(f"root path {c.label!r} needs at least two points and an end after its start")
        times = _times_by_arc_length(points, spec.seconds_at(c.frame), spec.seconds_at(c.frame_end))
        return {"type": "root_path", "points": [[round(t, 4), round(x, 4), round(y, 4)]
                                                for t, (x, y, _z) in zip(times, points, strict=True)],
                "weight": float(c.weight)}  # fmt: skip
    raise errors.RequestError(f"unknown constraint type {c.kind!r}")


def _json(text: str, c: ConstraintSpec):
    if not isinstance(text, str) or not text.strip():
        raise errors.RequestError(f"constraint {c.label or c.kind!r} has no stored data; capture it again")
    return json_input.parse_json_text(
        text, f"constraint {c.label or c.kind!r}: its stored data", hint="capture it again"
    )


def _times_by_arc_length(points: np.ndarray, start: float, end: float) -> np.ndarray:
    """Times for path points so the root moves at constant ground speed."""
    seg = np.linalg.norm(np.diff(points[:, :2], axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] <= 1e-9:
        return np.linspace(start, end, len(points))
    return start + (end - start) * cum / cum[-1]


def scene_fps(scene) -> float:
    """The scene's frame rate (fps / fps_base, e.g. 29.97)."""
    return scene.render.fps / scene.render.fps_base


def track_specs(tracks) -> list[TrackSpec]:
    """The enabled tracks of a track list (the Tracks panel's, or a cast row's)."""
    return [TrackSpec(t.text, t.frame_start, t.frame_end, [p for p in BODY_PART_NAMES if p in t.body_parts])
            for t in tracks if t.enabled]  # fmt: skip


def read_panel(scene) -> PanelSpec:
    """Snapshot of the scene's Motion panel settings (enabled tracks and constraints only)."""
    s = scene.motion_composer
    fps = scene_fps(scene)
    tracks = track_specs(s.tracks)
    constraints = [
        ConstraintSpec(kind=c.kind, frame=c.frame, frame_end=c.frame_end, joint=c.joint, position=tuple(c.position),
                       weight=c.weight, data=c.data, label=c.source or c.name)
        for c in s.constraints if c.enabled
    ]  # fmt: skip
    return PanelSpec(
        prompt=s.prompt, seconds=s.seconds, fps=fps, frame_start=s.frame_start, seed=s.seed,
        steps=s.steps if s.use_steps else None, guidance=s.guidance if s.use_guidance else None,
        tracks=tracks, constraints=constraints, start=s.start_pose, end=s.end_pose,
    )  # fmt: skip


def load_into_panel(scene, request: rq.GenerationRequest, seed: int, placement: dict) -> None:
    """Fill the panel from a stored request (the inverse of read_panel, constraints aside)."""
    s = scene.motion_composer
    fps = scene_fps(scene)
    s.frame_start = int(placement.get("frame_start", s.frame_start))
    s.placement = placement.get("placement", s.placement)
    s.root_motion = placement.get("root_motion", s.root_motion)
    s.seconds = request.seconds
    s.seed = seed
    s.start_pose, s.end_pose = request.start, request.end
    s.use_steps, s.steps = request.steps is not None, request.steps or s.steps
    s.use_guidance, s.guidance = (
        request.guidance is not None,
        request.guidance if request.guidance is not None else s.guidance,
    )
    tracks = list(request.tracks)
    full = tracks and tracks[0].start == 0 and abs(tracks[0].end - request.seconds) < 1e-6 and not tracks[0].body_parts
    s.prompt = tracks.pop(0).text if full else ""
    s.tracks.clear()
    for i, t in enumerate(tracks, 1):
        item = s.tracks.add()
        item.name = f"Track {i}"
        item.text = t.text
        item.frame_start = s.frame_start + int(round(t.start * fps))
        item.frame_end = s.frame_start + int(round(t.end * fps))
        item.body_parts = set(t.body_parts)
    s.tracks_index = 0
