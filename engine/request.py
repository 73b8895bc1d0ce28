"""GenerationRequest: what the panel, the job file and the CLI all describe.

Validation happens here, at the boundary, so every later stage can trust the
request. Errors are RequestError with a message naming the field to fix.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .edits import check_edit
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


@dataclass
class GenerationRequest:
    seconds: float = 6.0
    fps: float = DEFAULT_FPS
    seed: int = 0
    steps: int | None = None  # None: the model's default
    guidance: float | None = None  # None: the model's default
    tracks: list[Track] = field(default_factory=list)
    constraints: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)  # engine.edits, applied after generating
    warnings: list[str] = field(default_factory=list, compare=False)

    @classmethod
    def from_text(cls, text: str, seconds: float = 6.0, **kwargs: Any) -> GenerationRequest:
        return cls.from_dict({"text": text, "seconds": seconds, **kwargs})

    @classmethod
    def from_dict(cls, data: dict[str, Any], base_dir: Path | None = None) -> GenerationRequest:
        """Build and validate a request from the job-file structure (see README)."""
        if not isinstance(data, dict):
            raise RequestError("the job must be a JSON object with at least 'text' or 'tracks'")
        known = {"seconds", "fps", "seed", "steps", "guidance", "text", "tracks", "constraints", "edits"}
        unknown = sorted(set(data) - known - CAST_FIELDS)
        if unknown:
            raise RequestError(f"unknown job field(s) {', '.join(unknown)}; "
                               f"known fields: {', '.join(sorted(known | CAST_FIELDS))}")  # fmt: skip
        if CAST_FIELDS & set(data):
            raise RequestError("this job has 'characters': it makes one motion per character; use "
                               "engine.characters (python -m engine generate --job JOB --out FOLDER/)")  # fmt: skip
        req = cls(
            seconds=_number(data.get("seconds", 6.0), "seconds"),
            fps=_number(data.get("fps", DEFAULT_FPS), "fps"),
            seed=_integer(data.get("seed", 0), "seed"),
            steps=None if data.get("steps") is None else _integer(data["steps"], "steps"),
            guidance=None if data.get("guidance") is None else _number(data["guidance"], "guidance"),
        )
        tracks = data.get("tracks") or []
        if not isinstance(tracks, list):
            raise RequestError("'tracks' must be a list of {text, start, end, body_parts}")
        if data.get("text") is not None:
            tracks = [{"text": data["text"], "start": 0.0, "end": req.seconds}] + list(tracks)
        req.tracks = [_track(t, i, req) for i, t in enumerate(tracks)]
        constraints = data.get("constraints") or []
        if not isinstance(constraints, list) or not all(isinstance(c, dict) for c in constraints):
            raise RequestError("'constraints' must be a list of objects with a 'type'")
        req.constraints = [dict(c, _base_dir=str(base_dir)) if base_dir else dict(c) for c in constraints]
        edits = data.get("edits") or []
        if not isinstance(edits, list):
            raise RequestError("'edits' must be a list of objects with an 'op'")
        req.edits = [check_edit(e, f"edit {i + 1}") for i, e in enumerate(edits)]
        req.validate()
        return req

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
        if not 0 < self.seconds <= MAX_SECONDS:
            raise RequestError(f"seconds must be > 0 and at most {MAX_SECONDS:g} (got {self.seconds:g})")
        if not 1 <= self.fps <= 240:
            raise RequestError(f"fps must be between 1 and 240 (got {self.fps:g})")
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
        """The job-file structure (round-trips through from_dict)."""
        d = asdict(self)
        d.pop("warnings")
        d["constraints"] = [{k: v for k, v in c.items() if not k.startswith("_")} for c in self.constraints]
        return d


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
