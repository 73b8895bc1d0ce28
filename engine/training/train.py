"""Train the denoiser: `python -m engine.training.train --corpus <prepared dir> --out exported_models`.

Resumable: checkpoints go to --checkpoints (outside the work tree) every few
minutes and a restart continues from the last one. When the step budget or
the time budget is spent, the model is exported to ONNX with its manifest
(the weight average when --ema is on). `--tiny` runs the same path with a
toy configuration in well under a minute; `--init` warm-starts from an
exported model or a checkpoint. Each training change of model v2 has its own
flag (--ema, --geo-*, --impute, --obs-prob, --balance, --content-only), so
ablations are one flag apart; the defaults are the shipped model's recipe.
"""

from __future__ import annotations

import argparse
import hashlib
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
from ..errors import MotionComposerError
from ..observations import OBS_DIM, PATH_SLICE
from . import distributed
from .balance import CaptionChooser, clip_probabilities
from .clock import TrainingClock
from .ema import WeightAverage
from .export import export_model, export_text_files, text_embedder
from .finetune import FineTune, user_error
from .geometry import feature_positions, geometric_losses, planted_foot_speed
from .idle import IDLE_LABEL, idle_items, idle_share
from .library_captions import corpus_captions
from .model import Denoiser, ModelConfig
from .prepare import prepare, print_report
from .warm_start import load_initial_weights
from .windows import sample_mask, window_root_path

TEXT_DROPOUT = 0.1
CHECKPOINT_EVERY_S = 300
WINDOW_FRAMES = [40, 60, 80, 100, 140, 200]
WINDOW_P = [0.25, 0.25, 0.2, 0.15, 0.1, 0.05]
DEFAULT_CACHE = Path.home() / ".cache" / "motion_composer"


class Corpus:
    """A prepared split plus caption embeddings for its label pairs."""

    def __init__(self, path: Path, stats: dict, embed, balance: float = 1.0, content_only: float = 0.0,
                 embedding_cache: Path | None = None, idle: bool = False) -> None:  # fmt: skip
        data = np.load(path)
        self.features = (data["features"] - stats["mean"]) / stats["std"]
        self.raw = data["features"]
        self.starts, self.lengths = data["starts"][:-1], np.diff(data["starts"])  # items: [start, start + length)
        self.labels = list(zip(data["contents"].tolist(), data["styles"].tolist(), strict=True))
        self.fps = float(data["fps"])
        if idle:  # standing-still stretches of the clips as items of their own (training/idle.py)
            ranges = np.array(idle_items(self.raw, data["starts"], self.fps), dtype=np.int64).reshape(-1, 2)
            self.starts = np.concatenate([self.starts, ranges[:, 0]])
            self.lengths = np.concatenate([self.lengths, ranges[:, 1] - ranges[:, 0]])
            self.labels += [IDLE_LABEL] * len(ranges)
        self.balance = balance
        self.captions = CaptionChooser(sorted(set(self.labels)), content_only, corpus_captions(data, self.labels))
        all_caps = self.captions.all_captions()
        self.embedding = dict(zip(all_caps, cached_embeddings(all_caps, embed, embedding_cache), strict=True))
        self._probabilities: dict[int, np.ndarray] = {}

    def probabilities(self, frames: int) -> np.ndarray:
        if frames not in self._probabilities:
            p = clip_probabilities(self.lengths, self.labels, frames, self.balance)
            self._probabilities[frames] = idle_share(p, np.array([x == IDLE_LABEL for x in self.labels]))
        return self._probabilities[frames]

    def batch(self, rng: np.random.Generator, size: int, frames: int, fpt: int, obs_prob: float):
        """x0, obs, mask, valid, text for `size` random windows of up to `frames` frames."""
        clips = rng.choice(len(self.lengths), size=size, p=self.probabilities(frames))
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
            if rng.random() < obs_prob:
                m = sample_mask(rng, n)
                obs[i, :n, : feat.FEATURE_DIM] = self.features[start : start + n]
                if m[:, PATH_SLICE].any():  # the path needs a decode: only where observed
                    obs[i, :n, PATH_SLICE] = window_root_path(self.raw[start : start + n], self.fps)
                mask[i, :n] = m
            if rng.random() > TEXT_DROPOUT:
                text[i] = self.embedding[self.captions.choose(self.labels[c], rng)]
        return [torch.from_numpy(a) for a in (x0, obs, mask, valid, text)]


