"""Timeline sampling over windows: any length, cost linear in duration, bounded memory.

Windows of WINDOW_S overlap by OVERLAP_S. Each window after the first is
conditioned on the previous window's last frames (observed prefix) and
blended into them, then stitched onto the result in feature space. Features
are heading-relative (yaw rate, velocity in the heading frame, absolute
height), so the whole sequence is decoded once at the end: the root path
and heading integrate continuously across windows and nothing drifts in
height. Memory is the feature array (5 min: about 5 MB) plus one window.
Constraints (`guides`, engine.constraints.windows.TimelineGuides) give each
window observations for its composer and guidance on each composed prediction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from ..sampler import DDIMSampler
from . import plan
from .compose import Network, Observer, Prefix, WindowComposer


class WindowGuide(Observer, Protocol):
    def guided(self, denoise: Callable, last_t: int) -> Callable:
        """`denoise` with guidance on each prediction."""
        ...


class WindowGuides(Protocol):
    def window(self, lo: int, hi: int, features: np.ndarray) -> WindowGuide | None:
        """The guide of window [lo, hi) given the features so far (final before `lo`); None: unguided."""
        ...


def sample_timeline(spans: list[plan.TrackSpan], total: int, *, last: float, network: Network,
                    encode: Callable[[list[str]], np.ndarray], mean: np.ndarray, std: np.ndarray,
                    fps: float, frames_per_token: int, obs_dim: int, steps: int, guidance: float,
                    seed: int, window: int, overlap: int, fill_text: str | None = None, private: bool = True,
                    guides: WindowGuides | None = None, progress: Callable[[float], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> np.ndarray:  # fmt: skip
    """Normalised features (total, F) for the spans; `last` is the last real frame (seconds * fps)."""
    texts = sorted({s.text for s in spans} | ({fill_text} if fill_text else set()) | {""})
    embeddings = dict(zip(texts, encode(texts), strict=True))
    rng = np.random.default_rng(seed)
    sampler = DDIMSampler(steps)
    out = np.zeros((total, len(mean)), np.float32)
    plan_windows = plan.windows(total, window, overlap, frames_per_token)
    done = 0  # frames of `out` already final
    for k, (lo, hi) in enumerate(plan_windows):
        prefix = None
        if lo < done:
            norm = out[lo:done].copy()
            prefix = Prefix(norm=norm, raw=norm * std + mean)
        guide = None if guides is None else guides.window(lo, hi, out)
        composer = WindowComposer(network, embeddings, spans, lo, hi, last=last, fps=fps, guidance=guidance,
                                  frames_per_token=frames_per_token, obs_dim=obs_dim, prefix=prefix,
                                  fill_text=fill_text, step=sampler.step if private else None,
                                  redone_tail=overlap // 2 if hi < total else 0, observer=guide)  # fmt: skip
        denoise = composer if guide is None else guide.guided(composer, int(sampler.timesteps[-1]))
        noise = rng.standard_normal((1, hi - lo, len(mean))).astype(np.float32)
        sub = None if progress is None else _sub_progress(progress, k, len(plan_windows))
        x0 = sampler.sample(denoise, noise, progress=sub, cancel=cancel)
        out[lo:hi] = x0[0]
        done = hi
    return out


def _sub_progress(progress: Callable[[float], None], k: int, n: int) -> Callable[[float], None]:
    return lambda f: progress((k + f) / n)
