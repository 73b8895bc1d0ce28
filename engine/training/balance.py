"""Which clip and which caption a training sample gets: rare labels up-weighted, style sometimes left out.

Dataset 1 has one or two clips per label (kick, slash, dance, angry walk...)
next to labels with hundreds; sampling clips in proportion to their length
lets the common labels drown the rare ones. Label pairs are drawn with
probability proportional to (their frames) ** exponent (1 = proportional to
data, 0 = every pair equally often), clips within a pair by length.
Captions sometimes drop the style ("a person kicks" for an angry kick), so
the content words carry the action on their own and a style word does not
replace it.
"""

from __future__ import annotations

import numpy as np

from .captions import training_captions

NEUTRAL_STYLE = "normal"


def clip_probabilities(lengths: np.ndarray, labels: list[tuple[str, str]], frames: int,
                       exponent: float) -> np.ndarray:  # fmt: skip
    """(N,) probability of drawing each clip for windows of `frames` frames."""
    w = np.minimum(np.asarray(lengths), frames).astype(np.float64)
    ids = {p: i for i, p in enumerate(sorted(set(labels)))}
    pair = np.array([ids[p] for p in labels])
    totals = np.bincount(pair, weights=w)
    p = w / totals[pair] * totals[pair] ** exponent
    return p / p.sum()


class CaptionChooser:
    """Training captions per label pair, with the style left out for a share of styled samples."""

    def __init__(self, pairs, content_only: float, free_text: dict | None = None) -> None:
        """`free_text`: captions per pair of an own corpus (no style to leave out) instead of the label templates."""
        self.content_only = content_only
        self.captions = free_text or {p: training_captions(*p) for p in pairs}
        self.plain = free_text or {p: training_captions(p[0], NEUTRAL_STYLE) for p in pairs}

    def all_captions(self) -> list[str]:
        return sorted({c for table in (self.captions, self.plain) for caps in table.values() for c in caps})

    def choose(self, pair: tuple[str, str], rng: np.random.Generator) -> str:
        styled = pair[1] != NEUTRAL_STYLE
        pool = self.plain[pair] if styled and rng.random() < self.content_only else self.captions[pair]
        return pool[rng.integers(len(pool))]
