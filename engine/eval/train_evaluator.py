"""Train the retrieval evaluator: `python -m engine.eval.train_evaluator [--corpus DIR] [--out exported_models/eval]`.

Trained on the train split only (mirrored clips included, with their
mirrored captions); the val split picks the best checkpoint; test numbers
go on the card for information only. Small and single-threaded by design:
about ten minutes on the 2-core machine, next to other work.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..errors import MotionComposerError
from ..training.export import text_embedder
from ..training.finetune import widened_stats
from .clips import DEFAULT_CORPUS, Split, load_split, pair_ids, pick_captions, stats_fingerprint
from .embedder import Evaluator, find_text_encoder
from .evaluator import EvaluatorConfig, MotionEncoder, TextProjection, export_onnx, info_nce
from .metrics import r_precision
from .own_split import TrainingClips, parse_own, training_clips

REPO = Path(__file__).resolve().parent.parent.parent
TEXT_DIRS = (REPO / "exported_models", Path.home() / ".cache" / "motion_composer" / "run1" / "export")


class Batches:
    """Random training batches: a window of each clip and one of its training captions."""

    def __init__(self, clips: TrainingClips, embed, crop: int):
        self.split, self.crop = clips.split, crop
        pairs = self.split.pairs
        self.groups = pair_ids(pairs)
        unique = sorted(set(pairs))
        self.captions = {p: clips.captions(p) for p in unique}
        texts = sorted({c for caps in self.captions.values() for c in caps})
        print(f"embedding {len(texts)} training captions ...", flush=True)
        emb = dict(zip(texts, embed(texts), strict=True))
        self.caption_emb = {p: np.stack([emb[c] for c in caps]) for p, caps in self.captions.items()}
        self.p = clips.probabilities(self.groups)

    def sample(self, rng: np.random.Generator, size: int):
        clips = rng.choice(len(self.split), size=size, replace=False, p=self.p)
        lengths = [min(len(self.split.features[c]), self.crop) for c in clips]
        frames = max(lengths) + max(lengths) % 2
        feats = np.zeros((size, frames, self.split.features[0].shape[1]), np.float32)
        valid = np.zeros((size, frames), np.float32)
        text = np.zeros((size, 384), np.float32)
        for i, (c, n) in enumerate(zip(clips, lengths, strict=True)):
            clip = self.split.features[c]
            start = rng.integers(0, len(clip) - n + 1)
            feats[i, :n] = clip[start : start + n]
            valid[i, :n] = 1.0
            options = self.caption_emb[self.split.pairs[c]]
            text[i] = options[rng.integers(len(options))]
        groups = torch.from_numpy(self.groups[clips])
        return torch.from_numpy(feats), torch.from_numpy(valid), torch.from_numpy(text), groups


@torch.no_grad()
def embed_clips(model: MotionEncoder, clips: list[np.ndarray], batch: int = 32) -> np.ndarray:
    model.eval()
    order = sorted(range(len(clips)), key=lambda i: len(clips[i]))
    out = np.zeros((len(clips), model.out.out_features), np.float32)
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        frames = max(len(clips[i]) for i in idx)
        frames += frames % 2
        feats = np.zeros((len(idx), frames, clips[0].shape[1]), np.float32)
        valid = np.zeros((len(idx), frames), np.float32)
        for r, i in enumerate(idx):
            feats[r, : len(clips[i])] = clips[i]
            valid[r, : len(clips[i])] = 1.0
        out[idx] = model(torch.from_numpy(feats), torch.from_numpy(valid)).numpy()
    return out


def retrieval(text_emb: np.ndarray, motion_emb: np.ndarray, split: Split) -> dict[str, float]:
    top = r_precision(text_emb, motion_emb, groups=pair_ids(split.pairs), batch_size=32, top_k=3, seed=0)
    return {"top1": round(float(top[0]), 3), "top3": round(float(top[2]), 3)}


def train(args) -> dict:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)

    text_onnx, tokenizer = find_text_encoder(*([Path(args.text_dir)] if args.text_dir else TEXT_DIRS))
    embed = text_embedder(text_onnx, tokenizer)
    stats = dict(np.load(Path(args.corpus) / "stats.npz"))
    own = parse_own(args.own_corpus) if args.own_corpus else None
    if own:  # channels the base corpus never moves (spine3, toes) take the own corpus' spread
        stats, _ = widened_stats(stats, own[0])
    clips = training_clips(Path(args.corpus), own)
    train_split = clips.split
    val = load_split(args.corpus, "val")
    batches = Batches(clips, embed, args.crop)
    val_text = {k: embed(pick_captions(val, 0, heldout=(k == "heldout"))) for k in ("train", "heldout")}

    cfg = EvaluatorConfig()
    text_proj = TextProjection(cfg)
    motion_enc = MotionEncoder(cfg, stats["mean"], stats["std"])
    params = list(text_proj.parameters()) + list(motion_enc.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    best, best_state, history = -1.0, None, []
    t0 = time.time()
    step = 0
    while step < args.steps and time.time() - t0 < args.max_minutes * 60:
        done = max(step / args.steps, (time.time() - t0) / (args.max_minutes * 60))  # whichever budget binds
        lr = args.lr * min(1.0, (step + 1) / 100) * (0.1 + 0.9 * (1 - done))
        for g in opt.param_groups:
            g["lr"] = lr
        feats, valid, text, groups = batches.sample(rng, args.batch)
        text_proj.train()
        motion_enc.train()
        loss = info_nce(text_proj(text), motion_enc(feats, valid), groups, cfg.temperature)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % args.check_every == 0 or step == args.steps:
            with torch.no_grad():
                text_proj.eval()
                m = embed_clips(motion_enc, val.features)
                scores = {k: retrieval(text_proj(torch.from_numpy(v)).numpy(), m, val) for k, v in val_text.items()}
            history.append({"step": step, "loss": round(loss.item(), 4), "val": scores})
            print(f"step {step} loss {loss.item():.3f} val R@1/3 {scores['train']['top1']:.3f}/"
                  f"{scores['train']['top3']:.3f} held-out {scores['heldout']['top1']:.3f}/"
                  f"{scores['heldout']['top3']:.3f} {(time.time() - t0) / 60:.1f} min", flush=True)  # fmt: skip
            score = scores["train"]["top1"] + scores["train"]["top3"]
            if score > best:
                best = score
                best_state = ({k: v.clone() for k, v in text_proj.state_dict().items()},
                              {k: v.clone() for k, v in motion_enc.state_dict().items()}, step)  # fmt: skip
    text_proj.load_state_dict(best_state[0])
    motion_enc.load_state_dict(best_state[1])
    out = Path(args.out)
    diffs = export_onnx(text_proj, motion_enc, out)
    info = {
        "created": datetime.date.today().isoformat(),
        "config": cfg.to_dict(),
        "training": {
            "steps": step,
            "best_step": best_state[2],
            "minutes": round((time.time() - t0) / 60, 1),
            "batch": args.batch,
            "crop_frames": args.crop,
            "lr": args.lr,
            "seed": args.seed,
            "threads": args.threads,
            "train_clips": len(train_split),
            "train_captions": sum(len(c) for c in batches.captions.values()),
        },  # fmt: skip
        "corpus": corpus_info(Path(args.corpus)),
        **({"own_corpus": corpus_info(own[0]) | {"share": own[1]}} if own else {}),
        "text_encoder_sha256": hashlib.sha256(Path(text_onnx).read_bytes()).hexdigest()[:16],
        "onnx_max_abs_diff": diffs,
        "history": history,
    }
    info["retrieval"] = measure(out, Path(text_onnx).parent, args.corpus)
    (out / "evaluator.json").write_text(json.dumps(info, indent=1) + "\n")
    (out / "CARD.md").write_text(card(info))
    return info


def corpus_info(corpus: Path) -> dict:
    """Where the training data came from (sources, licences, train clips per source), from the corpus report.

    The path is recorded with the home folder as `~` (it is a note for people; the fingerprint identifies the build).
    """
    try:
        report = json.loads((corpus / "report.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {"path": _home_relative(corpus), "stats_fingerprint": stats_fingerprint(corpus)}
    per_source = report.get("splits", {}).get("train", {}).get("per_source", {})
    return {"path": _home_relative(corpus), "stats_fingerprint": stats_fingerprint(corpus), "licences": report.get("sources", {}),
            "train_clips_per_source": {k: v.get("clips") for k, v in per_source.items()}}  # fmt: skip


def _home_relative(path: Path) -> str:
    path = Path(path).expanduser().resolve()
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def measure(eval_dir: Path, text_dir: Path, corpus) -> dict:
    """R-precision (batches of 32, same-label texts left out) of the exported ONNX files on val and test."""
    ev = Evaluator(eval_dir, text_dir)
    result = {}
    for name in ("val", "test"):
        split = load_split(corpus, name)
        m = ev.motions(split.features)
        result[name] = {k: retrieval(ev.texts(pick_captions(split, 0, heldout=(k == "heldout"))), m, split)
                        for k in ("train", "heldout")}  # fmt: skip
    return result


def card(info: dict) -> str:
    r, t, c = info["retrieval"], info["training"], info["config"]
    corpus = info.get("corpus", {})
    clips = corpus.get("train_clips_per_source", {})
    licences = corpus.get("licences", {})
    sources = ", ".join(f"{k} {clips.get(k, '?')} ({v})" for k, v in licences.items()) or "Bandai Namco"
    own = info.get("own_corpus")
    if own:
        sources += (f"; plus an own captioned corpus ({', '.join(f'{k} ({v})' for k, v in own.get('licences', {}).items())}"
                    f", {own['path']}), drawn for {own['share']:.0%} of each batch and labelled by its captions")  # fmt: skip

    def row(split):
        return (f"| {split} | {r[split]['train']['top1']:.3f} | {r[split]['train']['top3']:.3f} | "
                f"{r[split]['heldout']['top1']:.3f} | {r[split]['heldout']['top3']:.3f} |")  # fmt: skip

    return f"""# Retrieval evaluator (benchmark yardstick)

