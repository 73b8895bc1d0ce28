"""Timeline sampling over windows: any length, cost linear in duration, bounded memory.

Windows of WINDOW_S overlap by OVERLAP_S. Each window after the first is
conditioned on the previous window's last frames (observed prefix) and
blended into them, then stitched onto the result in feature space. Features
are heading-relative (yaw rate, velocity in the heading frame, absolute
height), so the whole sequence is decoded once at the end: the root path
and heading integrate continuously across windows and nothing drifts in
height. Memory is the feature array (5 min: about 5 MB) plus one window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..sampler import DDIMSampler
from . import plan
from .compose import Network, Prefix, WindowComposer


def sample_timeline(spans: list[plan.TrackSpan], total: int, *, last: float, network: Network,
                    encode: Callable[[list[str]], np.ndarray], mean: np.ndarray, std: np.ndarray,
                    fps: float, frames_per_token: int, obs_dim: int, steps: int, guidance: float,
                    seed: int, window: int, overlap: int, fill_text: str | None = None, private: bool = True,
                    progress: Callable[[float], None] | None = None,
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
        composer = WindowComposer(network, embeddings, spans, lo, hi, last=last, fps=fps, guidance=guidance,
                                  frames_per_token=frames_per_token, obs_dim=obs_dim, prefix=prefix,
                                  fill_text=fill_text, step=sampler.step if private else None,
                                  redone_tail=overlap // 2 if hi < total else 0)  # fmt: skip
        noise = rng.standard_normal((1, hi - lo, len(mean))).astype(np.float32)
        sub = None if progress is None else _sub_progress(progress, k, len(plan_windows))
        x0 = sampler.sample(composer, noise, progress=sub, cancel=cancel)
        out[lo:hi] = x0[0]
        done = hi
    return out


def _sub_progress(progress: Callable[[float], None], k: int, n: int) -> Callable[[float], None]:
    return lambda f: progress((k + f) / n)
