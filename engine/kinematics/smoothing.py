"""Output smoothing of a Motion: removes the sampler's jitter, keeps real motion's energy.

A zero-phase second-order Butterworth low-pass (filters.butterworth, CUTOFF_HZ)
on every joint's local rotation (as a unit quaternion) and on the root path.
Real mocap has little energy above it (3 % of the test clips' joint velocity
power lies above 4 Hz, 25 % of the sampler's output), and the filter's sharp
knee keeps what lies below (a 2 Hz wave, a punch): on real test clips it costs
at most 4 % of joint or wrist speed, where the first-order One-Euro filter used
before took 12 % of real waves' wrist speed and 9 % of real punches', kicks'
and slashes' (docs/clean-motion.md, measured).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import quaternion as quat
from ..motion import Motion
from .filters import butterworth, minimum_jerk

CUTOFF_HZ = 4.0  # at the default 10 steps: real clips lose <= 4 % of their joint and wrist speed, generated ones jitter
DEFAULT_STEPS = 10  # the shipped model's default (manifest default_steps), where CUTOFF_HZ was measured
MANY_STEPS, MANY_STEPS_HZ = 50, 3.5  # at 50 sampling steps and more
END_FADE_S = 0.3  # s: the first and last frames are kept, the filter's change fading in over this


def smooth_motion(motion: Motion, cutoff_hz: float = CUTOFF_HZ) -> Motion:
    """A copy of `motion` with what changes faster than `cutoff_hz` removed from the rotations and the root path."""
    if motion.num_frames < 3 or cutoff_hz <= 0:
        return motion.copy()
    q = quat.continuous(motion.rotations)
    t, j = q.shape[:2]
    x = np.concatenate([q.reshape(t, 4 * j), motion.root_translation], axis=1)
    y = keep_ends(x, butterworth(x, cutoff_hz, motion.fps), motion.fps)
    return replace(motion, rotations=quat.normalize(y[:, : 4 * j].reshape(t, j, 4)), root_translation=y[:, 4 * j :])


def cutoff_for_steps(steps: int | None) -> float:
    """The cutoff for motion sampled in `steps` steps (None: the default 10).

    More steps leave more energy at 2-6 Hz, not less: after the 4 Hz filter and the feet, jerk is 1.13 x real
    at 10 steps, 1.26 x at 25 and 1.36 x at 50 (docs/clean-motion.md). The cutoff falls with log(steps) from
    CUTOFF_HZ at 10 steps to MANY_STEPS_HZ at 50 (1.19 x real) and stays there beyond.
    """
    if steps is None or steps <= DEFAULT_STEPS:
        return CUTOFF_HZ
    share = min(np.log(steps / DEFAULT_STEPS) / np.log(MANY_STEPS / DEFAULT_STEPS), 1.0)
    return float(CUTOFF_HZ + share * (MANY_STEPS_HZ - CUTOFF_HZ))


def keep_ends(x: np.ndarray, smoothed: np.ndarray, fps: float) -> np.ndarray:
    """`smoothed` with the first and last frames of `x` (a placed character, a clip's ends), the difference
    fading out over END_FADE_S."""
    n = len(x)
    ramp = minimum_jerk(1.0 - np.arange(n) / max(END_FADE_S * fps, 1.0))[:, None]
    return smoothed + ramp * (x[0] - smoothed[0]) + ramp[::-1] * (x[-1] - smoothed[-1])
