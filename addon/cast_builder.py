"""The Cast panel's settings -> a cast job (the engine's job-file structure with `characters`).

Each row's armature gives the character's name (made file-name safe), where
it starts and which way it faces (its object location and Z rotation); its
prompt and tracks what it does, and `stays` whether partners come to it; the
Generate panel gives the clip (length, frame rate, seed, steps, guidance) and,
where set, every character's standing start and end.
Interaction frames become seconds from the motion's first frame.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from . import request_builder
from .engine_link import errors

UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def character_names(armature_names: list[str]) -> dict[str, str]:
    """Armature name -> a unique character name the engine accepts (letters, digits, '_' and '-')."""
    out: dict[str, str] = {}
    for name in armature_names:
        safe = UNSAFE.sub("_", name)[:36] or "character"
        safe = safe if safe[0].isalpha() else f"c{safe}"
        base, k = safe, 2
        while safe in out.values():
            safe, k = f"{base}_{k}", k + 1
        out[name] = safe
    return out


def ground_frame(obj) -> tuple[list[float], float]:
    """[x, y] and facing in degrees (0 faces -Y) of an object in the scene."""
    m = obj.matrix_world
    return [float(m[0][3]), float(m[1][3])], math.degrees(math.atan2(float(m[1][0]), float(m[0][0])))


def clip_fields(scene) -> tuple[dict, request_builder.PanelSpec]:
    spec = request_builder.read_panel(scene)
    return {"seconds": spec.seconds, "fps": spec.fps, "seed": spec.seed, "steps": spec.steps,
            "guidance": spec.guidance}, spec  # fmt: skip


def cast_job(scene) -> tuple[dict, dict[str, object]]:
    """(job, character name -> armature object) for the scene's Cast panel."""
    cast = scene.motion_composer_cast
    members = [m for m in cast.members if m.armature is not None]
    if len(members) < 1:
        raise errors.RequestError("the cast is empty: add armatures to the Cast list")
    if len({m.armature.name for m in members}) < len(members):
        raise errors.RequestError("an armature appears twice in the Cast list; each character needs its own")
    names = character_names([m.armature.name for m in members])
    job, spec = clip_fields(scene)
    job["characters"] = []
    for m in members:
        position, facing = ground_frame(m.armature)
        entry = {"name": names[m.armature.name], "position": position, "facing": facing, **_what(m, spec)}
        job["characters"].append(dict(entry, stays=True) if m.stays else entry)
    job["interactions"] = [_interaction(it, names, spec) for it in cast.interactions]
    return job, {names[m.armature.name]: m.armature for m in members}


def _what(member, spec: request_builder.PanelSpec) -> dict:
    """A row's `text` and `tracks` (frames to seconds, checked against the clip as the Tracks panel's are)."""
    tracks = request_builder.track_specs(member.tracks)
    if not member.prompt.strip() and not tracks:
        raise errors.RequestError(f"{member.armature.name}: type what this character does (its Prompt) or add "
                                  "a track")  # fmt: skip
    try:
        job = request_builder.job_dict(replace(spec, prompt=member.prompt, tracks=tracks, constraints=[]))
    except errors.RequestError as exc:
        raise errors.RequestError(f"{member.armature.name}: {exc}") from None
    return {k: job[k] for k in ("text", "tracks", "start", "end") if job.get(k)}  # start/end: the panel's, if set


def cast_strips(scene) -> list[tuple[str, int, int]]:
    """(label, first frame, last frame) of every enabled track of the cast's characters, labelled with the
    armature's name, for the timeline (gui.STRIP_SOURCES)."""
    cast = getattr(scene, "motion_composer_cast", None)
    if cast is None:
        return []
    return [(f"{m.armature.name}: {t.text}", t.frame_start, t.frame_end) for m in cast.members
            if m.armature is not None for t in m.tracks if t.enabled]  # fmt: skip


def _interaction(it, names: dict[str, str], spec) -> dict:
    if it.kind == "apart":
        return {"type": "apart", "min_distance": it.min_distance}
    for who in (it.a, it.b):
        if who not in names:
            raise errors.RequestError(f"an interaction names {who or 'nobody'!r}, which is not in the Cast list")
    span = {"start": spec.seconds_at(it.frame_start), "end": spec.seconds_at(it.frame_end)}
    if it.kind == "face":
        return {"type": "face", "a": names[it.a], "b": names[it.b], **span}
    return {"type": "contact", "a": f"{names[it.a]}.{it.a_joint}", "b": f"{names[it.b]}.{it.b_joint}",
            "distance": it.distance, **span}  # fmt: skip


def footprint(obj) -> dict:
    """{'min': [x, y], 'max': [x, y]}: an object's ground footprint (its world bounding box; an empty's drawn
    size), or for a curve a square around its end point."""
    from mathutils import Vector

    if obj.type == "CURVE" and obj.data.splines:
        spline = obj.data.splines[-1]
        points = spline.bezier_points if spline.type == "BEZIER" else spline.points
        end = obj.matrix_world @ Vector(points[-1].co[:3])
        half = 1.5
        return {"min": [end.x - half, end.y - half], "max": [end.x + half, end.y + half]}
    if obj.type == "EMPTY":  # an empty has no bounding box: its drawn size is the area
        r = obj.empty_display_size
        box = [(x, y, 0.0) for x in (-r, r) for y in (-r, r)]
    else:
        box = obj.bound_box
    corners = [obj.matrix_world @ Vector(c) for c in box]
    return {"min": [min(c.x for c in corners), min(c.y for c in corners)],
            "max": [max(c.x for c in corners), max(c.y for c in corners)]}  # fmt: skip


def crowd_job(scene) -> dict:
    """A cast job with one crowd from the Cast panel's crowd settings."""
    cast = scene.motion_composer_cast
    if cast.crowd_rig is None or cast.crowd_from is None or cast.crowd_to is None:
        raise errors.RequestError("choose the crowd's Rig, Start Area and Goal Area (an object or a curve)")
    job, _ = clip_fields(scene)
    prompts = [p.strip() for p in cast.crowd_prompts.split(";") if p.strip()] or ["a person walks forward"]
    prefix = character_names([cast.crowd_rig.name])[cast.crowd_rig.name][:24]
    job["characters"] = [{"crowd": {"count": cast.crowd_count, "text": prompts, "from": footprint(cast.crowd_from),
                                    "to": footprint(cast.crowd_to), "spacing": cast.crowd_spacing,
                                    "seed": job["seed"], "name": f"{prefix}_crowd"}}]  # fmt: skip
    job["interactions"] = [{"type": "apart", "min_distance": 0.2}]
    return job
