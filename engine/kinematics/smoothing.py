"""Speed-adaptive smoothing of a Motion: removes sampling jitter, keeps fast actions fast.

A One-Euro-style low-pass (Casiez et al. 2012) run forwards and then
backwards (so it adds no lag): its cutoff frequency rises with the speed of
the signal, so a still or slow joint is smoothed hard (jitter is what is
left there) while a punch or a swing, fast on purpose, passes almost
untouched. Each joint's local rotation is filtered as a unit quaternion
with one cutoff from its angular speed; the root translation with one
cutoff from its linear speed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import quaternion as quat
from ..motion import Motion
from .filters import minimum_jerk

MIN_CUTOFF = 3.0  # Hz: the cutoff of a still joint (sampling jitter lies above it, a wave below)
ANGULAR_BETA = 1.0  # Hz per rad/s: how fast the cutoff rises with a joint's angular speed
LINEAR_BETA = 2.0  # Hz per m/s, for the root
END_FADE_S = 0.3  # s: the first and last frames are kept, the filter's change fading in over this


def smooth_motion(motion: Motion, min_cutoff: float = MIN_CUTOFF, angular_beta: float = ANGULAR_BETA,
                  linear_beta: float = LINEAR_BETA) -> Motion:  # fmt: skip
    """A copy of `motion` with jitter removed from every joint's rotation and from the root path."""
    if motion.num_frames < 3 or min_cutoff <= 0:
        return motion.copy()
    fps = motion.fps
    q = quat.continuous(motion.rotations)
    angular = 2.0 * np.arccos(np.clip(np.abs(np.sum(q[1:] * q[:-1], axis=-1)), 0.0, 1.0)) * fps  # (T-1, J) rad/s
    rot = quat.normalize(zero_phase(q, _speed_per_frame(angular), fps, min_cutoff, angular_beta))
    linear = np.linalg.norm(np.diff(motion.root_translation, axis=0), axis=-1) * fps
    root = zero_phase(motion.root_translation[:, None], _speed_per_frame(linear[:, None]), fps, min_cutoff,
                      linear_beta)[:, 0]  # fmt: skip
    return replace(motion, rotations=rot, root_translation=root)


def _speed_per_frame(step_speed: np.ndarray) -> np.ndarray:
    """(T, ...) speed at each frame: the faster of the steps into and out of it."""
    out = np.empty((len(step_speed) + 1,) + step_speed.shape[1:])
    out[0], out[-1] = step_speed[0], step_speed[-1]
    out[1:-1] = np.maximum(step_speed[1:], step_speed[:-1])
    return out


def zero_phase(x: np.ndarray, speed: np.ndarray, fps: float, min_cutoff: float, beta: float) -> np.ndarray:
    """Adaptive first-order low-pass of x (T, C, D) forwards then backwards; `speed` (T, C) sets each
    channel's cutoff (min_cutoff + beta * speed) per frame."""
    cutoff = min_cutoff + beta * speed
    tau = 1.0 / (2.0 * np.pi * cutoff)
    alpha = (1.0 / (1.0 + tau * fps))[..., None]  # (T, C, 1)
    forward = _low_pass(x, alpha)
    out = _low_pass(forward[::-1], alpha[::-1])[::-1]
    # the first and last frames stay where they were (a placed character, a clip's ends), the difference fading
    # out over END_FADE_S
    n = len(x)
    ramp = minimum_jerk(1.0 - np.arange(n) / max(END_FADE_S * fps, 1.0))
    shape = (n,) + (1,) * (x.ndim - 1)
    return out + ramp.reshape(shape) * (x[0] - out[0]) + ramp[::-1].reshape(shape) * (x[-1] - out[-1])


def _low_pass(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    out = np.empty_like(x, dtype=np.float64)
    out[0] = x[0]
    for t in range(1, len(x)):
        out[t] = out[t - 1] + alpha[t] * (x[t] - out[t - 1])
    return out
