"""generate_cast: a Cast in, one Motion per character out, all in one shared world frame.

Sampling is lockstep (lockstep.py) with the interactions as guidance; then
each character's own constraints and feet are cleaned up as for a single
job (engine.constraints.generate.finish), the cast clean-up makes the
interactions exact (cleanup.py), each character's edits are applied, and
every Motion carries its provenance (its request, seed, model version, its
name, start and the whole cast job) and the interaction residuals.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..api import describe, model_frames
from ..constraints.generate import decode_window, finish
from ..constraints.guidance import Guide, GuideOptions
from ..constraints.parse import parse_constraints
from ..edits import apply_edit
from ..errors import RequestError
from ..motion import Motion
from ..runtime import load_models
from ..timeline.run import needs_timeline
from .cast import Cast, pins_start
from .cleanup import clean_cast
from .coupling import Coupling
from .lockstep import Member, sample_lockstep
from .placement import to_world
from .report import measure_interactions, merge_reports

SAMPLING_SHARE = 0.9  # of the progress bar; clean-up and edits take the rest


def generate_cast(cast: Cast, *, model_dir=None, provider: str = "auto", threads: int | None = None,
                  options: GuideOptions | None = None, clean: bool = True,
                  progress: Callable[[float], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> dict[str, Motion]:  # fmt: skip
    """Sample every character together; returns {name: Motion} in the cast's order.

    A character that needs the timeline (several, partial or body-part tracks,
    or a clip longer than one model window) is generated on its own first and
    takes part as a fixed partner: its interactions move the others while
    sampling, and clean-up.
    """
    models = load_models(model_dir, provider, threads)
    steps = cast.steps or int(models.manifest["default_steps"])
    frames = model_frames(cast.seconds, models)
    one_window = frames <= int(models.manifest["max_frames"])
    names = cast.names
    alone = {c.name for c in cast.characters if not one_window or needs_timeline(c.request, frames, models)}
    warnings = list(cast.warnings)
    if alone and cast.interactions:
        warnings.append(f"{', '.join(sorted(alone))}: generated on their own first (tracks, or longer than one "
                        "model window); their partners adapt to them while sampling, and clean-up makes "
                        "the interactions exact")  # fmt: skip
    runtime = {"model_dir": model_dir, "provider": provider, "threads": threads}
    fixed = {c.name: _generate_alone(c, cancel, runtime) for c in cast.characters if c.name in alone}
    coupling = Coupling(cast.interactions, names, models.fps, frames, set(fixed))
    members, csets = [], {}
    for c in cast.characters:
        req = c.request
        csets[c.name] = parse_constraints(req.constraints, req.seconds, req.fps)
        if c.name in fixed:
            continue
        guided = copy.copy(csets[c.name])
        guided.functions = list(guided.functions) + coupling.terms[c.name]
        guide = Guide(guided, models.mean, models.std, models.fps, frames, c.frame, options)
        cfg = req.guidance if req.guidance is not None else float(models.manifest["default_guidance"])
        members.append(Member(c.name, req.tracks[0].text, guide, req.seed, cfg))
    stage = None if progress is None else (lambda f: progress(SAMPLING_SHARE * f))
    sampled = dict(fixed)
    if members:
        partners = {n: _at_model_frames(m, models.fps, frames) for n, m in fixed.items()}
        raws = sample_lockstep(models, members, coupling, steps, fixed=partners, progress=stage, cancel=cancel)
        n = int(round(cast.seconds * models.fps)) + 1
        for raw, m in zip(raws, members, strict=True):
            sampled[m.name] = decode_window(raw, models.fps, m.guide.frame)[:n].resample(cast.fps)
    ordered = [sampled[n] for n in names]
    model_rows = measure_interactions(ordered, names, cast.interactions)
    motions, own_reports = [], []
    for name, motion in zip(names, ordered, strict=True):
        if name in fixed:  # cleaned up when it was generated
            motions.append(motion)
            own_reports.append(motion.metadata.get("constraints", []))
            continue
        motion, report = finish(motion, csets[name], clean, feet=True)
        motions.append(motion)
        own_reports.append(report)
    if clean:
        motions = clean_cast(motions, names, cast.interactions)
    for k, c in enumerate(cast.characters):
        for edit in c.request.edits:
            motions[k] = apply_edit(motions[k], edit, **runtime)
    rows = merge_reports(model_rows, measure_interactions(motions, names, cast.interactions))
    out: dict[str, Motion] = {}
    for k, c in enumerate(cast.characters):
        req = c.request
        cfg = req.guidance if req.guidance is not None else float(models.manifest["default_guidance"])
        meta = describe(req, models, steps, cfg)
        meta["warnings"] = warnings + list(req.warnings)
        meta["generated_alone"] = c.name in fixed
        meta["constraints"] = own_reports[k]
        meta["character"] = {"name": c.name, "position": list(c.frame.origin),
                             "facing": float(np.rad2deg(c.frame.yaw)), "crowd": c.crowd}  # fmt: skip
        meta["interactions"] = [r for r in rows if c.name in r["characters"]]
        meta["cast"] = cast.job
        if req.edits:
            meta["edits"] = list(req.edits)
        motions[k].metadata = meta
        out[c.name] = motions[k]
    if progress is not None:
        progress(1.0)
    return out


def _generate_alone(character, cancel, runtime: dict) -> Motion:
    """A character on the timeline path (engine.generate), put where the cast places it."""
    from ..api import generate

    req = replace(character.request, edits=[])  # the cast applies edits after the interactions
    cset = parse_constraints(req.constraints, req.seconds, req.fps)
    if cset and not pins_start(cset, req.fps):
        raise RequestError(f"character {character.name!r}: with tracks, its constraints must pin where it starts "
                           "(a root_path or keyframe at 0 s), or drop them and use position and facing")  # fmt: skip
    motion = generate(req, cancel=cancel, **runtime)
    if cset:  # constraints are in the world frame already
        return motion
    placed = to_world(motion, character.frame.origin, character.frame.yaw)
    placed.metadata = motion.metadata
    return placed


def _at_model_frames(motion: Motion, fps: float, frames: int) -> np.ndarray:
    """World joint positions (frames, J, 3) of a motion resampled to the model rate, the last frame held."""
    pos = motion.resample(fps).positions()[:frames]
    if len(pos) < frames:
        pos = np.concatenate([pos, np.repeat(pos[-1:], frames - len(pos), axis=0)])
    return pos
