"""Before/after numbers for a fine-tune: `python -m engine.eval.own_data --model-dir A --model-dir B --corpus OWN`.

- Own held-out retrieval: for each held-out clip of the user's corpus
  (test.npz), the model generates a motion from the clip's first caption
  (as long as the clip, at most the model's window). The evaluator ranks (a) that motion's caption among every distinct held-out caption
  (text retrieval; the real held-out clips scored the same way show whether
  the evaluator understands these captions at all: the shipped one knows
  only the base labels, `train_evaluator --own-corpus` makes one that also
  knows the own captions, passed here with --eval-dir) and (b) the clip's own
  real motion among all the real held-out motions, by motion embedding
  (motion retrieval: does the motion look like the real one?). Top-1 / top-3
  accuracy and mean rank (1 = best).
- Forgetting (`--base-corpus`): R-precision top-1 / top-3 (batches of 32, as
  the benchmark) and FID to the real test clips on the base test split (or
  `--base-items` of it, drawn with the seed), so fine-tunes can be compared
  with the model they started from.

`--write-card` stores the numbers in each fine-tuned model's manifest
(`measured`) and regenerates its MODEL_CARD.md. No torch: onnxruntime only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from ..errors import MotionComposerError
from ..runtime import load_models
from ..training.library_captions import CAPTION_SEPARATOR
from ..training.model_card import write_card
from . import metrics as M
from . import sources
from .clips import load_split, pair_ids, pick_captions
from .embedder import DEFAULT_EVAL_DIR, Evaluator


def heldout_items(corpus: Path) -> tuple[list[np.ndarray], list[str], list[str], float]:
    """Held-out clips of an own corpus: features, first caption, clip id, fps."""
    data = np.load(Path(corpus) / "test.npz")
    if "captions" not in data.files or len(data["clip_ids"]) == 0:
        raise MotionComposerError(f"{corpus}/test.npz has no captioned held-out clips (prepare with --hold-out)")
    starts = data["starts"]
    clips = [data["features"][a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]
    captions = [text.split(CAPTION_SEPARATOR)[0] for text in data["captions"].tolist()]
    return clips, captions, data["clip_ids"].tolist(), float(data["fps"])


def caption_ranks(evaluator: Evaluator, motions: list[np.ndarray], captions: list[str]) -> np.ndarray:
    """Rank (1 = best) of each motion's own caption among the distinct captions."""
    distinct = sorted(set(captions))
    text = evaluator.texts(distinct)
    sim = evaluator.motions(motions) @ text.T
    own = np.array([distinct.index(c) for c in captions])
    return 1 + (sim > sim[np.arange(len(own)), own][:, None]).sum(1)


def rank_numbers(ranks: np.ndarray, candidates: int) -> dict[str, float]:
    return {"top1": float(np.mean(ranks <= 1)), "top3": float(np.mean(ranks <= 3)),
            "mean_rank": float(ranks.mean()), "candidates": candidates}  # fmt: skip


def motion_ranks(evaluator: Evaluator, made: list[np.ndarray], real: list[np.ndarray]) -> np.ndarray:
    """Rank (1 = best) of each item's own real clip among all the real held-out clips, by motion embedding."""
    sim = evaluator.motions(made) @ evaluator.motions(real).T
    own = np.diag(sim)
    return 1 + (sim > own[:, None]).sum(1)


def own_retrieval(model_dir: Path, evaluator: Evaluator, corpus: Path, seed: int) -> dict:
    """Caption -> generated motion: its rank for its caption, and its own real clip's rank among the real clips."""
    clips, captions, _, fps = heldout_items(corpus)
    limit = int(load_models(model_dir).manifest.max_frames)
    frames = [min(len(c), limit) for c in clips]
    made = sources.generated("own", captions, frames, fps, seed, None, model_dir)
    text = rank_numbers(caption_ranks(evaluator, made.features, captions), len(set(captions)))
    motion = rank_numbers(motion_ranks(evaluator, made.features, [c[:n] for c, n in zip(clips, frames, strict=True)]),
                          len(clips))  # fmt: skip
    return {f"caption {k}": v for k, v in text.items()} | {f"real clip {k}": v for k, v in motion.items()}


