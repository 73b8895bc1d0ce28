"""The cast: a job file's `characters` (and `interactions`) validated into per-character requests.

Each character takes every field a single job takes (text or tracks,
constraints, edits, seed, guidance, start and end) plus `name`, `position` [x, y] and
`facing` (degrees, 0 faces -Y, 90 faces +X). The job's seconds, fps and steps
are shared: characters are sampled in lockstep on one clock. Constraints are
in the shared world frame. Crowd entries expand into planned walkers.
Feasibility problems that are not errors (contacts that cannot hold, bodies
that start inside each other) become warnings with their residual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..constraints.coordinates import WindowFrame, choose_frame
from ..constraints.types import ConstraintSet
from ..errors import RequestError
from ..io.json_input import read_json_file
from ..limits import as_int
from ..prompt_words import stays_put
from ..request import GenerationRequest
from ..skeleton import CANONICAL
from .crowd import Crowd, parse_crowd
from .interactions import Apart, Contact, Interaction, parse_interactions
from .planner import Plan, plan_paths

JOB_FIELDS = {"seconds", "fps", "seed", "steps", "guidance", "characters", "interactions"}
CHARACTER_FIELDS = {"name", "position", "facing", "stays", "text", "tracks", "constraints", "edits", "seed",
                    "guidance", "steps", "seconds", "fps", "start", "end"}  # fmt: skip
MAX_CHARACTERS = as_int("characters")  # engine.limits: the stated limits
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
MAX_TRAVEL_SPEED = 4.0  # m/s: how far guidance may move a character towards a contact (as for joint targets)
GOAL_SLACK = 1.0  # m: a crowd member ending farther than this from its goal is reported
PLAN_POINT_EVERY = 0.5  # s between the root-path waypoints a crowd member follows


@dataclass
class Character:
    name: str
    request: GenerationRequest  # its own prompts, constraints (world frame) and edits; the job's clock
    frame: WindowFrame  # where it starts in the world and which way it faces
    crowd: str | None = None  # the crowd entry it came from
    stays: bool | None = None  # stands where it is while partners come to it; None: the job left it out


@dataclass
class Cast:
    seconds: float
    fps: float
    seed: int
    steps: int | None
    guidance: float | None
    characters: list[Character]
    interactions: list[Interaction]
    warnings: list[str] = field(default_factory=list)
    plan: Plan | None = None  # crowd paths, when the job has crowds
    plan_names: list[str] = field(default_factory=list)  # the characters the plan's rows belong to
    job: dict = field(default_factory=dict, repr=False)  # the job as given, for provenance

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.characters]

    def character(self, name: str) -> Character:
        return self.characters[self.names.index(name)]

    @property
    def all_warnings(self) -> list[str]:
        """The cast's warnings, then each character's own (its request's: an idle prompt stood up, constraints
        that contradict each other, ...), each with the character's name."""
        return self.warnings + [f"{c.name}: {w}" for c in self.characters for w in c.request.warnings]


def is_cast(data: Any) -> bool:
    """A job with `characters` (or `interactions`) is a cast; anything else is a single-character job."""
    return isinstance(data, dict) and ("characters" in data or "interactions" in data)


def load_cast(path: str | Path) -> Cast:
    path = Path(path)
    return parse_cast(read_json_file(path, "job file"), base_dir=path.parent)


def parse_cast(data: dict, base_dir: Path | None = None, allow_outside_paths: bool = False) -> Cast:
    """Validate a cast job: characters (crowds expanded and planned), interactions, feasibility warnings."""
    if not isinstance(data, dict):
        raise RequestError("the job must be a JSON object")
    if "text" in data or "tracks" in data:
        raise RequestError("a job with 'characters' gives each character its own 'text' or 'tracks'; "
                           "move the top-level text into a character")  # fmt: skip
    unknown = sorted(set(data) - JOB_FIELDS)
    if unknown:
        raise RequestError(f"unknown job field(s) {', '.join(unknown)} next to 'characters'; "
                           f"known: {', '.join(sorted(JOB_FIELDS))} (per-character fields go inside each character)")  # fmt: skip
    entries = data.get("characters")
    if not isinstance(entries, list) or not entries:
        raise RequestError("'characters' must be a non-empty list of characters or {'crowd': {...}} entries")
    shared = GenerationRequest.from_dict({k: data[k] for k in ("seconds", "fps", "seed", "steps", "guidance")
                                          if k in data} | {"text": "shared clock"})  # fmt: skip
    cast = Cast(shared.seconds, shared.fps, shared.seed, shared.steps, shared.guidance, [], [], job=data)
    crowds: list[tuple[int, Crowd]] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, dict) and "crowd" in entry:
            if set(entry) != {"crowd"}:
                raise RequestError(f"characters[{i}]: a crowd entry holds only 'crowd' (got {', '.join(entry)})")
            crowds.append((i, parse_crowd(entry["crowd"], i, cast.seconds, cast.seed)))
        else:
            cast.characters.append(_character(entry, i, cast, base_dir, allow_outside_paths))
    if crowds:
        _add_crowds(cast, crowds)
    if len(cast.characters) > MAX_CHARACTERS:
        raise RequestError(f"{len(cast.characters)} characters is more than the limit of {MAX_CHARACTERS}")
    seen: set[str] = set()
    for c in cast.characters:
        if c.name in seen:
            raise RequestError(f"two characters are named {c.name!r}; give each character its own name")
        seen.add(c.name)
    cast.interactions = parse_interactions(data.get("interactions"), cast.names, cast.seconds)
    cast.warnings.extend(_infer_stays(cast))
    cast.warnings.extend(feasibility_warnings(cast))
    return cast


