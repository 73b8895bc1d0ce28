"""tools/reproduce_model.sh with the tiny configuration: the shipped model's six stages, chained and resumable."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from fixtures_corpus import synthetic_corpus

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "tools" / "reproduce_model.sh"


@pytest.mark.slow
def test_the_reproduce_script_chains_the_stages_and_skips_finished_ones(tmp_path):
    corpus, runs = tmp_path / "corpus", tmp_path / "runs"
    corpus.mkdir()
    synthetic_corpus(corpus)
    cmd = [
        "bash",
        str(SCRIPT),
        "--tiny",
        "--corpus",
        str(corpus),
        "--runs",
        str(runs),
        "--data",
        str(tmp_path / "none"),
    ]
    env = {**os.environ, "PY": str(REPO / ".venv" / "bin" / "python")}
    first = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    recipe = json.loads((runs / "b6" / "model" / "manifest.json").read_text())["training"]["recipe"]
    assert recipe["init"] == str(runs / "b5" / "model" / "denoiser.onnx") and recipe["balance"] == 1.0
    assert recipe["impute"] and recipe["ema"] == 0.999 and recipe["lr"] == 1e-4
    b9 = json.loads((runs / "b9" / "model" / "manifest.json").read_text())["training"]["recipe"]
    assert b9["init"] == str(runs / "b6" / "model" / "denoiser.onnx") and b9["idle_items"] and b9["balance"] == 1.0
    b4 = json.loads((runs / "b4" / "model" / "manifest.json").read_text())["training"]["recipe"]
    assert b4["init"] == str(runs / "v1" / "model" / "denoiser.onnx") and b4["balance"] == 0.5
    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert again.returncode == 0 and again.stdout.count("done, skipped") == 6, again.stdout


def test_the_reproduce_script_rejects_an_unknown_option(tmp_path):
    done = subprocess.run(["bash", str(SCRIPT), "--fast"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2 and "unknown option --fast" in done.stderr
