"""Multi-track timelines: text tracks per body part and time, composed at every denoising step.

`parts` infers body parts from text, `plan` turns tracks into paint layers
and windows, `compose` is one window's denoise function. engine.pipeline
runs the windows for every request (`engine.pipeline.generate`).
"""

from .parts import PartInference, infer_body_parts, track_body_parts
from .plan import CONTEXT_S, OVERLAP_S, RAMP_S, WINDOW_S

__all__ = ["CONTEXT_S", "OVERLAP_S", "RAMP_S", "WINDOW_S", "PartInference", "infer_body_parts",
           "track_body_parts"]  # fmt: skip
