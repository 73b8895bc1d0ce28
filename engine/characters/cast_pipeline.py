"""generate_cast: a Cast in, one Motion per character out, all in one shared world frame.

Sampling is lockstep (lockstep.py) with the interactions as guidance; then
each character's own constraints and feet are cleaned up as for a single
job (engine.pipeline.post.finish), the cast clean-up makes the
interactions exact (cleanup.py), each character's edits are applied, and
every Motion carries its provenance (its request, seed, model version, its
name, start and the whole cast job) and the interaction residuals.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .. import features as feat
from ..constraints.cleanup import measure
from ..constraints.guidance import Guide, GuideOptions
from ..errors import RequestError
from ..kinematics.glide_steps import step_glides
from ..motion import Motion
from ..pipeline import generate
from ..pipeline import post as postproc
from ..pipeline.edit_ops import apply_edit
from ..pipeline.post import Residual
from ..pipeline.provenance import Provenance
from ..pipeline.settings import PostProcessing, SamplerSettings
from ..runtime import load_models
from ..skeleton import BODY_PART_NAMES
from .cast import Cast, pins_start, placed_anywhere
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
    steps = cast.steps or models.manifest.default_steps
    frames = models.manifest.window_frames(cast.seconds)
    one_window = frames <= models.manifest.max_frames
    post = PostProcessing(clean_feet=clean, exact_constraints=clean)
    names = cast.names
    alone = {c.name for c in cast.characters if not one_window or not _one_whole_track(c.request)}
    warnings = list(cast.warnings)
    if alone and cast.interactions:
        warnings.append(f"{', '.join(sorted(alone))}: generated on their own first (tracks, or longer than one "
                        "model window); their partners adapt to them while sampling, and clean-up makes "
                        "the interactions exact")  # fmt: skip
    runtime = {"model_dir": model_dir, "provider": provider, "threads": threads}
    fixed = {c.name: _generate_alone(c, cancel, runtime) for c in cast.characters if c.name in alone}
    stays = {c.name for c in cast.characters if c.stays}
    # a character that only stands is held where it starts, unless it is in a contact (`stays` says what it does)
    csets = {c.name: c.request.constraint_set(c.frame.origin, c.frame.yaw, hold=c.stays is None)
             for c in cast.characters}  # fmt: skip
    pins = {name: cset.joints for name, cset in csets.items()}
    coupling = Coupling(cast.interactions, names, models.fps, frames, set(fixed), stays, pins)
    members = []
    for c in cast.characters:
        req = c.request
        if c.name in fixed:
            continue
        guided = copy.copy(csets[c.name])
        guided.functions = list(guided.functions) + coupling.terms[c.name]
        guide = Guide(guided, models.mean, models.std, models.fps, frames, c.frame, options)
        cfg = req.guidance if req.guidance is not None else models.manifest.default_guidance
        members.append(Member(c.name, req.tracks[0].text, guide, req.seed, cfg))
    stage = None if progress is None else (lambda f: progress(SAMPLING_SHARE * f))
    sampled = dict(fixed)
    if members:
        partners = {n: _at_model_frames(m, models.fps, frames) for n, m in fixed.items()}
        raws = sample_lockstep(models, members, coupling, steps, fixed=partners, smoothing=post.smoothing,
                               progress=stage, cancel=cancel)  # fmt: skip
        n = int(round(cast.seconds * models.fps)) + 1
        for raw, m in zip(raws, members, strict=True):
            frame = m.guide.frame
            motion = feat.decode(raw, models.fps, start_position=frame.origin, start_yaw=frame.yaw)
            sampled[m.name] = motion[:n].resample(cast.fps)
    ordered = [sampled[n] for n in names]
    model_rows = measure_interactions(ordered, names, cast.interactions, frozenset(coupling.stays))
    motions, own_reports = [], []
    for name, motion in zip(names, ordered, strict=True):
        if name in fixed:  # cleaned up when it was generated
            motions.append(motion)
            own_reports.append([Residual(**r) for r in motion.metadata.get("constraints", [])])
            continue
        if clean:  # a body that guidance slid over the floor with both feet down walks instead
            motion = step_glides(motion, low_is_down=True)
        motion, report = postproc.finish(motion, csets[name], post, steps)
        motions.append(motion)
        own_reports.append(report)
    if clean:
        motions = clean_cast(motions, names, cast.interactions, stays=frozenset(coupling.stays), pins=pins,
                             poses={name: cset.keyframes for name, cset in csets.items()})  # fmt: skip
        motions = [postproc.contacts_where_feet_stand(m) for m in motions]  # the cast clean-up moved feet too
    for k, c in enumerate(cast.characters):
        for edit in c.request.edits:
            motions[k] = apply_edit(motions[k], edit, models, post)
    own_reports = [_measured_again(report, motion, csets[name])
                   for report, motion, name in zip(own_reports, motions, names, strict=True)]  # fmt: skip
    final_rows = measure_interactions(motions, names, cast.interactions, frozenset(coupling.stays))
    rows = merge_reports(model_rows, final_rows)
    out: dict[str, Motion] = {}
    for k, c in enumerate(cast.characters):
        req = c.request
        cfg = req.guidance if req.guidance is not None else models.manifest.default_guidance
        sampler = SamplerSettings(steps, cfg, spacing=models.manifest.step_spacing)
        meta = Provenance(req.to_dict(), models.version, sampler, post, tuple(own_reports[k]),
                          tuple(warnings) + tuple(req.warnings)).to_dict()  # fmt: skip
        meta["generated_alone"] = c.name in fixed
        meta["character"] = {"name": c.name, "position": list(c.frame.origin),
                             "facing": float(np.rad2deg(c.frame.yaw)), "crowd": c.crowd,
                             "stays": c.name in coupling.stays}  # fmt: skip
        meta["interactions"] = [r for r in rows if c.name in r["characters"]]
        meta["cast"] = cast.job
        motions[k].metadata = meta
        out[c.name] = motions[k]
    if progress is not None:
        progress(1.0)
    return out


def _measured_again(report: list[Residual], motion: Motion, cset) -> list[Residual]:
    """Each own constraint's residual on the finished motion (the interactions' clean-up and the edits come
    after the character's own clean-up), the model's alone kept."""
    return [replace(r, mean=after["mean"], max=after["max"]) for r, after in zip(report, measure(motion, cset),
                                                                               strict=True)]  # fmt: skip


def _generate_alone(character, cancel, runtime: dict) -> Motion:
    """A character on the timeline path (engine.pipeline.generate), put where the cast places it."""
    req = replace(character.request, edits=[])  # the cast applies edits after the interactions
    cset = req.constraint_set()
    world = placed_anywhere(req.constraint_set(hold=False))  # a hold in place is made where it is generated
    if world and not pins_start(cset, req.fps):
        raise RequestError(f"character {character.name!r}: with tracks, its constraints must pin where it starts "
                           "(a root_path or keyframe at 0 s), or drop them and use position and facing")  # fmt: skip
    motion = generate(req, cancel=cancel, **runtime)
    if world:  # constraints are in the world frame already
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


def _one_whole_track(request) -> bool:
    """One track over the whole clip on the whole body: what lockstep sampling takes."""
    if len(request.tracks) != 1:
        return False
    track = request.tracks[0]
    whole = track.start <= 0 and track.end >= request.seconds - 1e-6
    return whole and (not track.body_parts or set(track.body_parts) == set(BODY_PART_NAMES))
