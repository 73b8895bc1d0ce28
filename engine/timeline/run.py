"""Request-level timeline entry: when a request needs the timeline, and its features from the models."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..skeleton import BODY_PART_NAMES
from . import plan
from .generate import sample_timeline

#: body-part tracks see their own sample on the parts they do not own (see compose.py); False shares
#: one sample between all rows (cheaper: no extra unconditional rows, but a wave slows a walk down)
PRIVATE_CONTEXT = True


def window_frames(models) -> tuple[int, int]:
    """(window, overlap) in model frames, multiples of the frames per token.

    The window holds WINDOW_S inclusive of both ends (a 10 s request is one window).
    """
    fpt = int(models.manifest["frames_per_token"])
    window = int(round(plan.WINDOW_S * models.fps)) + 1
    window = min(window + (-window) % fpt, int(models.manifest["max_frames"]))
    overlap = int(round(plan.OVERLAP_S * models.fps))
    return window - window % fpt, overlap + (-overlap) % fpt


def needs_timeline(request, total_frames: int, models) -> bool:
    """Several tracks, a partial track or body parts, or longer than one network window.

    A single whole-body, full-length track that fits one window keeps the
    plain path (same output for the same seed as before timelines existed).
    """
    if len(request.tracks) != 1:
        return True
    tr = request.tracks[0]
    partial = tr.start > 0 or tr.end < request.seconds - 1e-6
    parts = bool(tr.body_parts) and set(tr.body_parts) != set(BODY_PART_NAMES)
    return partial or parts or total_frames > int(models.manifest["max_frames"])


def timeline_features(request, models, total_frames: int, steps: int, guidance: float, *,
                      fill_text: str | None = None, guides=None, progress: Callable[[float], None] | None = None,
                      cancel: Callable[[], bool] | None = None) -> np.ndarray:  # fmt: skip
    """Normalised model features (total_frames, F) for the request's tracks.

    `guides` (engine.constraints.windows.TimelineGuides) adds the request's constraints.
    """
    window, overlap = window_frames(models)
    spans = plan.spans_from_tracks(request.tracks, models.fps)
    return sample_timeline(spans, total_frames, last=request.seconds * models.fps, network=models.denoise,
                           encode=models.text.encode, mean=models.mean, std=models.std, fps=models.fps,
                           frames_per_token=int(models.manifest["frames_per_token"]),
                           obs_dim=int(models.manifest["obs_dim"]), steps=steps, guidance=guidance,
                           seed=request.seed, window=window, overlap=overlap, fill_text=fill_text,
                           private=PRIVATE_CONTEXT, guides=guides, progress=progress, cancel=cancel)  # fmt: skip
