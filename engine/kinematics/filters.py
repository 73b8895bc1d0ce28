"""Filters over time: one smoothing filter, one blend curve family, and the fade built from them.

- `gaussian` low-passes per-frame values (model features, paths): sigma in frames, edges held.
- `moving_average` is the box filter the foot clean-up uses to turn piecewise-constant plants
  into ramps (a box of a step is a linear ramp, which is what "move from one plant to the next
  in PLANT_RAMP seconds" means).
- `smoothstep` (C1) and `minimum_jerk` (C2) map [0, 1] to [0, 1] with zero slope at the ends:
  every cross-fade in the engine (clean-up fades, edit borders, foot lock) uses one of them.
"""

from __future__ import annotations

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
