"""GenerationRequest: what the panel, the job file and the CLI all describe.

A request is parsed and validated once, when it is built (from_dict, or the
constructor through __post_init__): tracks checked, constraints and edits
turned into typed objects (engine.constraints.types, engine.edits) with file
references read and checked. Every later stage trusts it. Errors are
RequestError with a message naming the field to fix. `to_dict` gives the
job-file form back, self-contained (pose files inlined), for provenance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .constraints.conflicts import conflicts
from .constraints.parse import parse_items
from .constraints.standing import check_end, in_place, resolve_ends, rest_keyframes
from .constraints.types import ConstraintSet
from .edits import Edit, check_against_length, parse_edit
from .errors import RequestError
from .io.json_input import read_json_file
from .limits import as_int, check_count, limit
from .skeleton import BODY_PART_NAMES

MAX_PROMPT_CHARS = as_int("prompt_chars")  # the stated limits live in engine.limits
MAX_SECONDS = float(limit("seconds"))
DEFAULT_FPS = 30.0
CAST_FIELDS = {"characters", "interactions"}  # a job with these is a cast (engine.characters), not one request


@dataclass
class Track:
    """A text prompt acting on some body parts over [start, end) seconds."""

    text: str
    start: float
    end: float
    body_parts: list[str] = field(default_factory=list)  # empty: inferred from the text


@dataclass(eq=False)
class GenerationRequest:
    seconds: float = 6.0
    fps: float = DEFAULT_FPS
    seed: int = 0
    steps: int | None = None  # None: the model's default
    guidance: float | None = None  # None: the model's default
    tracks: list[Track] = field(default_factory=list)
    constraints: list[Any] = field(default_factory=list)  # typed (constraints.types), in the order given
    edits: list[Edit] = field(default_factory=list)  # engine.edits, applied after generating
    warnings: list[str] = field(default_factory=list, compare=False)
    start: str = "auto"  # "rest": the clip begins in the neutral standing pose (constraints.standing); "free":
    end: str = "auto"  # where the model puts it; "auto": "rest" for a prompt that only stands, else "free"

    def __post_init__(self) -> None:
        """Validate and type everything once; typed items pass through, so `replace` stays cheap."""
        self.validate()
        self.start, self.end = check_end(self.start, "start"), check_end(self.end, "end")
        self.tracks = [_track(asdict(t) if isinstance(t, Track) else t, i, self) for i, t in enumerate(self.tracks)]
        self.start, self.end, note = resolve_ends(self.start, self.end, self.tracks, self.seconds)
        if note and note not in self.warnings:
            self.warnings.append(note)
        if not isinstance(self.constraints, list):
            raise RequestError("'constraints' must be a list of objects with a 'type'")
        check_count("constraints", len(self.constraints), "constraints")
        self.constraints = parse_items(self.constraints, self.seconds, self.fps)
        if not isinstance(self.edits, list):
            raise RequestError("'edits' must be a list of objects with an 'op'")
        check_count("edits", len(self.edits), "edits")
        self.edits = [parse_edit(e, f"edit {i + 1}") for i, e in enumerate(self.edits)]
        check_against_length(self.edits, int(round(self.seconds * self.fps)) + 1, self.fps)
        self.warnings.extend(w for w in conflicts(self.constraint_set()) if w not in self.warnings)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GenerationRequest) and self.to_dict() == other.to_dict()

    def constraint_set(self, origin: tuple[float, float] = (0.0, 0.0), yaw: float = 0.0,
                       hold: bool = True) -> ConstraintSet:  # fmt: skip
        """The constraints sorted by kind, for guidance and clean-up: with the standing pose "start"/"end" ask,
        and for a clip that only stands (and `hold`), its root held at `origin` facing `yaw` (where it starts)
        and its feet planted (constraints.standing.in_place)."""
        cset = ConstraintSet.of(self.constraints)
        cset.keyframes.extend(rest_keyframes(self.start, self.end, self.seconds))
        if hold:
            held = ConstraintSet.of(in_place(self.start, self.end, self.tracks, cset, self.seconds, origin, yaw))
            cset.paths.extend(held.paths)
            cset.plants.extend(held.plants)
        return cset

    @classmethod
    def from_text(cls, text: str, seconds: float = 6.0, **kwargs: Any) -> GenerationRequest:
        return cls.from_dict({"text": text, "seconds": seconds, **kwargs})

    @classmethod
    def from_dict(cls, data: dict[str, Any], base_dir: Path | None = None,
                  allow_outside_paths: bool = False) -> GenerationRequest:  # fmt: skip
        """Build and validate a request from the job-file structure (see README).

        `base_dir` is the job file's folder: pose files are read from it, and from elsewhere
        only with `allow_outside_paths` (the CLI's --allow-outside-paths).
        """
        if not isinstance(data, dict):
            raise RequestError("the job must be a JSON object with at least 'text' or 'tracks'")
        known = {
            "seconds",
            "fps",
            "seed",
            "steps",
            "guidance",
            "text",
            "tracks",
            "constraints",
            "edits",
            "start",
            "end",
        }
        unknown = sorted(set(data) - known - CAST_FIELDS)
        if unknown:
            raise RequestError(f"unknown job field(s) {', '.join(unknown)}; "
                               f"known fields: {', '.join(sorted(known | CAST_FIELDS))}")  # fmt: skip
        if CAST_FIELDS & set(data):
            raise RequestError("this job has 'characters': it makes one motion per character; use "
                               "engine.characters (python -m engine generate --job JOB --out FOLDER/)")  # fmt: skip
        seconds = _number(data.get("seconds", 6.0), "seconds")
        fps = _number(data.get("fps", DEFAULT_FPS), "fps")
        tracks = data.get("tracks") or []
        if not isinstance(tracks, list):
            raise RequestError("'tracks' must be a list of {text, start, end, body_parts}")
        if data.get("text") is not None:
            tracks = [{"text": data["text"], "start": 0.0, "end": seconds}] + list(tracks)
        if not tracks:
            raise RequestError("the request has no text: give 'text' or at least one track")
        check_count("tracks", len(tracks), "tracks")
        constraints = data.get("constraints") or []
        if not isinstance(constraints, list) or not all(isinstance(c, dict) for c in constraints):
            raise RequestError("'constraints' must be a list of objects with a 'type'")
        check_count("constraints", len(constraints), "constraints")  # before parsing any of them
        _check_range(seconds, fps)
        return cls(
            seconds=seconds,
            fps=fps,
            seed=_integer(data.get("seed", 0), "seed"),
            steps=None if data.get("steps") is None else _integer(data["steps"], "steps"),
            guidance=None if data.get("guidance") is None else _number(data["guidance"], "guidance"),
            tracks=tracks,
            constraints=parse_items(constraints, seconds, fps, base_dir, allow_outside_paths),
            edits=data.get("edits") or [],
            start=data.get("start", "auto"),
            end=data.get("end", "auto"),
        )

    @classmethod
    def from_json_file(cls, path: str | Path) -> GenerationRequest:
        path = Path(path)
        return cls.from_dict(read_json_file(path, "job file"), base_dir=path.parent)  # within the JSON limits

    def validate(self) -> None:
        """The scalar fields and the track count (the rest is checked as it is typed in __post_init__)."""
        _check_range(self.seconds, self.fps)
        if not 0 <= self.seed <= as_int("seed"):
            raise RequestError(f"seed must be a whole number from 0 to 2^63 - 1 (got {self.seed})")
        if self.steps is not None and not 1 <= self.steps <= as_int("steps"):
            raise RequestError(f"steps must be between 1 and {as_int('steps')} (got {self.steps})")
        if self.guidance is not None and not 0 <= self.guidance <= 20:
            raise RequestError(f"guidance must be between 0 and 20 (got {self.guidance:g})")
        if not self.tracks:
            raise RequestError("the request has no text: give 'text' or at least one track")
        check_count("tracks", len(self.tracks), "tracks")

    @property
    def text(self) -> str:
        """The prompts joined, for naming results."""
        return "; ".join(t.text for t in self.tracks)

    def to_dict(self) -> dict[str, Any]:
        """The job-file structure (round-trips through from_dict); pose files are inlined."""
        return {
            "seconds": self.seconds, "fps": self.fps, "seed": self.seed, "steps": self.steps,
            "guidance": self.guidance, "tracks": [asdict(t) for t in self.tracks],
            "constraints": [dict(c.source) for c in self.constraints], "edits": [e.to_dict() for e in self.edits],
            "start": self.start, "end": self.end,  # resolved ("free" or "rest"): a regenerate repeats the choice
        }  # fmt: skip


def _check_range(seconds: float, fps: float) -> None:
    if not 0 < seconds <= MAX_SECONDS:
        raise RequestError(f"seconds must be > 0 and at most {MAX_SECONDS:g} (got {seconds:g})")
    if not as_int("fps_min") <= fps <= as_int("fps_max"):
        raise RequestError(f"fps must be between {as_int('fps_min')} and {as_int('fps_max')} (got {fps:g})")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(f"{name} must be a finite number (got {value!r})")
    return float(value)


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise RequestError(f"{name} must be an integer (got {value!r})")
    return value


def _track(data: Any, index: int, req: GenerationRequest) -> Track:
    if not isinstance(data, dict):
        raise RequestError(f"track {index} must be an object with text, start, end")
    text = data.get("text")
    label = f"track {index}"
    if not isinstance(text, str) or not text.strip():
        raise RequestError(f"{label} has no text: type what the character should do")
    text = " ".join(text.split())
    label = f"track {index} ({text[:40]!r})"
    if len(text) > MAX_PROMPT_CHARS:
        req.warnings.append(f"{label}: prompt truncated from {len(text)} to {MAX_PROMPT_CHARS} characters")
        text = text[:MAX_PROMPT_CHARS]
    start = _number(data.get("start", 0.0), f"{label} start")
    end = _number(data.get("end", req.seconds), f"{label} end")
    if start < 0:
        raise RequestError(f"{label} starts at {start:g} s: times must not be negative")
    if start >= end:
        raise RequestError(f"{label} starts at {start:g} s, not before its end at {end:g} s")
    if end > req.seconds + 1e-6:
        raise RequestError(f"{label} ends at {end:g} s, beyond the {req.seconds:g} s duration")
    parts = data.get("body_parts") or []
    if not isinstance(parts, list):
        raise RequestError(f"{label}: body_parts must be a list such as ['legs', 'right_arm']")
    for part in parts:
        if part not in BODY_PART_NAMES:
            raise RequestError(f"{label}: unknown body part {part!r}; use {', '.join(BODY_PART_NAMES)}")
    unknown = sorted(set(data) - {"text", "start", "end", "body_parts"})
    if unknown:
        raise RequestError(f"{label}: unknown field(s) {', '.join(unknown)}")
    return Track(text=text, start=start, end=end, body_parts=list(parts))