Text and motion encoders into one {c["dim"]}-d unit sphere, trained with a
symmetric InfoNCE loss (temperature {c["temperature"]}), in the style of TMR. Used by
`python -m engine.eval.bench` for R-precision, FID, diversity and multimodality.
Not used by the generator.

- `text_projection.onnx`: MiniLM sentence embedding (384-d, the generator's
  `text_encoder.onnx`, which this file expects next to it or in the model
  directory) -> MLP (hidden {c["text_hidden"]}) -> unit vector.
- `motion_encoder.onnx`: raw per-frame features (T, 203) at 20 fps plus a
  validity mask (B, T) -> normalisation with the corpus statistics -> strided
  1D convolution to 10 fps tokens (width {c["width"]}) -> {c["blocks"]} residual dilated
  convolutions -> masked mean and max pooling -> unit vector.

## Data

Train split of the prepared corpus only: {t["train_clips"]} clips including the
left/right mirrored copies (with mirrored labels). Original clips per source
(licence): {sources}. Captions from the training phrasings ({t["train_captions"]}
caption/label combinations; one drawn at random per clip and step). Label
pairs are sampled with weight 1/sqrt(count) to
soften the imbalance. Other clips with the same content and style label are
not used as negatives. Val picks the checkpoint; test is reported only.

