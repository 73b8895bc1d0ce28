"""Edits as typed data: a request may end with a list of edits, replayed after generating it.

Keeping the recipe (request + edits) instead of frames makes edited results
small, reproducible and re-editable: the same recipe gives the same frames,
in the panel (stored on the Action), in job files and on the command line.
Each edit is parsed and checked here when the request is built; the
operations that run them are engine.pipeline.edit_ops, on the pipeline's
per-window sampler. Frame numbers are frames of the motion at the request's fps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from .errors import RequestError

DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class Edit:
    """What every edit has: the prompt for the new part and its own sampler settings (None: the model's)."""

    text: str
    seed: int = 0
    steps: int | None = None
    guidance: float | None = None
    op: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """The job-file form (round-trips through parse_edit); defaults left out, as a user would write it."""
        out: dict[str, Any] = {"op": self.op}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in REQUIRED[self.op] or value != f.default:
                out[f.name] = value
        return out

    def frames_added_before(self, fps: float) -> int:
        """Frames this edit puts before the motion's first frame (a backward extend), so callers can place it."""
        return 0

    def frames_after(self, frames: int, fps: float) -> int:
        """The motion's frame count after this edit, given the count before."""
        return frames


@dataclass(frozen=True)
class RegenerateRange(Edit):
    """Frames [start, end) generated anew from `text`; every other frame stays bit-identical."""

    start: int = 0
    end: int = 0
    op: ClassVar[str] = "regenerate_range"


@dataclass(frozen=True)
class Extend(Edit):
    """`seconds` of new motion after the last frame (forward) or before the first (backward)."""

    seconds: float = 0.0
    direction: str = "forward"
    op: ClassVar[str] = "extend"

    def frames_added_before(self, fps: float) -> int:
        return extension_frames(self.seconds, fps) if self.direction == "backward" else 0

    def frames_after(self, frames: int, fps: float) -> int:
        return frames + extension_frames(self.seconds, fps)


@dataclass(frozen=True)
class Restyle(Edit):
    """The motion re-performed as `text`, keeping its timing and root path; `strength` 0 keeps it, 1 resamples."""

    strength: float = 0.5
    op: ClassVar[str] = "restyle"


OPS: dict[str, type[Edit]] = {cls.op: cls for cls in (RegenerateRange, Extend, Restyle)}
#: op -> keys a job must give
REQUIRED: dict[str, tuple[str, ...]] = {"regenerate_range": ("start", "end", "text"), "extend": ("seconds", "text"),
                                        "restyle": ("text",)}  # fmt: skip


def extension_frames(seconds: float, fps: float) -> int:
    """Frames `extend` adds for `seconds` at the motion's `fps`."""
    return int(round(seconds * fps))


def parse_edit(edit: Any, label: str = "edit") -> Edit:
    """A typed edit from its job-file form, or RequestError naming what to fix."""
    if isinstance(edit, Edit):
        return edit
    if not isinstance(edit, dict):
        raise RequestError(f"{label} must be an object with an 'op' (got {type(edit).__name__})")
    op = edit.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise RequestError(f"{label}: unknown op {op!r}; use one of {', '.join(OPS)}")
    cls = OPS[op]
    names = [f.name for f in fields(cls)]
    missing = [k for k in REQUIRED[op] if k not in edit]
    if missing:
        raise RequestError(f"{label} ({op}) needs {', '.join(missing)}")
    unknown = sorted(set(edit) - {"op", *names})
    if unknown:
        raise RequestError(f"{label} ({op}) does not take {', '.join(unknown)}; it takes {', '.join(names)}")
    text = edit["text"]
    if not isinstance(text, str) or not text.strip():
        raise RequestError(f"{label} ({op}): 'text' must say what the character does in the edited part")
    values: dict[str, Any] = {"text": " ".join(text.split())}
    values["seed"] = _integer(edit.get("seed", 0), f"{label} ({op}) seed")
    if edit.get("steps") is not None:
        values["steps"] = _integer(edit["steps"], f"{label} ({op}) steps", 1, 1000)
    if edit.get("guidance") is not None:
        values["guidance"] = _number(edit["guidance"], f"{label} ({op}) guidance", 0.0, 20.0)
    if cls is RegenerateRange:
        values["start"] = _integer(edit["start"], f"{label} ({op}) start", 0)
        values["end"] = _integer(edit["end"], f"{label} ({op}) end", 1)
        if values["end"] <= values["start"]:
            raise RequestError(f"{label} ({op}): end {values['end']} must be after start {values['start']}")
    elif cls is Extend:
        values["seconds"] = _number(edit["seconds"], f"{label} ({op}) seconds", 0.0, None)
        if values["seconds"] <= 0:
            raise RequestError(f"{label} ({op}): seconds to extend must be a positive number")
        direction = edit.get("direction", "forward")
        if direction not in DIRECTIONS:
            raise RequestError(f"{label} ({op}): direction must be 'forward' or 'backward' (got {direction!r})")
        values["direction"] = direction
    else:
        values["strength"] = _number(edit.get("strength", 0.5), f"{label} ({op}) strength", 0.0, 1.0)
    return cls(**values)


def check_against_length(edits: list[Edit], frames: int, fps: float) -> None:
    """Every frame range inside the motion as it is when that edit runs (extends change the length)."""
    for i, e in enumerate(edits, start=1):
        if isinstance(e, RegenerateRange) and e.end > frames:
            raise RequestError(f"edit {i} (regenerate_range): range {e.start}-{e.end} is not inside the motion's "
                               f"frames 0-{frames}: give 0 <= start < end <= {frames}")  # fmt: skip
        frames = e.frames_after(frames, fps)


def _number(value: Any, name: str, low: float | None, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(f"{name} must be a finite number (got {value!r})")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
        raise RequestError(f"{name} must be {bounds} (got {value!r})")
    return float(value)


def _integer(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{name} must be an integer (got {value!r})")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise RequestError(f"{name} must be {bounds} (got {value})")
    return value
