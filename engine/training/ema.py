"""Exponential moving average of the weights: the averaged copy is what gets exported.

Small diffusion models trained for few steps are noisy snapshots of a moving
optimiser; averaging the weights (as in DDPM, EDM and MDM) gives smoother,
more data-like samples at no inference cost.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """Keeps `decay`-weighted running averages of a module's parameters and buffers.

    The effective decay ramps up as (1 + n) / (10 + n) so a fresh average is not
    dominated by the initial weights.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for avg, cur in zip(self.model.state_dict().values(), model.state_dict().values(), strict=True):
            if avg.dtype.is_floating_point:
                avg.mul_(d).add_(cur.detach(), alpha=1 - d)
            else:
                avg.copy_(cur)

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "updates": self.updates, "decay": self.decay}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
