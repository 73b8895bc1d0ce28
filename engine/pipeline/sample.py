"""The per-window sampler every request kind runs on: any length, cost linear in duration, bounded memory.

Windows of WINDOW_S overlap by OVERLAP_S (timeline/plan.py). Each window
after the first is conditioned on the previous window's last frames
(observed prefix) and blended into them, then stitched onto the result in
feature space. Features are heading-relative (yaw rate, velocity in the
heading frame, absolute height), so the whole sequence is decoded once at
the end: the root path and heading integrate continuously across windows.
Each window's denoise function is the timeline composer (tracks per body
part and time, classifier-free guidance); `Conditions.guides` adds
observations and guidance per window (constraints, an edit's kept frames),
and `Conditions.start` starts from an existing motion noised part-way
(restyle). A single prompt is one track in one window of the same loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..kinematics.filters import gaussian
from ..sampling import DDIMSampler
from ..timeline import plan
from ..timeline.compose import Observer, Prefix, WindowComposer
from .settings import SamplerSettings


class WindowGuide(Observer, Protocol):
    def guided(self, denoise: Callable, last_t: int) -> Callable:
        """`denoise` with guidance on each prediction."""
        ...


class WindowGuides(Protocol):
    def window(self, lo: int, hi: int, features: np.ndarray) -> WindowGuide | None:
        """The guide of window [lo, hi) given the features so far (final before `lo`); None: unguided."""
        ...


@dataclass
class StartFrom:
    """Sampling starts at step `step` from these normalised features (total, F) noised to that level."""

    features: np.ndarray
    step: int


@dataclass
class Conditions:
    """What one sampling pass is conditioned on, in model frames.

    `last` is the last real frame (a track touching it has no fade-out there);
    `guides` gives each window its observations and guidance (None: text only).
    """

    spans: list[plan.TrackSpan]
    last: float
    guides: WindowGuides | None = None
    fill_text: str | None = None
    start: StartFrom | None = None


def sample_windows(cond: Conditions, total: int, net, settings: SamplerSettings, seed: int, *,
                   window: int, overlap: int, private: bool = True, smoothing: float = 0.0,
                   progress: Callable[[float], None] | None = None,
                   cancel: Callable[[], bool] | None = None) -> np.ndarray:  # fmt: skip
    """Normalised features (total, F) for the conditions.

    `net` is the model as the sampler sees it (runtime.Models, or a stand-in in tests):
    denoise(x_t, t, text, obs, obs_mask, valid), encode(texts), mean, std, fps, frames_per_token, obs_dim.
    `smoothing` (PostProcessing.smoothing, frames) low-passes each window's final prediction before its
    last guidance correction, so jitter goes and constraint corrections stay sharp.
    """
    texts = sorted({s.text for s in cond.spans} | ({cond.fill_text} if cond.fill_text else set()) | {""})
    embeddings = dict(zip(texts, net.encode(texts), strict=True))
    rng = np.random.default_rng(seed)
    sampler = DDIMSampler(settings.steps, spacing=settings.spacing)
    out = np.zeros((total, len(net.mean)), np.float32)
    plan_windows = plan.windows(total, window, overlap, net.frames_per_token)
    done = 0  # frames of `out` already final
    for k, (lo, hi) in enumerate(plan_windows):
        prefix = None
        if lo < done:
            norm = out[lo:done].copy()
            prefix = Prefix(norm=norm, raw=norm * net.std + net.mean)
        guide = None if cond.guides is None else cond.guides.window(lo, hi, out)
        composer = WindowComposer(net.denoise, embeddings, cond.spans, lo, hi, last=cond.last, fps=net.fps,
                                  guidance=settings.guidance, frames_per_token=net.frames_per_token,
                                  obs_dim=net.obs_dim, prefix=prefix, fill_text=cond.fill_text,
                                  step=sampler.step if private else None,
                                  redone_tail=overlap // 2 if hi < total else 0, observer=guide,
                                  obs_guidance=settings.obs_guidance)  # fmt: skip
        last_t = int(sampler.timesteps[-1])
        smoothed = _smooth_final(composer, last_t, smoothing)
        denoise = smoothed if guide is None else guide.guided(smoothed, last_t)
        noise = rng.standard_normal((1, hi - lo, len(net.mean))).astype(np.float32)
        start, x_start = 0, None
        if cond.start is not None:
            start, x_start = cond.start.step, cond.start.features[None, lo:hi]
        sub = None if progress is None else _sub_progress(progress, k, len(plan_windows))
        x0 = sampler.sample(denoise, noise, start_step=start, x_start=x_start, progress=sub, cancel=cancel)
        out[lo:hi] = x0[0]
        done = hi
    return out


def _smooth_final(denoise: Callable, last_t: int, sigma: float) -> Callable:
    """`denoise` whose prediction at the last step (diffusion time `last_t`) is low-passed over time."""
    if sigma <= 0:
        return denoise

    def run(x_t: np.ndarray, t: int) -> np.ndarray:
        x0 = denoise(x_t, t)
        return gaussian(x0[0], sigma)[None] if t == last_t else x0

    return run


def _sub_progress(progress: Callable[[float], None], k: int, n: int) -> Callable[[float], None]:
    return lambda f: progress((k + f) / n)
