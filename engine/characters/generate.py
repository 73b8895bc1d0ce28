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

import numpy as np

from ..api import check_length, describe
from ..constraints.generate import decode_window, finish
from ..constraints.guidance import Guide, GuideOptions
from ..constraints.parse import parse_constraints
from ..edits import apply_edit
from ..errors import RequestError
from ..motion import Motion
from ..runtime import load_models
from ..timeline.run import needs_timeline
from .cast import Cast
from .cleanup import clean_cast
from .coupling import Coupling
from .lockstep import Member, sample_lockstep
from .report import measure_interactions, merge_reports

SAMPLING_SHARE = 0.9  # of the progress bar; clean-up and edits take the rest


def generate_cast(cast: Cast, *, model_dir=None, provider: str = "auto", threads: int | None = None,
                  options: GuideOptions | None = None, clean: bool = True,
                  progress: Callable[[float], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> dict[str, Motion]:  # fmt: skip
    """Sample every character together; returns {name: Motion} in the cast's order."""
    models = load_models(model_dir, provider, threads)
    steps = cast.steps or int(models.manifest["default_steps"])
    frames = check_length(cast.seconds, models)
    names = cast.names
    coupling = Coupling(cast.interactions, names, models.fps, frames)
    members, csets = [], []
    for c in cast.characters:
        req = c.request
        if needs_timeline(req, frames, models):
            raise RequestError(f"character {c.name!r}: several tracks, body-part tracks or partial tracks are not "
                               "supported in a cast yet; give it one 'text' (or one track over the whole clip)")  # fmt: skip
        cset = parse_constraints(req.constraints, req.seconds, req.fps)
        csets.append(cset)
        guided = copy.copy(cset)
        guided.functions = list(cset.functions) + coupling.terms[c.name]
        guide = Guide(guided, models.mean, models.std, models.fps, frames, c.frame, options)
        cfg = req.guidance if req.guidance is not None else float(models.manifest["default_guidance"])
        members.append(Member(c.name, req.tracks[0].text, guide, req.seed, cfg))
    stage = None if progress is None else (lambda f: progress(SAMPLING_SHARE * f))
    raws = sample_lockstep(models, members, coupling, steps, progress=stage, cancel=cancel)
    n = int(round(cast.seconds * models.fps)) + 1
    sampled = [decode_window(raw, models.fps, c.frame)[:n].resample(cast.fps) for raw, c in zip(raws, cast.characters,
                                                                                                strict=True)]  # fmt: skip
    model_rows = measure_interactions(sampled, names, cast.interactions)
    motions, own_reports = [], []
    for motion, cset in zip(sampled, csets, strict=True):
        motion, report = finish(motion, cset, clean, feet=True)
        motions.append(motion)
        own_reports.append(report)
    if clean:
        motions = clean_cast(motions, names, cast.interactions)
    for k, c in enumerate(cast.characters):
        for edit in c.request.edits:
            motions[k] = apply_edit(motions[k], edit, model_dir=model_dir, provider=provider, threads=threads)
    rows = merge_reports(model_rows, measure_interactions(motions, names, cast.interactions))
    out: dict[str, Motion] = {}
    for k, c in enumerate(cast.characters):
        req = c.request
        meta = describe(req, models, steps, members[k].guidance)
        meta["warnings"] = list(cast.warnings) + list(req.warnings)
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
