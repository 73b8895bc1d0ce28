"""Several characters onto several armatures: which armature plays whom, retargeting, one Action each.

Plain functions shared by the Cast panel's operators and the batch command.
Each armature object keeps its own place in the scene: a character's world
motion is expressed in its armature object's ground frame (location and Z
rotation) before retargeting, so everyone appears where the cast put them.
Writing is all or nothing: if one armature cannot take its Action, none of
the new Actions stays.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import bpy

from . import canonical_armature, results
from .engine_link import characters, errors, placement
from .generation import Channels

PROP_CAST = "motion_composer_cast"  # the whole cast job and which character this Action plays


@dataclass(frozen=True)
class CastTarget:
    name: str  # character
    target: results.Target
    origin: tuple[float, float]  # the armature object's ground position
    yaw: float  # and heading (radians about +Z)


def object_ground_frame(obj) -> tuple[tuple[float, float], float]:
    m = obj.matrix_world
    return (float(m[0][3]), float(m[1][3])), math.atan2(float(m[1][0]), float(m[0][0]))


def parse_mapping(text: str | None) -> dict[str, str]:
    """'ana=RigA,ben=RigB' -> {'ana': 'RigA', 'ben': 'RigB'} (a RequestError names the bad part)."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        name, sep, rig = part.partition("=")
        if not sep or not name.strip() or not rig.strip():
            raise errors.RequestError(f"--armature {text!r}: for a job with characters write "
                                      "name=Armature pairs, e.g. --armature ana=RigA,ben=RigB")  # fmt: skip
        out[name.strip()] = rig.strip()
    return out


def armatures_for(context, cast, mapping: dict[str, str], add_missing: bool = True) -> dict[str, object]:
    """Character name -> armature object: the mapping, else an armature named like the character, else
    (with `add_missing`) a new canonical armature named after it, standing where the character starts."""
    unknown = sorted(set(mapping) - set(cast.names))
    if unknown:
        raise errors.RequestError(f"--armature names {', '.join(unknown)}, not in the cast "
                                  f"(characters: {', '.join(cast.names)})")  # fmt: skip
    out = {}
    for c in cast.characters:
        wanted = mapping.get(c.name, c.name)
        obj = context.scene.objects.get(wanted)
        if obj is not None and obj.type != "ARMATURE":
            raise errors.RequestError(f"{wanted!r} (for {c.name}) is not an armature")
        if obj is None and c.name in mapping:
            known = ", ".join(o.name for o in context.scene.objects if o.type == "ARMATURE") or "none"
            raise errors.RequestError(f"no armature named {wanted!r} for {c.name} (armatures: {known})")
        if obj is None:
            if not add_missing:
                raise errors.RequestError(f"no armature for {c.name}: map one with --armature {c.name}=Rig")
            obj = canonical_armature.add_canonical_armature(context, name=c.name)
        out[c.name] = obj
    if len({o.name for o in out.values()}) < len(out):
        raise errors.RequestError("two characters are mapped to the same armature; give each its own")
    return out


def read_targets(armatures: dict[str, object], root_motion: str) -> list[CastTarget]:
    """Snapshot every armature on the main thread (RetargetError names the one that cannot take motion)."""
    out = []
    for name, obj in armatures.items():
        origin, yaw = object_ground_frame(obj)
        out.append(CastTarget(name, results.read_target(obj, root_motion), origin, yaw))
    return out


def converter(targets: list[CastTarget], fps: float):
    """Worker-thread function: {name: world Motion} -> {name: Channels} for each armature."""

    def convert(motions: dict) -> dict[str, Channels]:
        out = {}
        for t in targets:
            motion = placement.to_local(motions[t.name], t.origin, t.yaw)
            out[t.name] = results.to_channels(t.target, motion if motion.fps == fps else motion.resample(fps))
        return out

    return convert


def generate_motions(cast, progress=None, cancel=None, **runtime) -> dict:
    """GenerationJob's `generate` for a cast: all characters together."""
    return characters.generate_cast(cast, progress=progress, cancel=cancel, **runtime)


@dataclass
class CharacterResult:
    """What results.apply_results reads for one character (request, motion, channels)."""

    request: object
    motion: object
    channels: Channels


def apply_cast(context, targets: list[CastTarget], result, *, frame_start: int, placement: str, root_motion: str,
               objects: dict | None = None) -> list:  # fmt: skip
    """One new Action per armature (all or nothing); returns the Actions. `objects` maps characters to the
    armature objects to key (default: the armatures the targets were read from)."""
    cast = result.request
    written: list = []
    try:
        for t in targets:
            obj = (objects or {}).get(t.name) or context.scene.objects.get(t.target.object_name)
            one = CharacterResult(cast.character(t.name).request, result.motion[t.name], result.channels[t.name])
            actions = results.apply_results(context, obj, [one], frame_start=frame_start, placement=placement,
                                            root_motion=root_motion)  # fmt: skip
            for action in actions:
                action[PROP_CAST] = json.dumps({"character": t.name, "job": cast.job}, sort_keys=True)
            written.extend(actions)
    except Exception:
        for action in written:
            bpy.data.actions.remove(action)
        raise
    return written