def _infer_stays(cast: Cast) -> list[str]:
    """Characters in a contact whose job leaves `stays` out stay when their prompt says they stand, wait or sit
    and nothing of going (prompt_words.py); one line each saying so and how to undo it."""
    touching = {r.character for it in cast.interactions if isinstance(it, Contact) for r in (it.a, it.b)}
    out = []
    for c in cast.characters:
        texts = [t.text for t in c.request.tracks]
        if c.stays is None and c.name in touching and stays_put(texts):
            c.stays = True
            out.append(f"{c.name} stays where it is during its contacts, as its prompt says ({texts[0]!r}); "
                       'set "stays": false to have it meet its partner halfway')  # fmt: skip
    return out


def _character(entry: Any, index: int, cast: Cast, base_dir: Path | None, allow_outside_paths: bool) -> Character:
    label = f"characters[{index}]"
    if not isinstance(entry, dict):
        raise RequestError(f"{label} must be an object with name, text or tracks, position and facing")
    name = entry.get("name", f"character{index + 1}")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise RequestError(f"{label}: name must start with a letter and hold only letters, digits, '_' or '-' "
                           f"(at most 40; got {name!r}); it names the output file")  # fmt: skip
    label = f"character {name!r}"
    unknown = sorted(set(entry) - CHARACTER_FIELDS)
    if unknown:
        raise RequestError(f"{label}: unknown field(s) {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(CHARACTER_FIELDS))}")  # fmt: skip
    for key, value in (("seconds", cast.seconds), ("fps", cast.fps), ("steps", cast.steps)):
        if key in entry and entry[key] != value:
            raise RequestError(f"{label}: {key} {entry[key]!r} differs from the job's {value!r}; "
                               "characters share one clock (set it once at the top of the job)")  # fmt: skip
    fields = {k: entry[k] for k in ("text", "tracks", "constraints", "edits", "guidance", "start", "end") if k in entry}
    fields |= {"seconds": cast.seconds, "fps": cast.fps, "steps": cast.steps,
               "seed": entry.get("seed", cast.seed + index)}  # fmt: skip
    if "guidance" not in entry:
        fields["guidance"] = cast.guidance
    try:
        request = GenerationRequest.from_dict(fields, base_dir=base_dir, allow_outside_paths=allow_outside_paths)
    except RequestError as exc:
        raise RequestError(f"{label}: {exc}") from None
    position = _xy(entry.get("position", [float(index), 0.0]), label)
    facing = entry.get("facing", 0.0)
    if isinstance(facing, bool) or not isinstance(facing, (int, float)) or not np.isfinite(facing):
        raise RequestError(f"{label}: facing must be degrees (0 faces -Y, 90 faces +X), got {facing!r}")
    frame = WindowFrame((float(position[0]), float(position[1])), float(np.deg2rad(facing)))
    cset = request.constraint_set()
    if pins_start(cset, request.fps):  # a root path or keyframe at time 0 says where it starts
        pinned = choose_frame(cset, request.fps)
        if ("position" in entry or "facing" in entry) and not _same(pinned, frame):
            request.warnings.append("its constraints pin where it starts at 0 s; position and facing are ignored")
        frame = pinned
    stays = entry.get("stays")
    if stays is not None and not isinstance(stays, bool):
        raise RequestError(f"{label}: stays must be true or false (got {stays!r})")
    return Character(name, request, frame, stays=stays)


def pins_start(cset: ConstraintSet, fps: float) -> bool:
    """True when a keyframe or root path fixes where the character is at time 0 (coordinates.choose_frame); the
    standing start does not (it takes the heading and the place the body has)."""
    half = 0.5 / fps
    return any(k.time < half and k.places for k in cset.keyframes) or any(
        p.times[0] < half and p.places for p in cset.paths
    )


def placed_anywhere(cset: ConstraintSet) -> bool:
    """True when some constraint is in the world frame (everything but the standing start and end, the hold in
    place and a foot plant wherever the foot lands)."""
    placed = [*cset.keyframes, *cset.paths]
    return bool(cset.joints or cset.functions or any(p.position is not None for p in cset.plants)) or any(
        c.places for c in placed
    )


