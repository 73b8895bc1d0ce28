"""Timeline plan: tracks as per-frame weights over feature columns, and the window schedule.

Composition rule (documented in docs/timeline.md):

* every frame starts from the fill (the unconditional prediction, or the
  prediction for `fill_text` when one is given);
* tracks whose body parts were inferred first paint the rest of the body,
  as a background layer (a lone "a person walks" still moves the arms);
* then every track paints its own body parts (named or inferred);
* within each layer tracks are painted in start order (ties: list order), so
  where two tracks claim the same body part the later-starting one wins;
* a track's weight ramps from 0 to 1 over RAMP_S centred on its start and
  back to 0 centred on its end (not at the timeline's ends), and each paint
  is `out += w * (pred - out)`, so every handover is a cross-fade.

Each track is denoised on its own crop: its interval plus CONTEXT_S on both
sides, so a 2 s "bow" is a 2 s motion to the network, not a 10 s one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import BODY_PART_NAMES
from .parts import columns_mask, track_body_parts

RAMP_S = 1.0  # width of the cross-fade at a track border, seconds
CONTEXT_S = 0.75  # extra time each track's crop sees beyond its interval, seconds
WINDOW_S = 10.0  # length of one generation window (the training windows were <= 10 s)
OVERLAP_S = 2.0  # frames each window shares with the previous one (observed prefix)


@dataclass(frozen=True)
class TrackSpan:
    """A track in model frames: text, [start, end) as float frames, owned columns."""

    index: int
    text: str
    start: float
    end: float
    parts: tuple[str, ...]
    inferred: bool


@dataclass(frozen=True)
class Layer:
    """One paint: the prediction of `span` with weight (frames of the window, columns)."""

    span: TrackSpan
    columns: np.ndarray  # (F,) 0/1


def spans_from_tracks(tracks, fps: float) -> list[TrackSpan]:
    """Request tracks -> spans in model frames, sorted by start (stable)."""
    spans = []
    for i, tr in enumerate(tracks):
        parts, inferred = track_body_parts(tr)
        spans.append(TrackSpan(i, tr.text, tr.start * fps, tr.end * fps, parts, inferred))
    return sorted(spans, key=lambda s: s.start)


def layers(spans: list[TrackSpan]) -> list[Layer]:
    """Paint order: background (inferred tracks on the parts they did not claim), then every track
    on its parts. Each column gets each track once, so a border is one linear cross-fade."""
    back = [Layer(s, columns_mask([p for p in BODY_PART_NAMES if p not in s.parts])) for s in spans if s.inferred]
    return [b for b in back if b.columns.any()] + [Layer(s, columns_mask(s.parts)) for s in spans]


def track_weight(span: TrackSpan, frames: np.ndarray, last: float, fps: float) -> np.ndarray:
    """Weight in [0, 1] of a track at the given (global) frames: 1 inside, linear ramps at borders.

    `last` is the timeline's last frame: a track touching either end of the
    timeline has no ramp there.
    """
    half = 0.5 * RAMP_S * fps
    w = np.ones(len(frames), dtype=np.float32)
    if span.start > 1e-6:
        w = np.minimum(w, np.clip((frames - (span.start - half)) / (2 * half), 0.0, 1.0))
    if span.end < last - 1e-6:
        w = np.minimum(w, np.clip(((span.end + half) - frames) / (2 * half), 0.0, 1.0))
    return w.astype(np.float32)


def crop(span: TrackSpan, lo: int, hi: int, fps: float, multiple: int) -> tuple[int, int] | None:
    """Frames [a, b) of the window [lo, hi) the track is denoised on; None if it misses the window.

    The length is a multiple of `multiple` (frames per token), grown inside the window.
    """
    pad = max(CONTEXT_S, 0.5 * RAMP_S) * fps
    a = max(lo, int(np.floor(span.start - pad)))
    b = min(hi, int(np.ceil(span.end + pad)) + 1)
    if b - a <= 0:
        return None
    n = b - a
    n = min(hi - lo, n + (-n) % multiple)
    b = min(hi, a + n)
    a = b - n
    return a, b


def windows(total: int, window: int, overlap: int, multiple: int) -> list[tuple[int, int]]:
    """[start, end) frame ranges covering [0, total): consecutive ones share >= `overlap` frames.

    Full windows every `window - overlap` frames; the last one only runs to
    `total` (shorter, so it costs only what it adds). `total` and `window`
    are multiples of `multiple`.
    """
    if total <= window:
        return [(0, total)]
    stride = window - overlap
    stride -= stride % multiple
    out = []
    start = 0
    while start + window < total:
        out.append((start, start + window))
        start += stride
    out.append((start, total))
    return out
