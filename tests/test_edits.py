"""Edits as data (engine.edits): validation without the model, recipes replayed with it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from engine import edits
from engine.errors import RequestError
from engine.request import GenerationRequest

MODEL_DIR = Path(os.environ.get("MC_MODEL_DIR", Path(__file__).resolve().parent.parent / "exported_models"))
needs_model = pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(),
                                 reason="needs the trained model: exported_models/manifest.json is missing")  # fmt: skip


@pytest.mark.parametrize("edit, message", [
    ("restyle", "must be an object"),
    ({"op": "mirror", "text": "x"}, "unknown edit op 'mirror': use one of regenerate_range, extend, restyle"),
    ({"op": "regenerate_range", "start": 3, "text": "x"}, "needs end"),
    ({"op": "extend", "seconds": 1, "text": "x", "frames": 3}, "does not take frames"),
    ({"op": "restyle", "text": "  "}, "'text' must say what the character does"),
])  # fmt: skip
def test_bad_edits_name_the_fix(edit, message):
    with pytest.raises(RequestError, match=message):
        edits.check_edit(edit)


def test_frames_added_before_only_for_backward_extends():
    back = {"op": "extend", "seconds": 1.5, "direction": "backward", "text": "a person stands up"}
    assert edits.frames_added_before(back, 30.0) == 45
    assert edits.frames_added_before(dict(back, direction="forward"), 30.0) == 0
    assert edits.frames_added_before({"op": "restyle", "text": "happily"}, 30.0) == 0


@needs_model
def test_a_recipe_reproduces_the_same_frames():
    request = GenerationRequest.from_dict({"text": "a person walks forward", "seconds": 3.0, "fps": 30, "seed": 2})
    recipe = [
        {"op": "regenerate_range", "start": 30, "end": 60, "text": "a person jumps", "seed": 4},
        {"op": "extend", "seconds": 1.0, "direction": "backward", "text": "a person stands still", "seed": 1},
    ]
    seen = []
    a = edits.reproduce(request, recipe, model_dir=MODEL_DIR, threads=2, progress=seen.append)
    b = edits.reproduce(request, recipe, model_dir=MODEL_DIR, threads=2)
    assert a.num_frames == 91 + 30
    assert np.array_equal(a.rotations, b.rotations) and np.array_equal(a.root_translation, b.root_translation)
    assert a.metadata["edits"] == recipe and a.metadata["seed"] == 2
    assert seen == sorted(seen) and 0.0 < seen[0] < 0.34 and seen[-1] == pytest.approx(1.0)
    source = edits.reproduce(request, [], model_dir=MODEL_DIR, threads=2)
    # the backward extend put 30 frames first; the source's untouched frames follow bit-identically
    assert np.array_equal(a.rotations[30 : 30 + 30], source.rotations[:30])
    assert not np.allclose(a.rotations[30 + 30 : 30 + 60], source.rotations[30:60])
