"""Output smoothing of a Motion: removes the sampler's excess jitter, keeps what real motion also has.

Two parts:

- a zero-phase second-order Butterworth low-pass (filters.butterworth, CUTOFF_HZ) on every
  joint's local rotation (as a unit quaternion) and on the root path;
- a jitter budget: what the low-pass takes off (the quick band) is put back in the share
  min(1, JITTER_BUDGET / J)^BUDGET_POWER, where J is the band's mean jerk over the joints
  around each frame. Real test clips' quick band holds a median 10 m/s^3 (waves 8-12,
  walks 52) and the sampler's walks and runs 120-250, while its waves and raised hands hold
  9-30, about what real ones do: a generated wave's 3-4 Hz swing (the filter's transition
  band, 24-29 % of the waves' joint speed with the filter alone) is kept, a walk's excess
  jitter is still removed. The share is one number per frame for the whole body and varies
  over about half a second, so it adds no jerk of its own; it never exceeds 1 (no motion is
  made faster than the model made it). What is put back stops at CEILING_HZ: a share of 1 for
  the whole body let a hand's frame-to-frame tremor through where the rest of the body was
  quiet (a generated wave's wrist held 1.0-3.1 mm above 6 Hz, real waves 0.66 mm).
  Measured in docs/clean-motion.md.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import quaternion as quat
from ..motion import Motion
from .filters import butterworth, gaussian, minimum_jerk

CUTOFF_HZ = 3.75  # at the default 10 steps, where a motion is over its jitter budget
PLAIN_HZ = 4.0  # the low-pass alone, without the budget (guidance's smoothing before its IK): real clips lose <= 4 %
DEFAULT_STEPS = 10  # the shipped model's default (manifest default_steps), where CUTOFF_HZ was measured
MANY_STEPS, MANY_STEPS_HZ = 50, 3.25  # at 50 sampling steps and more
END_FADE_S = 0.3  # s: the first and last frames are kept, the filter's change fading in over this
JITTER_BUDGET = 50.0  # m/s^3: mean jerk over the joints of the quick band that is kept whole (real walks: 52)
BUDGET_POWER = 3  # above the budget the kept share falls fast: a generated walk (J about 120) keeps 7 %
LEVEL_S, SHARE_S = 0.5, 0.25  # s: Gaussian sigmas of the band's jerk level and of the kept share
CEILING_HZ = 7.0  # what the budget puts back is low-passed here: a 3.5 Hz swing keeps 94 %, 10 Hz tremor 19 %


def smooth_motion(motion: Motion, cutoff_hz: float = CUTOFF_HZ, budget: float = JITTER_BUDGET) -> Motion:
    """A copy of `motion` without what changes faster than `cutoff_hz` beyond the jitter `budget` (m/s^3;
    0: the plain low-pass)."""
    low = low_pass(motion, cutoff_hz)
    if budget <= 0 or motion.num_frames < 4:
        return low
    share = kept_share(motion.positions() - low.positions(), motion.fps, budget)
    return mix(low, low_pass(motion, CEILING_HZ), share)  # what comes back stops at CEILING_HZ: no tremor


def mix(a: Motion, b: Motion, share: np.ndarray) -> Motion:
    """`a` moved towards `b` by `share` (T,) in [0, 1] per frame: rotations interpolated, root path too."""
    q = quat.continuous(b.rotations)
    q_a = a.rotations * np.sign(np.sum(a.rotations * q, axis=-1, keepdims=True))  # same hemisphere
    rotations = quat.normalize(q_a + share[:, None, None] * (q - q_a))
    root = a.root_translation + share[:, None] * (b.root_translation - a.root_translation)
    return replace(a, rotations=rotations, root_translation=root)


def joint_jerk(positions: np.ndarray, fps: float) -> np.ndarray:
    """(T-3, J) magnitude of the third time derivative of joint positions (T, J, 3), m/s^3."""
    p = np.asarray(positions, np.float64)
    if len(p) < 4:
        return np.zeros((0, p.shape[1]))
    return np.linalg.norm(np.diff(p, n=3, axis=0), axis=-1) * fps**3


def low_pass(motion: Motion, cutoff_hz: float = CUTOFF_HZ) -> Motion:
    """A copy of `motion` with what changes faster than `cutoff_hz` removed from the rotations and the root path."""
    if motion.num_frames < 3 or cutoff_hz <= 0:
        return motion.copy()
    q = quat.continuous(motion.rotations)
    t, j = q.shape[:2]
    x = np.concatenate([q.reshape(t, 4 * j), motion.root_translation], axis=1)
    y = keep_ends(x, butterworth(x, cutoff_hz, motion.fps), motion.fps)
    return replace(motion, rotations=quat.normalize(y[:, : 4 * j].reshape(t, j, 4)), root_translation=y[:, 4 * j :])


def kept_share(band: np.ndarray, fps: float, budget: float = JITTER_BUDGET) -> np.ndarray:
    """(T,) share in [0, 1] of the quick band `band` (T, J, 3 joint positions) to keep at each frame: 1 while its
    mean jerk over the joints, averaged over about a second, stays within `budget`, falling as its cube above."""
    jerk = joint_jerk(band, fps).mean(axis=1)
    level = gaussian(np.pad(jerk, (1, 2), mode="edge"), LEVEL_S * fps)  # each third difference centred on its frames
    share = np.minimum(1.0, budget / np.maximum(level, 1e-12)) ** BUDGET_POWER
    return gaussian(share, SHARE_S * fps)


def cutoff_for_steps(steps: int | None) -> float:
    """The cutoff for motion sampled in `steps` steps (None: the default 10).

    More steps leave more energy at 2-6 Hz, not less: after the 4 Hz filter and the feet, jerk is 1.13 x real
    at 10 steps, 1.26 x at 25 and 1.36 x at 50 (docs/clean-motion.md). The cutoff falls with log(steps) from
    CUTOFF_HZ at 10 steps to MANY_STEPS_HZ at 50 and stays there beyond.
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
