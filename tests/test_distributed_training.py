"""`torchrun --nproc_per_node 2 -m engine.training.train` (DDP, gloo on CPU) against a single process.

Both runs start from the same weights and take the same number of steps
with the same global batch (8 windows: 8 in one process, 4 on each of two);
they draw different windows, so their losses agree only statistically.
Stated tolerance: the held-out loss of the two runs differs by at most
0.02 (measured 0.0025), while each run improves the loss by more than
0.03 from its start (measured 0.073), so the check cannot pass untrained.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import diffusion
from engine.training.export import export_text_files
from engine.training.model import OBS_DIM, Denoiser, ModelConfig
from engine.training.synthetic import write_synthetic_corpus

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
TOLERANCE = 0.02
STEPS = ["--tiny", "--fresh", "--steps", "40", "--batch", "8", "--lr", "0.05", "--threads", "1"]


def held_out_loss(model: torch.nn.Module, corpus: Path, windows: int = 32, frames: int = 40) -> float:
    """Mean squared x0 error on fixed windows, timesteps and noise (no text, no observations, no dropout)."""
    data, stats = np.load(corpus / "train.npz"), np.load(corpus / "stats.npz")
    feats, starts = (data["features"] - stats["mean"]) / stats["std"], data["starts"]
    rng = np.random.default_rng(123)
    clips = rng.integers(len(starts) - 1, size=windows)
    x0 = np.stack([feats[(s := starts[c] + rng.integers(starts[c + 1] - starts[c] - frames + 1)) : s + frames]
                   for c in clips]).astype(np.float32)  # fmt: skip
    t = torch.from_numpy(rng.integers(0, diffusion.NUM_TRAIN_STEPS, size=windows))
    a = torch.from_numpy(diffusion.alpha_bar()).float()[t][:, None, None]
    x0 = torch.from_numpy(x0)
    x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.from_numpy(rng.standard_normal(x0.shape).astype(np.float32))
    zeros = torch.zeros(windows, frames, OBS_DIM)
    model.eval()
    with torch.no_grad():
        pred = model(x_t, t, torch.zeros(windows, 384), zeros, zeros, torch.ones(windows, frames))
    return float((pred - x0).pow(2).mean())


def trained(checkpoint: Path) -> Denoiser:
    state = torch.load(checkpoint, weights_only=False)
    model = Denoiser(ModelConfig(**state["config"]))
    model.load_state_dict(state["model"])
    return model


def test_two_process_torchrun_matches_single_process_loss(tmp_path):
    corpus = write_synthetic_corpus(tmp_path / "corpus")
    export_text_files(tmp_path / "model")  # once, before both runs: exporting draws random numbers of its own
    common = ["--corpus", str(corpus), "--out", str(tmp_path / "model"), "--embedding-cache", str(tmp_path), *STEPS]
    single = subprocess.run([sys.executable, "-m", "engine.training.train", *common, "--checkpoints",
                             str(tmp_path / "single")], cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert single.returncode == 0, single.stderr[-3000:]
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    ddp = subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", "-m", "engine.training.train", *common,
                          "--checkpoints", str(tmp_path / "ddp")], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)  # fmt: skip
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    assert "distributed: 2 ranks (gloo), weights identical across ranks" in ddp.stdout
    assert ddp.stdout.count("exported ") == 1  # rank 0 alone exports
    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == ["last.pt"]

    torch.manual_seed(0)  # the initial weights of both runs (seed 0)
    start = held_out_loss(Denoiser(ModelConfig(**trained(tmp_path / "single" / "last.pt").cfg.to_dict())), corpus)
    one = held_out_loss(trained(tmp_path / "single" / "last.pt"), corpus)
    two = held_out_loss(trained(tmp_path / "ddp" / "last.pt"), corpus)
    assert start - one > 0.03 and start - two > 0.03, (start, one, two)
    assert abs(one - two) <= TOLERANCE, (start, one, two)


def test_two_process_torchrun_fine_tune_writes_one_complete_model(tmp_path):
    """`--init MODEL_FOLDER` under torchrun: only rank 0 stages and exports, the folder is complete, nothing is left."""
    corpus = write_synthetic_corpus(tmp_path / "corpus")
    base = ["--corpus", str(corpus), "--embedding-cache", str(tmp_path), "--tiny", "--steps", "4", "--batch", "8",
            "--threads", "1"]  # fmt: skip
    made = subprocess.run([sys.executable, "-m", "engine.training.train", *base, "--fresh", "--out",
                           str(tmp_path / "base"), "--checkpoints", str(tmp_path / "c1")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    tuned = subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", "-m", "engine.training.train", *base,
                            "--init", str(tmp_path / "base"), "--out", str(tmp_path / "tuned"), "--checkpoints",
                            str(tmp_path / "c2")], cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert tuned.returncode == 0, tuned.stderr[-3000:]
    assert "distributed: 2 ranks (gloo), weights identical across ranks" in tuned.stdout
    files = sorted(p.name for p in (tmp_path / "tuned").iterdir())
    assert files == ["MODEL_CARD.md", "denoiser.onnx", "manifest.json", "stats.npz", "text_encoder.onnx",
                     "tokenizer.json"]  # fmt: skip
    assert not list(tmp_path.glob(".tuned.*"))  # no staging folder of either rank left behind
    base_manifest = json.loads((tmp_path / "base" / "manifest.json").read_text())
    manifest = json.loads((tmp_path / "tuned" / "manifest.json").read_text())
    assert manifest["init"]["model_version"] == base_manifest["model_version"]
    assert (tmp_path / "tuned" / "text_encoder.onnx").read_bytes() == (
        tmp_path / "base" / "text_encoder.onnx"
    ).read_bytes()
