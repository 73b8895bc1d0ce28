"""Few-step deterministic DDIM (eta = 0), x0-parameterised, and a run over its steps that is driven from outside.

Step spacing: "trailing" (the default) puts the steps at T-1, T-1-T/n, ..., T/n - 1,
so the last network call denoises from a real noise level; "linspace" (how
every model was sampled before 2026-12-03) spends its last call at t = 0,
where the input is already clean, and jumps to it from T/(n-1): with 10 steps
that damped the gestures (waves 0.42-0.50 x real joint speed against
0.56-0.61 trailing; Lin et al. 2024 on why the final step should start from noise).

`DDIMSampler` is the scheduler: timesteps and the update from (x_t, x0) to
the next x_t. `SamplingRun` holds one sample's state between steps: read
`run.x` and `run.t`, predict x0 however you like (one network call, several
characters batched together, guidance around it), then `run.advance(x0)`.
`DDIMSampler.sample` is that loop for a single `denoise(x_t, t) -> x0`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..diffusion import NUM_TRAIN_STEPS, alpha_bar
from ..errors import MotionComposerError


class Cancelled(MotionComposerError):
    """The user cancelled a generation; nothing was written."""


Denoise = Callable[[np.ndarray, int], np.ndarray]


SPACINGS = ("trailing", "linspace")
DEFAULT_SPACING = "trailing"  # a model whose manifest names none
LEGACY_SPACING = "linspace"  # what a result stored before spacings had names was sampled with


def step_times(steps: int, num_train_steps: int = NUM_TRAIN_STEPS, spacing: str = DEFAULT_SPACING) -> np.ndarray:
    """The diffusion times of `steps` sampling steps, noisiest first (see the module docstring for the spacings)."""
    if spacing == "trailing":
        return (np.arange(steps, 0, -1) * (num_train_steps / steps)).round().astype(int) - 1
    if spacing == "linspace":
        return np.linspace(num_train_steps - 1, 0, steps).round().astype(int)
    raise ValueError(f"step spacing must be one of {', '.join(SPACINGS)} (got {spacing!r})")


class DDIMSampler:
    """Deterministic DDIM over `steps` diffusion times spaced by `spacing`."""

    def __init__(self, steps: int = 10, num_train_steps: int = NUM_TRAIN_STEPS, spacing: str = DEFAULT_SPACING):
        if not 1 <= steps <= num_train_steps:
            raise ValueError(f"steps must be between 1 and {num_train_steps}")
        self.steps = steps
        self.alpha_bar = alpha_bar(num_train_steps)
        self.timesteps = step_times(steps, num_train_steps, spacing)

    def step(self, x_t: np.ndarray, x0: np.ndarray, t: int, t_next: int) -> np.ndarray:
        """x at diffusion time `t_next` from x_t and the x0 predicted at `t`."""
        ab, ab_next = self.alpha_bar[t], self.alpha_bar[t_next]
        eps = (x_t - np.sqrt(ab) * x0) / np.sqrt(1.0 - ab)
        return (np.sqrt(ab_next) * x0 + np.sqrt(1.0 - ab_next) * eps).astype(x_t.dtype)

    def start(self, noise: np.ndarray, *, start_step: int = 0, x_start: np.ndarray | None = None) -> SamplingRun:
        """A run from pure noise, or from `x_start` noised to the level of `start_step` (partial noising)."""
        x = noise
        if x_start is not None:
            ab = self.alpha_bar[self.timesteps[start_step]]
            x = np.sqrt(ab) * x_start + np.sqrt(1.0 - ab) * noise
        return SamplingRun(self, x, start_step)

    def sample(self, denoise: Denoise, noise: np.ndarray, *, start_step: int = 0, x_start: np.ndarray | None = None,
               progress: Callable[[float], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> np.ndarray:  # fmt: skip
        """The final x0 of a run driven by `denoise`."""
        run = self.start(noise, start_step=start_step, x_start=x_start)
        while not run.done:
            if cancel is not None and cancel():
                raise Cancelled("generation cancelled")
            run.advance(denoise(run.x, run.t))
            if progress is not None:
                progress(run.fraction)
        return run.x0


class SamplingRun:
    """One sample on its way through the sampler's steps; `advance` with each x0 prediction."""

    def __init__(self, sampler: DDIMSampler, x: np.ndarray, start_step: int = 0) -> None:
        self.sampler, self.x, self.first, self.index = sampler, x, start_step, start_step
        self.x0 = x  # the latest prediction (the start itself before any step)

    @property
    def done(self) -> bool:
        return self.index >= self.sampler.steps

    @property
    def t(self) -> int:
        """The diffusion time of the current `x`."""
        return int(self.sampler.timesteps[self.index])

    @property
    def is_last(self) -> bool:
        return self.index == self.sampler.steps - 1

    @property
    def fraction(self) -> float:
        return (self.index - self.first) / max(self.sampler.steps - self.first, 1)

    def advance(self, x0: np.ndarray) -> None:
        """Take the x0 predicted for the current step and move `x` to the next step's time."""
        if self.done:
            raise RuntimeError("the run has no steps left")
        self.x0 = x0
        if not self.is_last:
            self.x = self.sampler.step(self.x, x0, self.t, int(self.sampler.timesteps[self.index + 1]))
        self.index += 1
