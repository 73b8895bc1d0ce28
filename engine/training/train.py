"""Train the denoiser: `python -m engine.training.train --corpus <prepared dir> --out exported_models`.

Resumable: checkpoints go to --checkpoints (outside the work tree) every few
minutes and a restart continues from the last one. When the step budget or
the time budget is spent, the model is exported to ONNX with its manifest.
`--tiny` runs the same path with a toy configuration in well under a minute.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from .. import diffusion
from .. import features as feat
from ..skeleton import FOOT_INDICES
from .captions import training_captions
from .model import OBS_DIM, Denoiser, ModelConfig
from .windows import sample_mask, window_root_path

TEXT_DROPOUT = 0.1
CHECKPOINT_EVERY_S = 300


class Corpus:
    """A prepared split plus caption embeddings for its label pairs."""

    def __init__(self, path: Path, stats: dict, embed) -> None:
        data = np.load(path)
        self.features = (data["features"] - stats["mean"]) / stats["std"]
        self.raw = data["features"]
        self.starts = data["starts"]
        self.labels = list(zip(data["contents"].tolist(), data["styles"].tolist(), strict=True))
        self.fps = float(data["fps"])
        self.lengths = np.diff(self.starts)
        pairs = sorted(set(self.labels))
        self.captions = {p: training_captions(*p) for p in pairs}
        all_caps = sorted({c for caps in self.captions.values() for c in caps})
        emb = embed(all_caps)
        self.embedding = dict(zip(all_caps, emb, strict=True))

    def batch(self, rng: np.random.Generator, size: int, frames: int, fpt: int):
        weights = np.minimum(self.lengths, frames).astype(np.float64)
        clips = rng.choice(len(self.lengths), size=size, p=weights / weights.sum())
        x0 = np.zeros((size, frames, feat.FEATURE_DIM), np.float32)
        obs = np.zeros((size, frames, OBS_DIM), np.float32)
        mask = np.zeros((size, frames, OBS_DIM), np.float32)
        valid = np.zeros((size, frames), np.float32)
        text = np.zeros((size, 384), np.float32)
        for i, c in enumerate(clips):
            n = min(int(self.lengths[c]), frames)
            n -= n % fpt
            start = self.starts[c] + rng.integers(0, self.lengths[c] - n + 1)
            x0[i, :n] = self.features[start : start + n]
            valid[i, :n] = 1.0
            if rng.random() > 0.4:  # masks only where used; path needs a decode
                m = sample_mask(rng, n)
                obs[i, :n, : feat.FEATURE_DIM] = self.features[start : start + n]
                if m[:, feat.FEATURE_DIM :].any():
                    obs[i, :n, feat.FEATURE_DIM :] = window_root_path(self.raw[start : start + n], self.fps)
                mask[i, :n] = m
            if rng.random() > TEXT_DROPOUT:
                text[i] = self.embedding[
                    self.captions[self.labels[c]][rng.integers(len(self.captions[self.labels[c]]))]
                ]
        return [torch.from_numpy(a) for a in (x0, obs, mask, valid, text)]


def foot_velocity_loss(x0_pred: torch.Tensor, x0_true_raw_contacts: torch.Tensor, std, mean, valid, fps):
    """Feet that the data says are planted should not move (pelvis-relative motion + root velocity)."""
    f = x0_pred * std + mean
    pos = f[..., feat.POS_SLICE].reshape(*f.shape[:2], -1, 3)
    foot_cols = [j - 1 for j in FOOT_INDICES]
    feet = pos[:, :, foot_cols, :2]
    vel = (feet[:, 1:] - feet[:, :-1]) * fps + f[:, :-1, None, 1:3]
    contact = x0_true_raw_contacts[:, :-1]
    w = contact * (valid[:, 1:, None] * valid[:, :-1, None])
    return (vel.pow(2).sum(-1) * w).sum() / w.sum().clamp(min=1.0)


def train(args) -> Path:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    random.seed(args.seed)
    out = Path(args.out)
    ckpt_dir = Path(args.checkpoints)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    stats = dict(np.load(Path(args.corpus) / "stats.npz"))
    from .export import export_text_files, text_embedder

    text_onnx = export_text_files(out)
    embed = text_embedder(text_onnx, out / "tokenizer.json")
    corpus = Corpus(Path(args.corpus) / "train.npz", stats, embed)
    cfg = ModelConfig(width=args.width, layers=args.layers, heads=args.heads, ff=args.ff)
    model = Denoiser(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    step, elapsed = 0, 0.0
    ckpt = ckpt_dir / "last.pt"
    if ckpt.exists() and not args.fresh:
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
        rng = state["rng"]
        print(f"resumed at step {step} ({elapsed / 60:.1f} min)", flush=True)
    ab = torch.from_numpy(diffusion.alpha_bar()).float()
    mean_t, std_t = torch.from_numpy(stats["mean"]).float(), torch.from_numpy(stats["std"]).float()
    lengths = [40, 60, 80, 100, 140, 200]
    t_start, last_ckpt, ema = time.time() - elapsed, time.time(), None
    while step < args.steps and (time.time() - t_start) < args.max_minutes * 60:
        done = max(step / args.steps, (time.time() - t_start) / (args.max_minutes * 60))  # whichever budget binds
        lr = args.lr * min(1.0, (step + 1) / 200) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done)))
        for g in opt.param_groups:
            g["lr"] = lr
        frames = int(rng.choice(lengths, p=[0.25, 0.25, 0.2, 0.15, 0.1, 0.05]))
        x0, obs, mask, valid, text = corpus.batch(rng, args.batch, frames, cfg.frames_per_token)
        t = torch.from_numpy(rng.integers(0, diffusion.NUM_TRAIN_STEPS, size=args.batch))
        a = ab[t][:, None, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn_like(x0)
        model.train()
        pred = model(x_t, t, text, obs, mask, valid)
        w = valid[..., None]
        rec = ((pred - x0).pow(2) * w).sum() / (w.sum() * x0.shape[-1])
        contacts = (x0[..., feat.CONTACT_SLICE] * std_t[feat.CONTACT_SLICE] + mean_t[feat.CONTACT_SLICE]) > 0.5
        foot = foot_velocity_loss(pred, contacts.float(), std_t, mean_t, valid, corpus.fps)
        loss = rec + args.foot_weight * foot
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0 or step == args.steps:
            mins = (time.time() - t_start) / 60
            print(
                f"step {step} loss {ema:.4f} rec {rec.item():.4f} foot {foot.item():.4f} lr {lr:.2e} {mins:.1f} min",
                flush=True,
            )
        if time.time() - last_ckpt > CHECKPOINT_EVERY_S:
            save_checkpoint(ckpt, model, opt, step, time.time() - t_start, rng)
            last_ckpt = time.time()
    save_checkpoint(ckpt, model, opt, step, time.time() - t_start, rng)
    from .export import export_model

    info = {"steps": step, "minutes": round((time.time() - t_start) / 60, 1), "batch": args.batch,
            "lr": args.lr, "foot_weight": args.foot_weight, "seed": args.seed, "corpus": str(args.corpus)}  # fmt: skip
    return export_model(model, stats, out, info)


def save_checkpoint(path: Path, model, opt, step: int, elapsed: float, rng) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                "rng": rng, "config": model.cfg.to_dict()}, tmp)  # fmt: skip
    tmp.replace(path)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(Path.home() / ".cache" / "motion_composer" / "corpus"))
    ap.add_argument("--out", default="exported_models")
    ap.add_argument("--checkpoints", default=str(Path.home() / ".cache" / "motion_composer" / "checkpoints"))
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--max-minutes", type=float, default=110.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--foot-weight", type=float, default=0.05)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    ap.add_argument("--tiny", action="store_true", help="toy configuration for tests (seconds)")
    args = ap.parse_args(argv)
    if args.tiny:
        args.width, args.layers, args.heads, args.ff, args.steps, args.batch = 32, 1, 2, 64, 5, 4
    return args


def main(argv=None) -> int:
    path = train(parse_args(argv))
    print(f"exported {path}")
    print(json.dumps(json.loads((path / "manifest.json").read_text())["training"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
