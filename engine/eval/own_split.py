"""Own captioned corpora in the evaluator's training: `train_evaluator --own-corpus CORPUS[:SHARE]`.

The shipped evaluator knows only the base corpus' content x style labels, so
it cannot say whether a motion matches an own caption ("basketball - forward
dribble"). An own corpus (engine.training.prepare --bvh/--smpl) holds free
captions per clip; here its train clips are labelled by their caption set
(clips with the same captions share a label, so they are not each other's
negatives), and each training batch item comes from it with probability
SHARE, from the base train split otherwise (so the base labels are kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MotionComposerError
from ..training.captions import training_captions
from ..training.finetune import corpus_share
from ..training.library_captions import CAPTION_SEPARATOR
from .clips import Split, load_split

OWN_STYLE = "own caption"
DEFAULT_SHARE = 0.5


def parse_own(text: str) -> tuple[Path, float]:
    """'CORPUS' or 'CORPUS:SHARE' -> (folder, share of each batch drawn from it)."""
    return corpus_share(text, "--own-corpus", "CORPUS or CORPUS:SHARE with a share between 0 and 1", DEFAULT_SHARE,
                        "python -m engine.training.prepare --bvh ... --out CORPUS")  # fmt: skip


def own_train_split(corpus: Path) -> tuple[Split, dict[tuple[str, str], list[str]]]:
    """The own corpus' train clips labelled by their captions, and the captions of each label."""
    split = load_split(corpus, "train")
    texts = np.load(Path(corpus) / "train.npz")
    if "captions" not in texts.files:
        raise MotionComposerError(f"--own-corpus {corpus}: its clips have no captions (a base corpus, not an own one)")
    captions = texts["captions"].tolist()
    split.contents = list(captions)
    split.styles = [OWN_STYLE] * len(captions)
    table = {(c, OWN_STYLE): list(dict.fromkeys(c.split(CAPTION_SEPARATOR))) for c in captions}
    return split, table


def concatenate(a: Split, b: Split) -> Split:
    if a.fps != b.fps or a.features[0].shape[1] != b.features[0].shape[1]:
        raise MotionComposerError(
            f"the own corpus ({b.fps:g} fps, {b.features[0].shape[1]} features) does not match the base corpus "
            f"({a.fps:g} fps, {a.features[0].shape[1]} features); prepare it with this code"
        )
    return Split(a.features + b.features, a.contents + b.contents, a.styles + b.styles, a.clip_ids + b.clip_ids,
                 np.concatenate([a.mirrored, b.mirrored]), a.fps)  # fmt: skip


@dataclass
class TrainingClips:
    """The clips the evaluator trains on, each label's captions, and the probability of drawing each clip."""

    split: Split
    own_captions: dict[tuple[str, str], list[str]]
    own_share: float

    def captions(self, pair: tuple[str, str]) -> list[str]:
        return self.own_captions[pair] if pair in self.own_captions else training_captions(*pair)

    def probabilities(self, groups: np.ndarray) -> np.ndarray:
        """1/sqrt(label count) within each source (softens the label imbalance), then the own share."""
        counts = np.bincount(groups)
        weights = 1.0 / np.sqrt(counts[groups])
        own = np.array([s == OWN_STYLE for s in self.split.styles])
        if not own.any():
            return weights / weights.sum()
        share = np.where(own, self.own_share, 1.0 - self.own_share)
        totals = np.where(own, weights[own].sum(), weights[~own].sum())
        return share * weights / totals


def training_clips(base_corpus: Path, own: tuple[Path, float] | None) -> TrainingClips:
    base = load_split(base_corpus, "train")
    if own is None:
        return TrainingClips(base, {}, 0.0)
    split, table = own_train_split(own[0])
    return TrainingClips(concatenate(base, split), table, own[1])