def _same(a: WindowFrame, b: WindowFrame) -> bool:
    turn = (a.yaw - b.yaw + np.pi) % (2 * np.pi) - np.pi
    return bool(np.allclose(a.origin, b.origin, atol=0.05) and abs(turn) < np.deg2rad(5))


def _xy(value: Any, label: str) -> np.ndarray:
    try:
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        v = np.zeros(0)
    if v.shape != (2,) or not np.all(np.isfinite(v)) or np.any(np.abs(v) > 1e4):
        raise RequestError(f"{label}: position must be [x, y] in metres (got {value!r})")
    return v


def _add_crowds(cast: Cast, crowds: list[tuple[int, Crowd]]) -> None:
    """Plan every crowd's paths together, then add each person as a character following its path."""
    agents = [a for _, crowd in crowds for a in crowd.agents]
    spacing = max(crowd.spacing for _, crowd in crowds)
    plan = plan_paths(agents, cast.seconds, spacing)
    every = max(1, int(round(PLAN_POINT_EVERY / (plan.times[1] - plan.times[0])))) if len(plan.times) > 1 else 1
    keep = np.unique(np.append(np.arange(0, len(plan.times), every), len(plan.times) - 1))
    row = 0
    for _, crowd in crowds:
        for k in range(len(crowd.agents)):
            path = plan.paths[row]
            t = np.minimum(plan.times[keep], cast.seconds)
            points = [[float(t[i]), float(path[j, 0]), float(path[j, 1])] for i, j in enumerate(keep)]
            points = [p for i, p in enumerate(points) if i == 0 or p[0] > points[i - 1][0]]
            request = GenerationRequest.from_dict({
                "text": crowd.prompts[k], "seconds": cast.seconds, "fps": cast.fps, "steps": cast.steps,
                "guidance": cast.guidance, "seed": crowd.seeds[k],
                "constraints": [{"type": "root_path", "points": points}],
            })  # fmt: skip
            cset = request.constraint_set()
            name = f"{crowd.prefix}_{k + 1:02d}"
            cast.characters.append(Character(name, request, choose_frame(cset, cast.fps), crowd=crowd.label))
            cast.plan_names.append(name)
            row += 1
    cast.plan = plan
    goals = np.stack([a.goal for a in agents])
    short = np.linalg.norm(plan.paths[:, -1] - goals, axis=-1)
    for k in np.flatnonzero(short > GOAL_SLACK):
        cast.warnings.append(f"{cast.plan_names[k]} ends {short[k]:.1f} m short of its goal (crowded or too little "
                             "time): give the crowd more room, time or speed")  # fmt: skip
    if plan.min_distance < spacing - 0.1:  # smoothing the paths may take a few centimetres
        cast.warnings.append(f"crowd paths come within {plan.min_distance:.2f} m of each other (spacing "
                             f"{spacing:g} m): the areas are crowded; spread them out")  # fmt: skip


def joint_reach(joint: int) -> float:
    """Longest distance a joint can be from the pelvis (the bone lengths along its chain)."""
    total, j = 0.0, joint
    while j > 0:
        total += float(np.linalg.norm(CANONICAL.offsets[j]))
        j = CANONICAL.parents[j]
    return total


def feasibility_warnings(cast: Cast) -> list[str]:
    """Contacts that cannot hold given where the characters start and how soon, and bodies that start overlapping."""
    out = []
    for it in cast.interactions:
        if isinstance(it, Contact):
            a, b = cast.character(it.a.character).frame, cast.character(it.b.character).frame
            gap = float(np.linalg.norm(np.subtract(a.origin, b.origin)))
            walkers = sum(not cast.character(r.character).stays for r in (it.a, it.b))
            can = (
                walkers * MAX_TRAVEL_SPEED * it.start + joint_reach(it.a.joint) + joint_reach(it.b.joint) + it.distance
            )
            if gap > can:
                why = "both stay, and their arms do not reach" if not walkers else f"cannot meet by {it.start:g} s"
                out.append(f"{it.label}: the two start {gap:.1f} m apart and {why}; "
                           f"expect a residual of at least {gap - can:.1f} m")  # fmt: skip
        elif isinstance(it, Apart):
            for i, ca in enumerate(cast.characters):
                for cb in cast.characters[i + 1 :]:
                    d = float(np.linalg.norm(np.subtract(ca.frame.origin, cb.frame.origin)))
                    if it.applies(ca.name, cb.name) and d < it.min_distance + 0.25:
                        out.append(f"{it.label}: {ca.name} and {cb.name} start {d:.2f} m apart, inside each "
                                   f"other's body; move them apart")  # fmt: skip
    return out
