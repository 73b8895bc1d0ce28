"""The motion sets the benchmark compares: real test clips, a retrieval baseline, the generator.

Every set answers the same test items (one caption and one duration per
test clip) and carries what the metrics need: evaluator features per motion
and world joint positions. Sets answering the held-out phrasings are built
the same way from the held-out captions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from .. import features as feat
from ..constraints.cleanup import cleanup
from ..constraints.types import ConstraintSet
from ..pipeline import generate
from ..request import GenerationRequest
from ..training.captions import canonical_caption
from .clips import Split


@dataclass
class MotionSet:
    label: str
    captions: list[str]
    features: list[np.ndarray]  # raw model features per motion, as the evaluator takes them
    positions: list[np.ndarray]  # world joint positions (T, J, 3) per motion
    seconds: float = 0.0  # wall time spent building the set
    motions: list = field(default_factory=list, repr=False)  # generated Motions (with model contacts), if any


def from_features(label: str, captions: list[str], clips: list[np.ndarray], fps: float) -> MotionSet:
    """A set of corpus clips: features as stored, positions by decoding them."""
    positions = [feat.decode(c, fps).positions() for c in clips]
    return MotionSet(label, list(captions), list(clips), positions)


def real(test: Split, captions: list[str], label: str = "real test motions") -> MotionSet:
    return from_features(label, captions, test.features, test.fps)


def trimmed(clip: np.ndarray, frames: int) -> np.ndarray:
    """The clip cut to the requested length (a library clip is trimmed, never stretched)."""
    return clip[:frames] if len(clip) > frames else clip


def matched_train_subset(test: Split, train: Split, seed: int) -> list[int]:
    """For each test clip a random original (not mirrored) train clip with the same labels.

    The real-data floor for FID: a random train subset with the test set's
    label distribution, so the floor measures sampling noise and the
    train/test difference, not a label mismatch.
    """
    rng = np.random.default_rng(seed)
    by_pair: dict[tuple[str, str], list[int]] = {}
    by_content: dict[str, list[int]] = {}
    for i, (p, m) in enumerate(zip(train.pairs, train.mirrored, strict=True)):
        if not m:
            by_pair.setdefault(p, []).append(i)
            by_content.setdefault(p[0], []).append(i)
    out = []
    for p in test.pairs:
        pool = by_pair.get(p) or by_content.get(p[0]) or list(range(len(train)))
        out.append(int(pool[rng.integers(len(pool))]))
    return out


def train_floor(test: Split, train: Split, captions: list[str], seed: int) -> MotionSet:
    idx = matched_train_subset(test, train, seed)
    clips = [trimmed(train.features[i], len(t)) for i, t in zip(idx, test.features, strict=True)]
    return from_features("train subset (FID floor)", captions, clips, train.fps)


class RetrievalBaseline:
    """A motion library: each train clip is labelled with its plainest caption
    ('a tired person walks forward'); a query returns a clip of the label whose
    caption is nearest in the generator's MiniLM embedding space (random among
    that label's clips, trimmed to the requested duration)."""

    def __init__(self, train: Split, embed):
        self.train = train
        self.labels = sorted(set(train.pairs))
        self.index = embed([canonical_caption(*p) for p in self.labels])
        self.clips: dict[tuple[str, str], list[int]] = {}
        for i, p in enumerate(train.pairs):
            self.clips.setdefault(p, []).append(i)
        self.embed = embed

    def query(self, captions: list[str], frames: list[int], seed: int, label: str) -> MotionSet:
        t0 = time.time()
        rng = np.random.default_rng(seed)
        best = np.argmax(self.embed(list(captions)) @ self.index.T, axis=1)
        clips = []
        for b, n in zip(best, frames, strict=True):
            pool = self.clips[self.labels[b]]
            clips.append(trimmed(self.train.features[pool[rng.integers(len(pool))]], n))
        out = from_features(label, captions, clips, self.train.fps)
        out.seconds = time.time() - t0
        return out


def generated(label: str, captions: list[str], frames: list[int], fps: float, seed: int, steps: int | None,
              model_dir) -> MotionSet:  # fmt: skip
    """The shipped generator through engine.generate, one request per test item (seed = seed * 100003 + item)."""
    t0 = time.time()
    motions = []
    for i, (text, n) in enumerate(zip(captions, frames, strict=True)):
        req = GenerationRequest.from_text(text, seconds=(n - 1) / fps, seed=seed * 100003 + i, steps=steps, fps=fps)
        motions.append(generate(req, model_dir=model_dir))
    out = from_motions(label, captions, motions)
    out.seconds = time.time() - t0
    return out


def from_motions(label: str, captions: list[str], motions: list) -> MotionSet:
    """Contacts are re-detected from the motion for the features, exactly as for the corpus clips."""
    features = [feat.encode(replace(m, contacts=None)) for m in motions]
    return MotionSet(label, list(captions), features, [m.positions() for m in motions], motions=motions)


def foot_cleaned(label: str, generated_set: MotionSet) -> MotionSet:
    """The generated motions after the engine's foot clean-up pass (planted contacts pinned, no constraints)."""
    t0 = time.time()
    cleaned = [cleanup(m, ConstraintSet(), feet=True) for m in generated_set.motions]
    out = from_motions(label, generated_set.captions, cleaned)
    out.seconds = time.time() - t0  # the clean-up alone
    return out
