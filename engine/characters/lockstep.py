"""Lockstep sampling: every character's DDIM chain advances together so interactions guide each step.

Per step: one batched network call for all characters (conditional and
unconditional rows), classifier-free guidance per character, then the
coupling is re-aimed from all predictions (contacts meet halfway, faces
track the partner), each character's own Guide (its constraints plus its
interaction terms) corrects its prediction, and `apart` pushes roots away
from each other, before the next DDIM step. Characters given as fixed
(already generated: long or multi-track timelines) take part as partners
that do not move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..constraints.guidance import Guide
from ..constraints.trajectory import Trajectory
from ..runtime import Models
from ..sampling import Cancelled, DDIMSampler, guide
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
                    fixed: dict[str, np.ndarray] | None = None, progress: Callable[[float], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> list[np.ndarray]:  # fmt: skip
    """Raw features (T, F) per member, sampled together under the coupling.

    `fixed` maps the names of characters that are not sampled here to their
    world joint positions (T, J, 3) on the same model frames.
    """
    fixed = fixed or {}
    n, frames = len(members), members[0].guide.frames
    sampler = DDIMSampler(steps)
    emb = models.text.encode([m.text for m in members] + [""])
    cfg = np.array([m.guidance for m in members])[:, None, None]
    x = np.stack([np.random.default_rng(m.seed).standard_normal((frames, models.mean.shape[0])).astype(np.float32)
                  for m in members])  # fmt: skip
    order = {name: i for i, name in enumerate(coupling.names)}
    raws: list[np.ndarray] = [np.zeros(0)] * n
    for i, t in enumerate(sampler.timesteps):
        if cancel is not None and cancel():
            raise Cancelled("generation cancelled")
        x0 = _predict(models, members, emb, cfg, x, int(t))
        raw = x0.astype(np.float64) * models.std + models.mean
        worlds = [np.zeros(0)] * len(coupling.names)
        for name, w in fixed.items():
            worlds[order[name]] = w
        for k, m in enumerate(members):
            worlds[order[m.name]] = world_positions(raw[k], m.guide)
        coupling.aim(worlds)
        last = i + 1 == len(sampler.timesteps)
        guided = np.stack([m.guide.apply(x0[k], last_step=last, t=int(t)) for k, m in enumerate(members)])
        if coupling.aparts:
            guided = _separate(models, members, coupling, guided, worlds, order)
        raws = [m.guide.last for m in members]
        if not last:
            x = sampler.step(x, guided.astype(np.float32), int(t), int(sampler.timesteps[i + 1]))
        if progress is not None:
            progress((i + 1) / len(sampler.timesteps))
    return raws


def _predict(models: Models, members: list[Member], emb: np.ndarray, cfg: np.ndarray, x: np.ndarray,
             t: int) -> np.ndarray:  # fmt: skip
    """Classifier-free-guided x0 (N, T, F) for every member, BATCH characters per network call."""
    n, frames = x.shape[:2]
    out = np.empty_like(x)
    for lo in range(0, n, BATCH):
        hi = min(n, lo + BATCH)
        obs, mask = zip(*(m.guide.observations() for m in members[lo:hi]), strict=True)
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
