"""tools/check_standing.py measures what the shipped model does with a standing prompt the hold does not cover."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = Path(os.environ.get("MC_MODEL_DIR", ROOT / "exported_models"))


@pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(), reason="needs the trained model")
def test_it_reports_the_lowest_head_height_of_each_case_and_seed():
    spec = importlib.util.spec_from_file_location("check_standing", ROOT / "tools" / "check_standing.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    heads = tool.lowest_heads(MODEL_DIR, seeds=2)
    assert set(heads) == set(tool.CASES) and all(len(v) == 2 for v in heads.values())
    assert all(-0.3 < h < 1.8 for v in heads.values() for h in v)
    assert heads["free ends"][1] > 1.2  # seed 1 stands (measured 1.34 m with mc-2026-12-03)
