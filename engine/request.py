"""GenerationRequest: what the panel, the job file and the CLI all describe.

A request is parsed and validated once, when it is built (from_dict, or the
constructor through __post_init__): tracks checked, constraints and edits
turned into typed objects (engine.constraints.types, engine.edits) with file
references read and checked. Every later stage trusts it. Errors are
RequestError with a message naming the field to fix. `to_dict` gives the
job-file form back, self-contained (pose files inlined), for provenance.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .constraints.parse import parse_items
from .constraints.standing import check_end, rest_keyframes
from .constraints.types import ConstraintSet
from .edits import Edit, check_against_length, parse_edit
from .errors import RequestError
from .skeleton import BODY_PART_NAMES

MAX_PROMPT_CHARS = 1000
MAX_TRACKS = 64
MAX_SECONDS = 600.0
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
    start: str = "free"  # "rest": the clip begins in the neutral standing pose (constraints.standing)
    end: str = "free"  # "rest": ... and ends in it

    def __post_init__(self) -> None:
        """Validate and type everything once; typed items pass through, so `replace` stays cheap."""
        self.validate()
        self.start, self.end = check_end(self.start, "start"), check_end(self.end, "end")
        self.tracks = [_track(t if isinstance(t, dict) else asdict(t), i, self) for i, t in enumerate(self.tracks)]
        if not isinstance(self.constraints, list):
            raise RequestError("'constraints' must be a list of objects with a 'type'")
        self.constraints = parse_items(self.constraints, self.seconds, self.fps)
        if not isinstance(self.edits, list):
            raise RequestError("'edits' must be a list of objects with an 'op'")
        self.edits = [parse_edit(e, f"edit {i + 1}") for i, e in enumerate(self.edits)]
        check_against_length(self.edits, int(round(self.seconds * self.fps)) + 1, self.fps)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GenerationRequest) and self.to_dict() == other.to_dict()

    def constraint_set(self) -> ConstraintSet:
        """The constraints sorted by kind, for guidance and clean-up (with the standing pose "start"/"end" ask)."""
        cset = ConstraintSet.of(self.constraints)
        cset.keyframes.extend(rest_keyframes(self.start, self.end, self.seconds))
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
        constraints = data.get("constraints") or []
        if not isinstance(constraints, list) or not all(isinstance(c, dict) for c in constraints):
            raise RequestError("'constraints' must be a list of objects with a 'type'")
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
            start=data.get("start", "free"),
            end=data.get("end", "free"),
        )

    @classmethod
    def from_json_file(cls, path: str | Path) -> GenerationRequest:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RequestError(f"job file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RequestError(f"cannot read job file {path}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise RequestError(f"job file {path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        return cls.from_dict(data, base_dir=path.parent)

    def validate(self) -> None:
        """The scalar fields and the track count (the rest is checked as it is typed in __post_init__)."""
        _check_range(self.seconds, self.fps)
        if self.steps is not None and not 1 <= self.steps <= 1000:
            raise RequestError(f"steps must be between 1 and 1000 (got {self.steps})")
        if self.guidance is not None and not 0 <= self.guidance <= 20:
            raise RequestError(f"guidance must be between 0 and 20 (got {self.guidance:g})")
        if not self.tracks:
            raise RequestError("the request has no text: give 'text' or at least one track")
        if len(self.tracks) > MAX_TRACKS:
            raise RequestError(f"{len(self.tracks)} tracks is more than the limit of {MAX_TRACKS}")

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
        } | {k: v for k, v in (("start", self.start), ("end", self.end)) if v != "free"}  # fmt: skip


def _check_range(seconds: float, fps: float) -> None:
    if not 0 < seconds <= MAX_SECONDS:
        raise RequestError(f"seconds must be > 0 and at most {MAX_SECONDS:g} (got {seconds:g})")
    if not 1 <= fps <= 240:
        raise RequestError(f"fps must be between 1 and 240 (got {fps:g})")


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
