"""Interactions between characters: the job file's `interactions` list, validated into typed entries.

`contact`: two joints of two characters meet (or keep `distance` metres) over
[start, end]; `apart`: bodies never closer than `min_distance` except where a
contact asks for it; `face`: a character turns towards another over a range.
Every mistake is a RequestError naming the interaction and the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import RequestError
from ..skeleton import CANONICAL

FIELDS = {
    "contact": {"type", "a", "b", "start", "end", "time", "distance", "weight"},
    "apart": {"type", "min_distance", "between", "weight"},
    "face": {"type", "a", "b", "start", "end", "time", "weight"},
}
DEFAULT_MIN_DISTANCE = 0.3  # m between the two skeletons' bone segments
MAX_CONTACT_DISTANCE = 2.0  # m: "keep this far" beyond this is not a contact


@dataclass(frozen=True)
class JointRef:
    """'name.joint': a character's canonical joint."""

    character: str
    joint: int

    def __str__(self) -> str:
        return f"{self.character}.{CANONICAL.names[self.joint]}"


@dataclass
class Contact:
    a: JointRef
    b: JointRef
    start: float
    end: float
    distance: float = 0.0
    weight: float = 1.0
    label: str = "contact"


@dataclass
class Apart:
    min_distance: float = DEFAULT_MIN_DISTANCE
    between: tuple[str, ...] = ()  # empty: every pair of characters
    weight: float = 1.0
    label: str = "apart"

    def applies(self, a: str, b: str) -> bool:
        return not self.between or (a in self.between and b in self.between)


@dataclass
class Face:
    a: str  # who turns
    b: str  # towards whom
    start: float
    end: float
    weight: float = 1.0
    label: str = "face"


Interaction = Contact | Apart | Face


def parse_interactions(items: Any, names: list[str], seconds: float) -> list[Interaction]:
    """Validate the `interactions` list against the characters' names and the clip length."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise RequestError("'interactions' must be a list of objects with a 'type' (contact, apart, face)")
    out: list[Interaction] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise RequestError(f"interaction {i} must be an object with a 'type' (contact, apart, face)")
        kind = item.get("type")
        if kind not in FIELDS:
            raise RequestError(f"interaction {i} has unknown type {kind!r}; use one of: {', '.join(FIELDS)}")
        label = f"interaction {i} ({kind})"
        unknown = sorted(set(item) - FIELDS[kind])
        if unknown:
            raise RequestError(f"{label}: unknown field(s) {', '.join(unknown)}; "
                               f"known: {', '.join(sorted(FIELDS[kind]))}")  # fmt: skip
        weight = _number(item.get("weight", 1.0), label, "weight")
        if weight < 0:
            raise RequestError(f"{label}: weight must not be negative (got {weight:g})")
        if kind == "contact":
            a, b = _joint_ref(item.get("a"), names, label, "a"), _joint_ref(item.get("b"), names, label, "b")
            if a.character == b.character:
                raise RequestError(f"{label}: {a} and {b} belong to the same character; "
                                   "a contact joins two different characters")  # fmt: skip
            start, end = _span(item, seconds, label)
            distance = _number(item.get("distance", 0.0), label, "distance")
            if not 0.0 <= distance <= MAX_CONTACT_DISTANCE:
                raise RequestError(f"{label}: distance must be between 0 and {MAX_CONTACT_DISTANCE:g} m "
                                   f"(got {distance:g})")  # fmt: skip
            out.append(Contact(a, b, start, end, distance, weight, f"{label} {a}-{b}"))
        elif kind == "apart":
            dist = _number(item.get("min_distance", DEFAULT_MIN_DISTANCE), label, "min_distance")
            if not 0.0 < dist <= 5.0:
                raise RequestError(f"{label}: min_distance must be above 0 and at most 5 m (got {dist:g})")
            between = item.get("between") or []
            if not isinstance(between, list) or not all(isinstance(n, str) for n in between):
                raise RequestError(f"{label}: between must be a list of character names")
            for n in between:
                _character(n, names, label)
            out.append(Apart(dist, tuple(between), weight, label))
        else:
            a, b = _character(item.get("a"), names, label), _character(item.get("b"), names, label)
            if a == b:
                raise RequestError(f"{label}: {a} cannot face itself; b names another character")
            start, end = _span(item, seconds, label)
            out.append(Face(a, b, start, end, weight, f"{label} {a}->{b}"))
    return out


def _number(value: Any, label: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(f"{label}: {name} must be a finite number (got {value!r})")
    return float(value)


def _character(name: Any, names: list[str], label: str) -> str:
    if name not in names:
        raise RequestError(f"{label}: unknown character {name!r}; characters: {', '.join(names)}")
    return name


def _joint_ref(value: Any, names: list[str], label: str, key: str) -> JointRef:
    if not isinstance(value, str) or "." not in value:
        raise RequestError(f"{label}: {key} must be 'character.joint' such as '{names[0]}.right_wrist' "
                           f"(got {value!r})")  # fmt: skip
    who, joint = value.rsplit(".", 1)
    _character(who, names, f"{label} {key}")
    if joint not in CANONICAL.names:
        raise RequestError(f"{label} {key}: unknown joint {joint!r}; joints: {', '.join(CANONICAL.names)}")
    return JointRef(who, CANONICAL.index(joint))


def _span(item: dict, seconds: float, label: str) -> tuple[float, float]:
    if "time" in item:
        if "start" in item or "end" in item:
            raise RequestError(f"{label}: give either 'time' or 'start'/'end', not both")
        t = _time(item["time"], seconds, label, "time")
        return t, t
    start = _time(item.get("start", 0.0), seconds, label, "start")
    end = _time(item.get("end", seconds), seconds, label, "end")
    if end < start:
        raise RequestError(f"{label}: end {end:g} s is before start {start:g} s")
    return start, end


def _time(value: Any, seconds: float, label: str, name: str) -> float:
    t = _number(value, label, name)
    if not -1e-6 <= t <= seconds + 1e-6:
        raise RequestError(f"{label}: {name} {t:g} s is outside the clip (0 to {seconds:g} s)")
    return min(max(t, 0.0), seconds)
