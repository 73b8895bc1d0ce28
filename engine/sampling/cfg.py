"""Classifier-free guidance, in one place.

Predictions are combined as `uncond + w * (cond - uncond)`. The model sees
two kinds of condition, text and observations (kept frames, paths, poses);
`guide_text_and_observations` weighs them separately:

    plain + w_obs * (obs_only - plain) + w_text * (full - obs_only)

where `full` sees both, `obs_only` sees the observations without text and
`plain` neither. With w_obs = 1 that is `obs_only + w_text * (full - obs_only)`,
one guided term and no `plain` row: what the pipeline runs by default.
"""

from __future__ import annotations

import numpy as np


def guide(cond: np.ndarray, uncond: np.ndarray, weight: float) -> np.ndarray:
    """Move from the unconditional prediction towards (and past, for weight > 1) the conditional one."""
    return uncond + weight * (cond - uncond)


def guide_text_and_observations(full: np.ndarray, obs_only: np.ndarray, plain: np.ndarray | None,
                                text_weight: float, obs_weight: float = 1.0) -> np.ndarray:  # fmt: skip
    """Text and observations guided with their own weights (`plain` may be None when obs_weight is 1)."""
    base = obs_only if plain is None or obs_weight == 1.0 else guide(obs_only, plain, obs_weight)
    return base + text_weight * (full - obs_only)


def classifier_free(denoise_batch, weight: float):
    """Wrap a batched (cond, uncond) network call into one guided x0 prediction.

    `denoise_batch(x_t2, t)` gets the sample twice (first conditional, then
    unconditional) as one batch of 2B and returns both predictions.
    """

    def denoise(x_t: np.ndarray, t: int) -> np.ndarray:
        cond, uncond = np.split(denoise_batch(np.concatenate([x_t, x_t]), t), 2)
        return guide(cond, uncond, weight)

    return denoise
