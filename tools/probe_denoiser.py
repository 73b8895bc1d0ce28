"""Where a label's signature movement is lost: the denoiser's x0 from the label's own real clips, noised to t.

    .venv/bin/python tools/probe_denoiser.py [--model-dir DIR] [--corpus DIR]
        [--labels kick/normal,walk/sad,...] [--times 50,200,500,900] [--draws 3]

For each label pair, its real training clips (the first 10 s of each) are
noised to each diffusion time t and denoised in one network call with the
label's plainest caption; the table gives the x0's signature movement
(engine.eval.vocabulary_suite: foot height of kicks, wrist speed of punches,
speed of walks, ...) over the real clips' own. At small t the input shows
the movement almost unchanged, so a ratio well below 1 there is the
network's own fit (it damps what it is shown), not the sampler's steps or
guidance; the last column is what sampling from noise gives (the vocabulary
suite's measure, the same clips' durations, seeds 0-2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import features as feat  # noqa: E402
from engine.diffusion import alpha_bar  # noqa: E402
from engine.eval.clips import DEFAULT_CORPUS, Split, load_split  # noqa: E402
from engine.eval.vocabulary_suite import MEASURES, signature  # noqa: E402
from engine.pipeline import generate  # noqa: E402
from engine.request import GenerationRequest  # noqa: E402
from engine.runtime import Models, load_models  # noqa: E402
from engine.training.captions import canonical_caption  # noqa: E402

LABELS = ("kick/normal", "punch-right/normal", "walk/sad", "walk/childish", "wave-right-hand/normal", "walk/normal")
TIMES = (50, 200, 500, 900)
MAX_FRAMES = 200  # 10 s at the corpus' 20 fps: the longest window the model was trained on


def denoised(models: Models, clip: np.ndarray, caption: str, t: int, rng: np.random.Generator) -> np.ndarray:
    """Raw features of the network's x0 for `clip` noised to diffusion time t (even frame count, no observations)."""
    x = (clip - models.mean) / models.std
    ab = alpha_bar()[t]
    x_t = (np.sqrt(ab) * x + np.sqrt(1.0 - ab) * rng.standard_normal(x.shape))[None].astype(np.float32)
    frames = x.shape[0]
    none = np.zeros((1, frames, models.obs_dim), np.float32)
    x0 = models.denoise(x_t, np.array([t]), models.encode([caption]), none, none, np.ones((1, frames), np.float32))
    return x0[0] * models.std + models.mean


def probe(models: Models, split: Split, pair: tuple[str, str], times=TIMES, draws: int = 3) -> dict:
    """Signature of the real clips, x0 / real at each t, and sampled / real, for one label pair of `split`."""
    clips = [
        c[: min(len(c), MAX_FRAMES) // 2 * 2] for c, p in zip(split.features, split.pairs, strict=True) if p == pair
    ]
    if not clips:
        raise SystemExit(f"error: no clip of {pair[0]}/{pair[1]} in the corpus")
    name = signature(pair[0])
    measure = MEASURES[name][1]
    caption = canonical_caption(*pair)
    real = float(np.mean([measure(feat.decode(c, split.fps).positions(), split.fps) for c in clips]))
    rng = np.random.default_rng(0)
    ratios = {}
    for t in times:
        got = [measure(feat.decode(denoised(models, c, caption, t, rng), split.fps).positions(), split.fps)
               for c in clips for _ in range(draws)]  # fmt: skip
        ratios[t] = float(np.mean(got)) / real
    seconds = [(len(c) - 1) / split.fps for c in clips]
    sampled = [measure(generate(GenerationRequest(tracks=[{"text": caption, "start": 0.0, "end": s}], seconds=s,
                                                  fps=split.fps, seed=seed), model_dir=models.directory,
                                threads=2).positions(), split.fps)
               for s in seconds for seed in range(draws)]  # fmt: skip
    return {"signature": name, "real": real, "x0": ratios, "sampled": float(np.mean(sampled)) / real,
            "clips": len(clips)}  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--labels", default=",".join(LABELS), help="content/style pairs, comma-separated")
    ap.add_argument("--times", default=",".join(map(str, TIMES)))
    ap.add_argument("--draws", type=int, default=3, help="noise draws (and sampling seeds) per clip")
    args = ap.parse_args(argv)
    models = load_models(args.model_dir, "cpu", 2)
    split = load_split(args.corpus, "train")
    times = [int(t) for t in args.times.split(",")]
    print(f"model {models.version}; x0 / real at diffusion time t (of 1000), and sampled / real")
    print("| label | clips | signature | real | " + " | ".join(f"x0, t={t}" for t in times) + " | sampled |")
    print("|---|---|---|---|" + "---|" * (len(times) + 1))
    for label in args.labels.split(","):
        content, _, style = label.partition("/")
        row = probe(models, split, (content, style or "normal"), times, args.draws)
        cells = " | ".join(f"{row['x0'][t]:.2f}" for t in times)
        print(f"| {label} | {row['clips']} | {row['signature']} | {row['real']:.2f} | {cells} | {row['sampled']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
