"""Edits as data (engine.edits): validated in the request, replayed after generating it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from engine import edits
from engine.errors import RequestError
from engine.pipeline import generate
from engine.request import GenerationRequest

MODEL_DIR = Path(os.environ.get("MC_MODEL_DIR", Path(__file__).resolve().parent.parent / "exported_models"))
needs_model = pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(),
                                 reason="needs the trained model: exported_models/manifest.json is missing")  # fmt: skip


@pytest.mark.parametrize("edit, message", [
    ("restyle", "must be an object"),
    ({"op": "mirror", "text": "x"}, "unknown op 'mirror'; use one of regenerate_range, extend, restyle"),
    ({"op": "regenerate_range", "start": 3, "text": "x"}, "needs end"),
    ({"op": "extend", "seconds": 1, "text": "x", "frames": 3}, "does not take frames"),
    ({"op": "restyle", "text": "  "}, "'text' must say what the character does"),
])  # fmt: skip
def test_bad_edits_name_the_fix(edit, message):
    with pytest.raises(RequestError, match=message):
        edits.parse_edit(edit)
    with pytest.raises(RequestError, match="edit 1"):  # a job file's edits are checked when it is read
        GenerationRequest.from_dict({"text": "a person walks", "edits": [edit]})


def test_edits_round_trip_through_the_job_structure():
    job = {"text": "a person walks", "seconds": 3.0, "edits": [{"op": "restyle", "text": "happily", "strength": 0.4}]}
    request = GenerationRequest.from_dict(job)
    assert GenerationRequest.from_dict(request.to_dict()) == request
    with pytest.raises(RequestError, match="'edits' must be a list"):
        GenerationRequest.from_dict(dict(job, edits={"op": "restyle"}))


def test_frames_added_before_only_for_backward_extends():
    back = {"op": "extend", "seconds": 1.5, "direction": "backward", "text": "a person stands up"}
    assert edits.parse_edit(back).frames_added_before(30.0) == 45
    assert edits.parse_edit(dict(back, direction="forward")).frames_added_before(30.0) == 0
    assert edits.parse_edit({"op": "restyle", "text": "happily"}).frames_added_before(30.0) == 0


def test_edit_ranges_are_checked_against_the_motion_they_edit():
    job = {"text": "a person walks", "seconds": 2.0, "fps": 30}  # 61 frames
    GenerationRequest.from_dict(dict(job, edits=[{"op": "regenerate_range", "start": 0, "end": 61, "text": "x"}]))
    with pytest.raises(RequestError, match=r"edit 1 \(regenerate_range\): range 0-62 is not inside"):
        GenerationRequest.from_dict(dict(job, edits=[{"op": "regenerate_range", "start": 0, "end": 62, "text": "x"}]))
    grown = [{"op": "extend", "seconds": 1.0, "text": "x"}, {"op": "regenerate_range", "start": 60, "end": 91,
                                                               "text": "y"}]  # fmt: skip
    assert len(GenerationRequest.from_dict(dict(job, edits=grown)).edits) == 2  # the extend made room


@needs_model
def test_a_request_with_edits_reproduces_the_same_frames():
    job = {"text": "a person walks forward", "seconds": 3.0, "fps": 30, "seed": 2}
    recipe = [
        {"op": "regenerate_range", "start": 30, "end": 60, "text": "a person jumps", "seed": 4},
        {"op": "extend", "seconds": 1.0, "direction": "backward", "text": "a person stands still", "seed": 1},
    ]
    request = GenerationRequest.from_dict(dict(job, edits=recipe))
    seen = []
    a = generate(request, model_dir=MODEL_DIR, threads=2, progress=seen.append)
    b = generate(request, model_dir=MODEL_DIR, threads=2)
    assert a.num_frames == 91 + 30
    assert np.array_equal(a.rotations, b.rotations) and np.array_equal(a.root_translation, b.root_translation)
    assert a.metadata["edits"] == recipe and a.metadata["seed"] == 2
    assert seen == sorted(seen) and 0.0 < seen[0] < 0.34 and seen[-1] == pytest.approx(1.0)
    source = generate(GenerationRequest.from_dict(job), model_dir=MODEL_DIR, threads=2)
    # the backward extend put 30 frames first; the source's untouched frames follow bit-identically
    assert np.array_equal(a.rotations[30 : 30 + 30], source.rotations[:30])
    assert not np.allclose(a.rotations[30 + 30 : 30 + 60], source.rotations[30:60])


@needs_model
def test_the_edits_example_job_runs():
    path = Path(__file__).resolve().parent.parent / "examples" / "job_edits.json"
    motion = generate(GenerationRequest.from_json_file(path), model_dir=MODEL_DIR, threads=2)
    assert motion.num_frames == 181 + 60  # 6 s at 30 fps, then 2 s appended
    assert [e["op"] for e in motion.metadata["edits"]] == ["regenerate_range", "extend"]
