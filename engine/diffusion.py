"""Noise schedule shared by training and the numpy sampler (one definition)."""

from __future__ import annotations

import numpy as np

NUM_TRAIN_STEPS = 1000


def alpha_bar(num_steps: int = NUM_TRAIN_STEPS) -> np.ndarray:
    """Cosine schedule (Nichol & Dhariwal 2021): cumulative signal fraction for t = 0..num_steps-1."""
    s = 0.008
    x = np.arange(num_steps + 1, dtype=np.float64) / num_steps
    f = np.cos((x + s) / (1 + s) * np.pi / 2) ** 2
    ab = f / f[0]
    return np.clip(ab[1:], 1e-5, 1.0)
