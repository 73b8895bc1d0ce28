"""Benchmark: `python -m engine.eval.bench [--quick] [--model-dir exported_models] [--out BENCHMARK.md]`.

Runs every registered suite (engine/eval/suites.py) on the test split of the
prepared corpus with the shipped evaluator and writes a readable table
(BENCHMARK.md) plus the numbers as JSON. Needs only the runtime dependencies
(onnxruntime, numpy, tokenizers): no torch. Deterministic for --seed.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from ..errors import MotionComposerError
from ..runtime import DEFAULT_MODEL_DIR, load_models
from .clips import DEFAULT_CORPUS, load_split
from .embedder import DEFAULT_EVAL_DIR, Evaluator
from .report import git_commit, machine, write
from .suites import Context, load_suites

QUICK_ITEMS = 64
MIN_ITEMS = 32  # R-precision ranks in batches of 32
REPO = Path(__file__).resolve().parent.parent.parent


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_ITEMS} test items, quick suites only (< 3 min)")
    ap.add_argument("--model-dir", default=str(DEFAULT_MODEL_DIR))
    ap.add_argument("--eval-dir", default=str(DEFAULT_EVAL_DIR), help="the evaluator's ONNX files")
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="prepared corpus (python -m engine.training.prepare)")
    ap.add_argument("--out", default="BENCHMARK.md", help="markdown report ('' for none)")
    ap.add_argument("--json", default="benchmark.json", help="JSON results ('' for none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--suites", default="", help="comma-separated suite names (default: all)")
    ap.add_argument("--items", type=int, default=QUICK_ITEMS,
                    help=f"test items in --quick (default {QUICK_ITEMS}, at least {MIN_ITEMS}: a smoke run)")  # fmt: skip
    args = ap.parse_args(argv)
    if args.items != QUICK_ITEMS and not args.quick:
        ap.error("--items works with --quick only (a full run uses the whole test split)")
    if args.items < MIN_ITEMS:
        ap.error(f"--items {args.items}: give at least {MIN_ITEMS} (R-precision ranks in batches of {MIN_ITEMS})")
    return args


def quick_subset(test, seed: int, items: int = QUICK_ITEMS):
    """The --quick items: `items` test clips drawn with the seed (the ablation table uses the same ones)."""
    rng = np.random.default_rng(seed)
    return test.subset(np.sort(rng.choice(len(test), size=min(items, len(test)), replace=False)))


def run(args) -> tuple[dict, list]:
    t0 = time.time()
    model_dir = Path(args.model_dir)
    models = load_models(model_dir)  # fails early, with a clear message, when the model is missing
    evaluator = Evaluator(Path(args.eval_dir), text_dir=model_dir)
    test = load_split(args.corpus, "test")
    mismatch = evaluator.corpus_mismatch(Path(args.corpus))
    if mismatch:
        print(f"WARNING: {mismatch}", file=sys.stderr)
    if args.quick:
        test = quick_subset(test, args.seed, args.items)
    ctx = Context(model_dir, Path(args.corpus), args.seed, args.quick, evaluator, test)
    wanted = [s for s in args.suites.split(",") if s]
    results = []
    for name, (suite, quick) in load_suites().items():
        if (wanted and name not in wanted) or (args.quick and not quick):
            continue
        print(f"suite {name} ...", flush=True)
        t = time.time()
        results.append(suite(ctx))
        print(f"suite {name} done in {time.time() - t:.0f} s", flush=True)
    info = evaluator.info.get("training", {})
    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "commit": git_commit(REPO),
        "command": "python -m engine.eval.bench " + shlex.join(sys.argv[1:]),
        "model_dir": str(args.model_dir),
        "model_version": models.version,
        "evaluator": f"{args.eval_dir} ({evaluator.info.get('created', '?')}, {info.get('steps', '?')} steps)",
        "seed": args.seed,
        "quick": args.quick,
        "test_items": len(test),
        "torch_imported": "torch" in sys.modules,
        "corpus": str(args.corpus),
        "corpus_warning": mismatch,
        "wall_s": round(time.time() - t0, 1),
    }
    return meta, results


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        meta, results = run(args)
    except (MotionComposerError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write(meta, results, Path(args.out) if args.out else None, Path(args.json) if args.json else None)
    for r in results:
        for g in r.goals:
            print(f"{'pass' if g.passed else 'FAIL'}  {g.name}: {g.value:.3f} (target {g.rule} {g.target:.3f})")
    print(f"done in {meta['wall_s']:.0f} s; wrote {args.out or '-'} and {args.json or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