def ensure_corpus(corpus: Path, data: Path) -> None:
    """Prepare the corpus from the shared data when it is not there yet (one command from data to model)."""
    if (corpus / "train.npz").exists() and (corpus / "stats.npz").exists():
        return
    if not data.exists():
        raise MotionComposerError(f"no prepared corpus in {corpus} and no data folder {data}: pass --data")
    print(f"preparing the corpus {corpus} from {data}", flush=True)
    corpus.mkdir(parents=True, exist_ok=True)
    print_report(prepare(data, corpus))


def cached_embeddings(texts: list[str], embed, cache: Path | None) -> np.ndarray:
    """embed(texts), reusing a cache file of earlier runs (embedding every caption takes minutes on a busy CPU)."""
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        data = np.load(cache)
        known = dict(zip(data["texts"].tolist(), data["embeddings"], strict=True))
    todo = [t for t in texts if t not in known]
    if todo:
        known.update(zip(todo, embed(todo), strict=True))
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(cache.stem + ".tmp.npz")
            np.savez(tmp, texts=np.array(list(known)), embeddings=np.stack(list(known.values())))
            tmp.replace(cache)
    return np.stack([known[t] for t in texts])


def choose_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda needs a CUDA build of torch and an NVIDIA GPU; use --device cpu")
    return torch.device(name)


def losses(model, batch, ab, mean_t, std_t, rng, args, fps: float) -> dict[str, torch.Tensor]:
    """Every loss term of one batch, and their weighted sum under "loss"."""
    x0, obs, mask, valid, text = batch
    t = torch.from_numpy(diffusion.training_times(rng, len(x0), args.high_noise)).to(x0.device)
    a = ab[t][:, None, None]
    x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn_like(x0)
    pred = model(x_t, t, text, obs, mask, valid)
    w = valid[..., None]
    out = {"rec": ((pred - x0).pow(2) * w).sum() / (w.sum() * x0.shape[-1])}
    pred_raw, true_raw = pred * std_t + mean_t, x0 * std_t + mean_t
    out["foot"] = planted_foot_speed(feature_positions(pred_raw), pred_raw, true_raw, valid, fps)
    total = out["rec"] + args.foot_weight * out["foot"]
    if args.geo_pos or args.geo_vel or args.geo_foot:
        # --geo-signal: samples count by their signal level (abar_t), so near-pure noise, where the best x0 guess
        # is the mean motion, does not pull velocities towards that mean (the damping of gestures seen in a4)
        geo_valid = valid * a[:, :, 0] if args.geo_signal else valid
        geo = geometric_losses(pred_raw, true_raw, geo_valid, fps)
        out.update({f"geo_{k}": v for k, v in geo.items()})
        total = total + args.geo_pos * geo["pos"] + args.geo_vel * geo["vel"] + args.geo_foot * geo["foot"]
    out["loss"] = total
    return out


def learning_rate(args, step: int, done: float) -> float:
    """Linear warm-up over --warmup steps, cosine decay to 10 % over whichever budget binds."""
    return args.lr * min(1.0, (step + 1) / max(1, args.warmup)) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done)))


