"""The retrieval evaluator learns an own captioned corpus beside the base one: train_evaluator --own-corpus.

Base corpus: the tiny synthetic one; own corpus: test_own_finetune's
procedural library (two captioned train clips and their mirrors, one held out).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from fixtures_corpus import synthetic_corpus
from test_own_finetune import own_corpus

from engine.errors import MotionComposerError
from engine.eval import train_evaluator
from engine.eval.embedder import Evaluator
from engine.eval.own_split import OWN_STYLE, parse_own, training_clips
from engine.runtime import DEFAULT_MODEL_DIR


def test_own_clips_are_labelled_by_their_captions_and_drawn_with_their_share(tmp_path):
    base = tmp_path / "base"
    synthetic_corpus(base, with_test=True)
    own = own_corpus(tmp_path)
    clips = training_clips(base, parse_own(f"{own}:0.3"))
    mine = [i for i, s in enumerate(clips.split.styles) if s == OWN_STYLE]
    assert len(mine) == 4  # two train clips and their mirrors
    assert {clips.captions(clips.split.pairs[i])[0] for i in mine} == {
        "a person strides forward, take 0",
        "a person strides forward, take 1",
    }
    groups = train_evaluator.pair_ids(clips.split.pairs)
    assert len({groups[i] for i in mine}) == 2  # a mirror shares its clip's label (same captions)
    p = clips.probabilities(groups)
    assert p[mine].sum() == pytest.approx(0.3) and p.sum() == pytest.approx(1.0)
    with pytest.raises(MotionComposerError, match="no captions"):
        parse_own(str(base)) and training_clips(base, (base, 0.5))
    with pytest.raises(MotionComposerError, match="share between 0 and 1"):
        parse_own(f"{own}:1.5")


@pytest.mark.slow
def test_train_evaluator_with_an_own_corpus_exports_an_evaluator_that_reads_its_captions(tmp_path):
    base = tmp_path / "base"
    synthetic_corpus(base, with_test=True)
    shutil.copy(base / "test.npz", base / "val.npz")  # the tiny corpus has no val split to pick the checkpoint
    own = own_corpus(tmp_path)
    out = tmp_path / "eval"
    args = ["--corpus", str(base), "--own-corpus", f"{own}:0.5", "--out", str(out), "--steps", "4",
            "--check-every", "2", "--batch", "4", "--crop", "40", "--text-dir", str(DEFAULT_MODEL_DIR)]  # fmt: skip
    assert train_evaluator.main(args) == 0
    info = json.loads((out / "evaluator.json").read_text())
    assert info["own_corpus"]["share"] == 0.5 and info["training"]["steps"] == 4
    assert "own captioned corpus" in (out / "CARD.md").read_text()
    ev = Evaluator(out, DEFAULT_MODEL_DIR)
    held_out = np.load(own / "test.npz")["features"]
    assert ev.motions([held_out]).shape == ev.texts(["a person strides forward, take 2"]).shape
    assert train_evaluator.main(["--corpus", str(base), "--own-corpus", f"{base}", "--out", str(tmp_path / "x")]) == 2
