"""tools/train_on_gpu.sh on the CPU with the tiny configuration: train, resume, export, quick benchmark, one folder."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from fixtures_corpus import synthetic_corpus

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "tools" / "train_on_gpu.sh"


@pytest.mark.slow
def test_the_gpu_script_trains_resumes_exports_and_benchmarks_into_one_folder(tmp_path):
    if not (REPO / "exported_models" / "eval" / "motion_encoder.onnx").exists():
        pytest.skip("the benchmark's evaluator is absent")
    corpus, results = tmp_path / "corpus", tmp_path / "results"
    corpus.mkdir()
    synthetic_corpus(corpus, with_test=True)
    cmd = ["bash", str(SCRIPT), "--tiny", "--steps", "6", "--minutes", "0.05", "--corpus", str(corpus), "--results",
           str(results), "--suites", "text_to_motion"]  # fmt: skip
    env = {**os.environ, "PY": str(REPO / ".venv" / "bin" / "python")}
    first = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    steps = json.loads((results / "model" / "manifest.json").read_text())["training"]["steps"]
    assert 1 <= steps <= 6
    second = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"resumed at step {steps}" in (results / "train.log").read_text()
    run_log = (results / "run.log").read_text()
    assert "device cpu" in run_log and "quick benchmark" in run_log
    bench = json.loads((results / "benchmark.json").read_text())
    assert bench["meta"]["quick"] and bench["meta"]["model_dir"] == str(results / "model")
    assert (results / "BENCHMARK.md").exists() and (results / "ckpt" / "last.pt").exists()


def test_the_gpu_script_rejects_an_unknown_option(tmp_path):
    done = subprocess.run(["bash", str(SCRIPT), "--gpus", "8"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2 and "unknown option --gpus" in done.stderr