def train(args) -> Path:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = choose_device(args.device)
    rng = np.random.default_rng(args.seed)
    random.seed(args.seed)
    ranks = distributed.setup(args.seed)  # torchrun: join the other processes (a no-op otherwise)
    tune = FineTune.from_args(args, ranks.main)  # --init MODEL_FOLDER: fine-tune it (engine/training/finetune.py)
    out = tune.staging if tune else Path(args.out)
    ckpt_dir = Path(args.checkpoints or (tune.checkpoints() if tune else DEFAULT_CACHE / "checkpoints"))
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    if not tune:  # a fine-tune's own corpus was checked by FineTune.from_args
        ensure_corpus(Path(args.corpus), Path(args.data))
    stats = tune.stats if tune else dict(np.load(Path(args.corpus) / "stats.npz"))
    text_onnx, tokenizer = (
        tune.text_files() if tune else (ranks.main_first(export_text_files, out), out / "tokenizer.json")
    )
    embed = text_embedder(text_onnx, tokenizer)
    digest = hashlib.sha256(text_onnx.read_bytes()).hexdigest()[:12]
    cache = Path(args.embedding_cache) / f"{digest}.npz"
    corpus_args = (stats, embed, args.balance, args.content_only, cache, args.idle_items)
    corpus = (ranks.main_first(tune.load_corpus, Corpus, corpus_args) if tune
              else ranks.main_first(Corpus, Path(args.corpus) / "train.npz", *corpus_args))  # fmt: skip
    cfg = ModelConfig(width=args.width, layers=args.layers, heads=args.heads, ff=args.ff, impute=args.impute)
    model = tune.model(args.impute) if tune else Denoiser(cfg)
    cfg = model.cfg
    step, elapsed, ckpt = 0, 0.0, ckpt_dir / "last.pt"
    state = torch.load(ckpt, map_location="cpu", weights_only=False) if ckpt.exists() and not args.fresh else None
    if state is None and args.init and not tune:
        print(f"initial weights from {load_initial_weights(model, args.init)}", flush=True)
    if state is not None:
        model.load_state_dict(state["model"])
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    average = WeightAverage(model, args.ema) if args.ema > 0 else None
    if state is not None:
        opt.load_state_dict(state["opt"])
        if average is not None and state.get("ema"):
            average.load_state_dict(state["ema"])
        step, elapsed, rng = state["step"], state["elapsed"], state["rng"]
        print(f"resumed at step {step} ({elapsed / 60:.1f} min)", flush=True)
    ab = torch.from_numpy(diffusion.alpha_bar()).float().to(device)
    mean_t, std_t = (torch.from_numpy(stats[k]).float().to(device) for k in ("mean", "std"))
    clock, last_ckpt, smooth = TrainingClock(elapsed), time.time(), None
    sitting_end = time.time() + (args.session_minutes or math.inf) * 60  # a sitting is wall time, pauses and all
    rng, net = ranks.own_rng(rng), ranks.wrap(model)  # torchrun: own batches, averaged gradients
    budget = args.max_minutes * 60
    while step < args.steps:
        # ranks.agree: the same numbers on every rank (the largest), so all agree on budgets, lr and the sitting's end
        used = ranks.agree(clock.elapsed)
        if used >= budget or ranks.agree(time.time() - sitting_end) >= 0:
            break
        done = max(step / args.steps, used / budget)
        lr = learning_rate(args, step, done)
        for g in opt.param_groups:
            g["lr"] = lr
        frames = int(rng.choice(WINDOW_FRAMES, p=WINDOW_P))
        windows = ranks.share(args.batch)
        batch = [b.to(device) for b in corpus.batch(rng, windows, frames, cfg.frames_per_token, args.obs_prob)]
        model.train()
        terms = losses(net, batch, ab, mean_t, std_t, rng, args, corpus.fps)
        opt.zero_grad(set_to_none=True)
        terms["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if average is not None:
            average.update(model)
        step += 1
        clock.tick()
        smooth = terms["loss"].item() if smooth is None else 0.98 * smooth + 0.02 * terms["loss"].item()
        if step % 50 == 0 or step == args.steps:
            parts = " ".join(f"{k} {v.item():.4f}" for k, v in terms.items() if k != "loss")
            print(f"step {step} loss {smooth:.4f} {parts} lr {lr:.2e} {clock.elapsed / 60:.1f} min",
                  flush=True)  # fmt: skip
        if ranks.main and time.time() - last_ckpt > CHECKPOINT_EVERY_S:
            save_checkpoint(ckpt, model, opt, average, step, clock.elapsed, rng, args)
            last_ckpt = time.time()
    ranks.finish(model)  # torchrun: the other ranks end here
    save_checkpoint(ckpt, model, opt, average, step, clock.elapsed, rng, args)
    final = (average.model if average is not None else model).to("cpu")
    info = {"steps": step, "minutes": round(clock.elapsed / 60, 1), "weights": "ema" if average else "raw",
            "recipe": recipe(args)}  # fmt: skip
    if tune:
        info |= {"final_loss": round(smooth, 4), "max_minutes": args.max_minutes, "batch": args.batch, "lr": args.lr,
                 "corpus": str(args.corpus)}  # fmt: skip
    return tune.finish(export_model(final, stats, out, info)) if tune else export_model(final, stats, out, info)


def recipe(args) -> dict:
    """The flags that define a run (stored in the checkpoint and the manifest)."""
    skip = {"data", "out", "checkpoints", "embedding_cache", "fresh", "tiny", "threads", "device", "session_minutes"}
    return {k: v for k, v in vars(args).items() if k not in skip}


def save_checkpoint(path: Path, model, opt, average, step: int, elapsed: float, rng, args) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                "rng": rng, "config": model.cfg.to_dict(), "recipe": recipe(args),
                "ema": average.state_dict() if average is not None else None}, tmp)  # fmt: skip
    tmp.replace(path)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(DEFAULT_CACHE / "corpus"))
    ap.add_argument("--data", default="../shared/data", help="shared data, prepared into --corpus when it is empty")
    ap.add_argument("--out", default="exported_models")
    ap.add_argument(
        "--checkpoints", default=None, help="default: ~/.cache/motion_composer/checkpoints (fine-tunes: own)"
    )
    ap.add_argument("--embedding-cache", default=str(DEFAULT_CACHE / "caption_embeddings"),
                    help="folder for caption embeddings reused between runs")  # fmt: skip
    ap.add_argument("--init", default="", help="model folder: fine-tune it (docs/train-your-own.md); denoiser .onnx "
                    "or checkpoint .pt: warm start")  # fmt: skip
    ap.add_argument("--mix", default=None, help="fine-tune: BASE_CORPUS:FRACTION of each batch from a base corpus")
    ap.add_argument("--steps", type=int, default=None, help="step budget (default 8000; 5 with --tiny)")
    ap.add_argument("--max-minutes", "--minutes", type=float, default=110.0)
    ap.add_argument(
        "--session-minutes",
        type=float,
        default=0.0,
        help="stop this sitting (checkpoint + export) after N minutes; the schedule keeps its budget",
    )
    ap.add_argument("--batch", type=int, default=None, help="windows per step (default 64; 4 with --tiny)")
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--warmup", type=int, default=200, help="learning-rate warm-up steps (short fine-tunes: ~10)")
    ap.add_argument("--foot-weight", type=float, default=0.05, help="planted-foot speed on the position features")
    ap.add_argument("--ema", type=float, default=0.0, help="weight-average decay, e.g. 0.999 (0: off)")
    ap.add_argument("--geo-pos", type=float, default=0.0, help="weight of the FK joint-position loss")
    ap.add_argument("--geo-vel", type=float, default=0.0, help="weight of the FK joint-velocity loss")
    ap.add_argument("--geo-foot", type=float, default=0.0, help="weight of the FK planted-foot speed loss")
    ap.add_argument("--geo-signal", action="store_true", help="weight the FK losses by each sample's signal level")
    ap.add_argument(
        "--high-noise",
        type=float,
        default=0.0,
        help="share of samples whose diffusion time is drawn from the noisiest 40 %% (the rest: uniform)",
    )
    ap.add_argument("--impute", action="store_true", help="observed values overwrite the noisy input (CondMDI)")
    ap.add_argument("--obs-prob", type=float, default=0.36, help="share of samples that carry observations")
    ap.add_argument("--balance", type=float, default=1.0, help="label-pair sampling exponent (1: by data, 0: flat)")
    ap.add_argument("--content-only", type=float, default=0.0, help="share of styled captions without the style")
    ap.add_argument("--idle-items", action="store_true",
                    help="also train on the clips' standing-still stretches, captioned 'a person stands still' and the like")  # fmt: skip
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    ap.add_argument("--tiny", action="store_true", help="toy configuration for tests (seconds)")
    args = ap.parse_args(argv)
    if args.tiny:
        args.width, args.layers, args.heads, args.ff = 32, 1, 2, 64
    args.steps = args.steps or (5 if args.tiny else 8000)
    args.batch = args.batch or (4 if args.tiny else 64)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        path = train(args)
    except (MotionComposerError, OSError) as exc:
        print(f"error: {user_error(exc, args)}", file=sys.stderr)  # re-raises what is not the user's to fix
        return 2
    print(f"exported {path}")
    print(json.dumps(json.loads((path / "manifest.json").read_text())["training"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