def real_retrieval(evaluator: Evaluator, corpus: Path) -> dict:
    clips, captions, _, _ = heldout_items(corpus)
    return rank_numbers(caption_ranks(evaluator, clips, captions), len(set(captions)))


def forgetting(model_dir: Path, evaluator: Evaluator, base: Path, items: int | None, seed: int) -> dict:
    test = load_split(base, "test")
    if items and items < len(test):
        test = test.subset(np.sort(np.random.default_rng(seed).choice(len(test), size=items, replace=False)))
    captions = pick_captions(test, seed)
    made = sources.generated("gen", captions, [len(c) for c in test.features], test.fps, seed, None, model_dir)
    real = evaluator.motions(test.features)
    gen = evaluator.motions(made.features)
    r = M.r_precision(evaluator.texts(captions), gen, pair_ids(test.pairs), 32, 3, seed)
    return {"r_precision_top1": float(r[0]), "r_precision_top3": float(r[2]), "fid": M.fid(real, gen),
            "items": len(test), "seconds": round(made.seconds, 1)}  # fmt: skip


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, action="append", required=True, help="repeat to compare models")
    ap.add_argument("--corpus", type=Path, help="own corpus with held-out clips (prepare --hold-out)")
    ap.add_argument("--base-corpus", type=Path, help="base corpus: measure forgetting on its test split")
    ap.add_argument("--base-items", type=int, default=None, help="only this many base test items (seeded subset)")
    ap.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the numbers here")
    ap.add_argument("--write-card", action="store_true", help="store the numbers in fine-tuned models' cards")
    return ap.parse_args(argv)


def run(args) -> dict:
    evaluator = Evaluator(args.eval_dir, text_dir=args.model_dir[0])
    results: dict = {"command": "python -m engine.eval.own_data " + shlex.join(sys.argv[1:]),
                     "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "models": {}}  # fmt: skip
    if args.corpus:
        results["real_heldout"] = real_retrieval(evaluator, args.corpus)
    for model_dir in args.model_dir:
        t0 = time.time()
        numbers: dict = {"model_version": load_models(model_dir).version}
        if args.corpus:
            numbers["own_heldout"] = own_retrieval(model_dir, evaluator, args.corpus, args.seed)
        if args.base_corpus:
            numbers["base_test"] = forgetting(model_dir, evaluator, args.base_corpus, args.base_items, args.seed)
        numbers["wall_s"] = round(time.time() - t0, 1)
        results["models"][str(model_dir)] = numbers
        print(f"{model_dir}: {json.dumps(numbers)}", flush=True)
    return results


def store_in_card(model_dir: Path, numbers: dict, results: dict) -> bool:
    """Put the numbers into a fine-tuned model's manifest and card; False for models without a card record."""
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    if "init" not in manifest:
        return False
    flat = {f"{group} {k}": v for group, vals in numbers.items() if isinstance(vals, dict) for k, v in vals.items()}
    if "real_heldout" in results:
        flat |= {f"real held-out clips {k}": v for k, v in results["real_heldout"].items()}
    manifest["measured"] = {"command": results["command"], "date": results["date"], "numbers": flat}
    write_card(model_dir, manifest, Path(manifest["training"]["corpus"]))
    return True


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        results = run(args)
    except (MotionComposerError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "real_heldout" in results:
        print(f"real held-out clips: {json.dumps(results['real_heldout'])}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if args.write_card:
        for model_dir, numbers in results["models"].items():
            if store_in_card(Path(model_dir), numbers, results):
                print(f"updated {model_dir}/MODEL_CARD.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
