"""Sampling, separate from the network (as diffusers' schedulers are).

- ddim.py  the DDIM scheduler (timesteps, the update) and a steppable run over its steps
- cfg.py   classifier-free guidance: how conditional and unconditional predictions combine

Neither knows what the network is: the pipeline computes each x0 prediction
and hands it to the run, so several samples (characters) can step in lockstep.
"""

from .cfg import classifier_free, guide, guide_text_and_observations
from .ddim import DEFAULT_SPACING, LEGACY_SPACING, SPACINGS, Cancelled, DDIMSampler, Denoise, SamplingRun

__all__ = ["DEFAULT_SPACING", "LEGACY_SPACING", "SPACINGS", "Cancelled", "DDIMSampler", "Denoise", "SamplingRun", "classifier_free", "guide",
           "guide_text_and_observations"]  # fmt: skip
