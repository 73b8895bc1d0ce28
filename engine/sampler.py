"""Few-step DDIM sampling in numpy, separate from the network (as in diffusers' schedulers).

The sampler only sees a `denoise(x_t, t) -> x0` function; classifier-free
guidance, timeline composition and constraint guidance are wrapped around
that function, so swapping the step count or solver touches nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .diffusion import NUM_TRAIN_STEPS, alpha_bar
from .errors import MotionComposerError


class Cancelled(MotionComposerError):
    """The user cancelled a generation; nothing was written."""


Denoise = Callable[[np.ndarray, int], np.ndarray]


class DDIMSampler:
    """Deterministic DDIM (eta = 0) over `steps` evenly spaced diffusion times, x0-parameterised."""

    def __init__(self, steps: int = 10, num_train_steps: int = NUM_TRAIN_STEPS):
        if not 1 <= steps <= num_train_steps:
            raise ValueError(f"steps must be between 1 and {num_train_steps}")
        self.steps = steps
        self.alpha_bar = alpha_bar(num_train_steps)
        self.timesteps = np.linspace(num_train_steps - 1, 0, steps).round().astype(int)

    def sample(self, denoise: Denoise, noise: np.ndarray, *, start_step: int = 0, x_start: np.ndarray | None = None,
               progress: Callable[[float], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> np.ndarray:  # fmt: skip
        """Run from pure noise, or from `x_start` noised to the level of `start_step` (partial noising)."""
        x = noise
        if x_start is not None:
            ab = self.alpha_bar[self.timesteps[start_step]]
            x = np.sqrt(ab) * x_start + np.sqrt(1.0 - ab) * noise
        x0 = x
        for i in range(start_step, self.steps):
            if cancel is not None and cancel():
                raise Cancelled("generation cancelled")
            t = int(self.timesteps[i])
            x0 = denoise(x, t)
            if i + 1 < self.steps:
                x = self.step(x, x0, t, int(self.timesteps[i + 1]))
            if progress is not None:
                progress((i + 1 - start_step) / (self.steps - start_step))
        return x0

    def step(self, x_t: np.ndarray, x0: np.ndarray, t: int, t_next: int) -> np.ndarray:
        ab, ab_next = self.alpha_bar[t], self.alpha_bar[t_next]
        eps = (x_t - np.sqrt(ab) * x0) / np.sqrt(1.0 - ab)
        return (np.sqrt(ab_next) * x0 + np.sqrt(1.0 - ab_next) * eps).astype(x_t.dtype)


def classifier_free(denoise_batch, guidance: float):
    """Wrap a batched (cond, uncond) network call into one guided x0 prediction.

    `denoise_batch(x_t2, t)` gets the sample twice (first conditional, then
    unconditional) as one batch of 2B and returns both predictions.
    """

    def denoise(x_t: np.ndarray, t: int) -> np.ndarray:
        both = denoise_batch(np.concatenate([x_t, x_t]), t)
        cond, uncond = np.split(both, 2)
        return uncond + guidance * (cond - uncond)

    return denoise
