"""Filters over time: one smoothing filter, one blend curve family, and the fade built from them.

- `gaussian` low-passes per-frame values (model features, paths): sigma in frames, edges held.
- `butterworth` low-passes with a sharp knee and no lag (the output smoothing, kinematics.smoothing):
  what lies well below its cutoff passes almost whole, what lies above is removed.
- `moving_average` is the box filter the foot clean-up uses to turn piecewise-constant plants
  into ramps (a box of a step is a linear ramp, which is what "move from one plant to the next
  in PLANT_RAMP seconds" means).
- `smoothstep` (C1) and `minimum_jerk` (C2) map [0, 1] to [0, 1] with zero slope at the ends:
  every cross-fade in the engine (clean-up fades, edit borders, foot lock) uses one of them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian low-pass over axis 0 (sigma in frames), edges held; sigma <= 0 returns the input.

    Few-step sampling leaves frame-to-frame jitter in the predicted rotations
    (mean jerk about 10x the real clips'); sigma = 1 frame at 20 fps divides
    the jerk by about 5 and keeps 80 % of a 2 Hz wave's amplitude.
    """
    if sigma <= 0:
        return values
    x = np.asarray(values)
    radius = int(3 * sigma + 0.5)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    flat = x.reshape(len(x), -1).astype(np.float64)
    padded = np.pad(flat, ((radius, radius), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, len(kernel), axis=0)
    return (windows @ kernel).reshape(x.shape).astype(x.dtype)


def butterworth(values: np.ndarray, cutoff_hz: float, fps: float) -> np.ndarray:
    """Zero-phase low-pass over axis 0: a second-order Butterworth run forwards and then backwards.

    The magnitude response is 1 / (1 + (f / cutoff)^4) with no delay: at a quarter of
    the cutoff 99.6 % of the amplitude passes, at half of it 94 %, at twice it 6 %. A
    first-order filter (1 / (1 + (f / cutoff)^2) forwards-backwards) with the same
    effect on jitter takes several times more from slower motion. The ends are extended
    by point reflection over a second, so the filter starts settled on the motion's trend.
    """
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if n < 3 or cutoff_hz <= 0:
        return x.copy()
    return (_zero_phase(n, float(cutoff_hz), float(fps)) @ x.reshape(n, -1)).reshape(x.shape)


@lru_cache(maxsize=8)  # the output smoothing's two plus the transitions' five (short stretches)
def _zero_phase(n: int, cutoff_hz: float, fps: float) -> np.ndarray:
    """(n, n) matrix of the whole filter: every step (the point-reflected ends, both passes, the trim) is linear
    in the values, so running them once on the identity gives one product for any channels (a Python loop over
    the frames of every clip was a tenth of a two-character cast's clean-up)."""
    k = np.tan(np.pi * min(cutoff_hz / fps, 0.49))  # bilinear transform, pre-warped to the cutoff
    norm = 1.0 / (1.0 + np.sqrt(2.0) * k + k * k)
    b = (k * k * norm, 2.0 * k * k * norm, k * k * norm)
    a = (2.0 * (k * k - 1.0) * norm, (1.0 - np.sqrt(2.0) * k + k * k) * norm)
    pad = min(int(round(fps)), n - 1)
    x = np.eye(n)
    ext = np.concatenate([2.0 * x[0] - x[pad:0:-1], x, 2.0 * x[-1] - x[-2 : -pad - 2 : -1]])
    ext = _biquad(_biquad(ext, b, a)[::-1], b, a)[::-1]
    return np.ascontiguousarray(ext[pad : pad + n])


def _biquad(x: np.ndarray, b: tuple, a: tuple) -> np.ndarray:
    """One pass of y[t] = b0 x[t] + b1 x[t-1] + b2 x[t-2] - a1 y[t-1] - a2 y[t-2], at rest on x[0] before it
    (run once per clip length, on the identity, by _zero_phase)."""
    out = np.empty_like(x)
    x1 = x2 = y1 = y2 = x[0]
    for t in range(len(x)):
        y = b[0] * x[t] + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2
        out[t] = y
        x2, x1, y2, y1 = x1, x[t], y1, y
    return out


def moving_average(values: np.ndarray, width: int, ends: str = "hold") -> np.ndarray:
    """Centred box average over axis 0 (width rounded up to odd).

    `ends`: "hold" repeats the end values (a plant stays put up to the end);
    "reflect" extends by point reflection, so a steady drift is followed right
    to the first and last frame (retargeting's in-place travel).
    """
    x = np.asarray(values)
    if width <= 1 or len(x) < 2:
        return x.copy()
    width |= 1  # odd, so the average stays centred
    pad = width // 2
    flat = x.reshape(len(x), -1).astype(np.float64)
    if ends == "reflect":
        pad = min(pad, len(x) - 1)  # reflection needs that many frames
        width = 2 * pad + 1
        head, tail = 2 * flat[0] - flat[pad:0:-1], 2 * flat[-1] - flat[-2 : -pad - 2 : -1]
    else:
        head, tail = np.repeat(flat[:1], pad, 0), np.repeat(flat[-1:], pad, 0)
    c = np.cumsum(np.concatenate([np.zeros((1, flat.shape[1])), head, flat, tail]), axis=0)
    return ((c[width:] - c[:-width]) / width).reshape(x.shape)


def smoothstep(x):
    """3x^2 - 2x^3 on [0, 1] (clipped): zero velocity at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def minimum_jerk(x):
    """10x^3 - 15x^4 + 6x^5 on [0, 1] (clipped): zero velocity and acceleration at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10 - 15 * x + 6 * x * x)


def fade(distance, width: float):
    """Weight 1 at distance 0 falling to 0 at `width` (frames) along smoothstep; 0 beyond."""
    d = np.asarray(distance, dtype=np.float64)
    return np.where(d < width, smoothstep(1.0 - d / max(width, 1e-12)), 0.0)
