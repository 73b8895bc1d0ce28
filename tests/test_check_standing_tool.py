"""tools/check_standing.py measures what the shipped model does with a standing prompt the hold does not cover."""

from __future__ import annotations

import pytest
from tool_loading import HAS_MODEL, MODEL_DIR, load_tool


@pytest.mark.skipif(not HAS_MODEL, reason="needs the trained model")
def test_it_reports_the_lowest_head_height_of_each_case_and_seed():
    tool = load_tool("check_standing")
    heads = tool.lowest_heads(MODEL_DIR, seeds=2)
    assert set(heads) == set(tool.CASES) and all(len(v) == 2 for v in heads.values())
    assert all(-0.3 < h < 1.8 for v in heads.values() for h in v)
    assert heads["free ends"][1] > 1.2  # seed 1 stands (measured 1.34 m with mc-2026-12-03)
