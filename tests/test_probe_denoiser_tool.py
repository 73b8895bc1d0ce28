"""tools/probe_denoiser.py: the network's x0 from a label's real clips, noised, against the clips' signature."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures_corpus import canonical_walk
from tool_loading import HAS_MODEL, MODEL_DIR, load_tool

from engine import features as feat
from engine.eval.clips import Split
from engine.runtime import load_models


@pytest.mark.skipif(not HAS_MODEL, reason="needs the trained model")
def test_a_walk_shown_with_little_noise_comes_back_walking_and_sampling_is_reported_beside_it():
    tool = load_tool("probe_denoiser")
    clips = [feat.encode(canonical_walk(seconds=4.0, fps=20.0, yaw0=y)) for y in (0.0, 1.0)]
    split = Split(clips, ["walk", "walk"], ["normal", "normal"], ["a", "b"], np.zeros(2, bool), 20.0)
    row = tool.probe(load_models(MODEL_DIR, "cpu", 2), split, ("walk", "normal"), times=(50, 999), draws=1)
    assert row["signature"] == "speed" and row["clips"] == 2 and abs(row["real"] - 1.2) < 0.1
    assert 0.8 < row["x0"][50] < 1.2  # the walk it is shown, almost unnoised
    assert row["x0"][999] < 0.5  # from pure noise one call gives the blurred mean (0.15 m/s with b9)
    assert 0.4 < row["sampled"] < 1.3  # 'a person walks forward' sampled: 0.73-0.84 x real with b9