## Training

{t["steps"]} AdamW steps (best on val at step {t["best_step"]}), batch {t["batch"]}, windows of at most
{t["crop_frames"]} frames, learning rate {t["lr"]} with warm-up and linear decay, seed {t["seed"]},
{t["threads"]} CPU thread(s), {t["minutes"]} minutes. ONNX export matches torch to
{max(info["onnx_max_abs_diff"].values()):.1e}. Retrain: `python -m engine.eval.train_evaluator`.

## Retrieval (R-precision, batches of 32, one true caption per batch)

Captions of other clips with the same content and style label are left out
of the candidates. "Held-out" captions use templates and synonyms never seen
in training.

| split | top-1 | top-3 | held-out top-1 | held-out top-3 |
|---|---|---|---|---|
{row("val")}
{row("test")}

## Limitations

- Knows only the corpus' content and style labels; out-of-corpus prompts
  get meaningless embeddings. Label pairs, not individual clips, are what it
  separates (same-label captions are left out of the candidates).
- Real motions reach top-3 near 1 with training phrasings, so that number
  saturates; held-out phrasings drop it a lot (see the table), because the
  projection is fitted to the training templates on top of a frozen MiniLM.
  Held-out R-precision measures the evaluator's text side as much as the
  motion source: compare sources with each other, with real motions as the
  ceiling.
- Weights derived from the training data: they carry its licences (above;
  CC BY-NC 4.0 for the Bandai Namco clips, so non-commercial use).
- Small (a few hundred thousand parameters) and trained for minutes: good
  enough to rank sources against each other on this corpus, not an absolute
  measure comparable to HumanML3D numbers.
- Sees the features as the generator produces them; a generator that copies
  feature statistics without coherent motion could fool it, so read FID
  together with the physical metrics.
"""


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--out", default=str(REPO / "exported_models" / "eval"))
    ap.add_argument("--own-corpus", default=None, metavar="CORPUS[:SHARE]",
                    help="also learn an own captioned corpus (prepare --bvh/--smpl), drawn with this share of "
                         "each batch (default 0.5), so the evaluator can score its captions")  # fmt: skip
    ap.add_argument("--text-dir", default=None, help="folder with text_encoder.onnx + tokenizer.json")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--max-minutes", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--crop", type=int, default=120, help="longest training window in frames")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--check-every", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    try:
        info = train(parse_args(argv))
    except (MotionComposerError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(info["retrieval"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
