"""A prepared corpus split as a list of clips (features per clip plus labels)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..training.captions import heldout_captions, training_captions  # plain Python, no torch

#: the prepared corpus (python -m engine.training.prepare); MOTION_COMPOSER_CORPUS points elsewhere
DEFAULT_CORPUS = Path(os.environ.get("MOTION_COMPOSER_CORPUS", Path.home() / ".cache" / "motion_composer" / "corpus"))
FINGERPRINT_DECIMALS = 6  # stats are compared to a millionth (features are metres, radians and 0/1 contacts)


@dataclass
class Split:
    features: list[np.ndarray]  # raw (T, FEATURE_DIM) float32 per clip, at `fps`
    contents: list[str]
    styles: list[str]
    clip_ids: list[str]
    mirrored: np.ndarray
    fps: float

    def __len__(self) -> int:
        return len(self.features)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(content, style) label of every clip."""
        return list(zip(self.contents, self.styles, strict=True))

    def subset(self, indices) -> Split:
        idx = [int(i) for i in indices]
        return Split([self.features[i] for i in idx], [self.contents[i] for i in idx],
                     [self.styles[i] for i in idx], [self.clip_ids[i] for i in idx],
                     self.mirrored[idx], self.fps)  # fmt: skip


def load_split(corpus: str | Path, name: str) -> Split:
    path = Path(corpus) / f"{name}.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: build the corpus with `python -m engine.training.prepare`")
    data = np.load(path)
    starts = data["starts"]
    features = data["features"]
    clips = [features[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]
    return Split(clips, data["contents"].tolist(), data["styles"].tolist(), data["clip_ids"].tolist(),
                 np.asarray(data["mirrored"], bool), float(data["fps"]))  # fmt: skip


def stats_fingerprint(corpus: str | Path) -> str:
    """Short hash of the corpus' normalisation statistics: tells whether two corpora are the same build.

    Rounded to FINGERPRINT_DECIMALS first: a rebuild of the same clips differs in the last bits of channels that are
    zero up to float noise (one mean of 7e-20 against 8e-20), which is not another build.
    """
    stats = np.load(Path(corpus) / "stats.npz")
    values = [np.round(stats[k].astype(np.float64), FINGERPRINT_DECIMALS) + 0.0 for k in ("mean", "std")]
    return hashlib.sha256(b"".join(v.tobytes() for v in values)).hexdigest()[:16]


def pick_captions(split: Split, seed: int, heldout: bool = False) -> list[str]:
    """One caption per clip, drawn with `seed` from its label pair's training (or held-out) phrasings."""
    rng = np.random.default_rng(seed)
    pool = heldout_captions if heldout else training_captions
    return [pool(c, s)[rng.integers(len(pool(c, s)))] for c, s in split.pairs]


def pair_ids(pairs: list[tuple[str, str]]) -> np.ndarray:
    """Integer id per distinct label pair (for grouping in metrics)."""
    index: dict[tuple[str, str], int] = {}
    return np.array([index.setdefault(p, len(index)) for p in pairs])
