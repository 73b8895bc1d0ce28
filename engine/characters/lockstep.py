"""Lockstep sampling: every character's DDIM run advances together so interactions guide each step.

Each character is one engine.sampling.SamplingRun (the scheduler every
request kind steps through). Per step: one batched network call for all
characters (conditional and unconditional rows), classifier-free guidance
per character, the final prediction low-passed as a single job's is
(PostProcessing.smoothing), then the coupling is re-aimed from all
predictions (contacts meet, faces track the partner), each character's own
Guide (its constraints plus its interaction terms) corrects its prediction,
and `apart` pushes roots away from each other, before every run advances.
Characters given as fixed (already generated: long or multi-track timelines)
take part as partners that do not move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..constraints.guidance import Guide
from ..constraints.trajectory import Trajectory
from ..kinematics.filters import gaussian
from ..runtime import Models
from ..sampling import Cancelled, DDIMSampler, SamplingRun, guide
from .coupling import Coupling

BATCH = 8  # characters per network call (2 rows each); bounds memory for crowds


@dataclass
class Member:
    name: str
    text: str
    guide: Guide
    seed: int
    guidance: float  # classifier-free guidance scale


def world_positions(raw: np.ndarray, guide: Guide) -> np.ndarray:
    """(T, J, 3) world joint positions of raw features in the guide's window frame."""
    return guide.frame.points_to_world(Trajectory.from_features(raw, guide.fps).world())


def sample_lockstep(models: Models, members: list[Member], coupling: Coupling, steps: int, *,
                    fixed: dict[str, np.ndarray] | None = None, smoothing: float = 0.0,
                    progress: Callable[[float], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> list[np.ndarray]:  # fmt: skip
    """Raw features (T, F) per member, sampled together under the coupling.

    `fixed` maps the names of characters that are not sampled here to their
    world joint positions (T, J, 3) on the same model frames. `smoothing`
    (model frames) low-passes each final prediction before its last guidance
    correction, as engine.pipeline.sample does for a single character.
    """
    fixed = fixed or {}
    frames = members[0].guide.frames
    sampler = DDIMSampler(steps, spacing=models.manifest.step_spacing)
    emb = models.text.encode([m.text for m in members] + [""])
    cfg = np.array([m.guidance for m in members])[:, None, None]
    runs = [sampler.start(_noise(m, frames, len(models.mean))) for m in members]
    order = {name: i for i, name in enumerate(coupling.names)}
    lead = runs[0]  # every run is on the same step
    while not lead.done:
        if cancel is not None and cancel():
            raise Cancelled("generation cancelled")
        t, last = lead.t, lead.is_last
        x0 = _predict(models, members, emb, cfg, runs, t)
        if last and smoothing > 0:
            x0 = np.stack([gaussian(x, smoothing) for x in x0])
        raw = x0.astype(np.float64) * models.std + models.mean
        worlds = [np.zeros(0)] * len(coupling.names)
        for name, w in fixed.items():
            worlds[order[name]] = w
        for k, m in enumerate(members):
            worlds[order[m.name]] = world_positions(raw[k], m.guide)
        coupling.aim(worlds)
        guided = np.stack([m.guide.apply(x0[k], last_step=last, t=t) for k, m in enumerate(members)])
        if coupling.aparts:
            guided = _separate(models, members, coupling, guided, worlds, order)
        for run, g in zip(runs, guided, strict=True):
            run.advance(g.astype(np.float32))
        if progress is not None:
            progress(lead.fraction)
    return [m.guide.last for m in members]


def _noise(member: Member, frames: int, dim: int) -> np.ndarray:
    return np.random.default_rng(member.seed).standard_normal((frames, dim)).astype(np.float32)


def _predict(models: Models, members: list[Member], emb: np.ndarray, cfg: np.ndarray, runs: list[SamplingRun],
             t: int) -> np.ndarray:  # fmt: skip
    """Classifier-free-guided x0 (N, T, F) for every member, BATCH characters per network call."""
    x = np.stack([run.x for run in runs])
    n, frames = x.shape[:2]
    out = np.empty_like(x)
    for lo in range(0, n, BATCH):
        hi = min(n, lo + BATCH)
        obs, mask = zip(*(m.guide.observations(t) for m in members[lo:hi]), strict=True)
        obs2, mask2 = np.stack(obs * 2), np.stack(mask * 2)
        text2 = np.concatenate([emb[lo:hi], np.repeat(emb[-1:], hi - lo, axis=0)])
        both = models.denoise(np.concatenate([x[lo:hi], x[lo:hi]]), np.full(2 * (hi - lo), t), text2, obs2, mask2,
                              np.ones((2 * (hi - lo), frames), np.float32))  # fmt: skip
        cond, uncond = np.split(both, 2)
        out[lo:hi] = guide(cond, uncond, cfg[lo:hi])
    return out


def _separate(models: Models, members: list[Member], coupling: Coupling, guided: np.ndarray,
              worlds: list[np.ndarray], order: dict[str, int]) -> np.ndarray:  # fmt: skip
    """Push apart the roots of bodies that come closer than their `apart` distance (after guidance)."""
    for m in members:
        worlds[order[m.name]] = world_positions(m.guide.last, m.guide)
    pushes = coupling.pushes(worlds)
    out = guided.copy()
    for k, m in enumerate(members):
        push = pushes[order[m.name]]
        if not push.any():
            continue
        traj = Trajectory.from_features(m.guide.last, m.guide.fps)
        traj.root += m.guide.frame.vectors_to_window(push)
        m.guide.last = traj.to_features(m.guide.last)
        out[k] = ((m.guide.last - models.mean) / models.std).astype(guided.dtype)
    return out
