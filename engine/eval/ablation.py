"""Compare trained models on the quick items: `python -m engine.eval.ablation DIR [DIR ...] --out table.md`.

The model card's ablation table: every model answers the same quick test
items (the benchmark's --quick subset and seed) and is measured on the
numbers issue #15 tracks: FID, R-precision (training and held-out
phrasings), jerk and foot skating of the default generator, the vocabulary
suite's summary (signature movements, wave wrist speed, styled-walk speeds)
and the constrained-joint and root-path errors with guidance off (the
network's learned observations alone). Cheaper than `bench --quick` (no
50-step column, no speed or timeline suites), so several short training runs
can be compared on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..constraints.guidance import GuideOptions
from ..runtime import load_models
from . import metrics as M
from . import sources
from .bench import quick_subset
from .clips import DEFAULT_CORPUS, load_split, pair_ids, pick_captions
from .constraints_suite import RAW, _generate, cases
from .embedder import DEFAULT_EVAL_DIR, Evaluator
from .suites import Context
from .vocabulary_suite import measure as vocabulary_rows
from .vocabulary_suite import summary as vocabulary_summary

OBSERVE_CASES = 8  # constraint cases measured with guidance off


def text_metrics(ctx: Context) -> dict:
    test, fps, seed = ctx.test, ctx.test.fps, ctx.seed
    frames = [len(c) for c in test.features]
    real = sources.real(test, pick_captions(test, seed))
    gen = sources.generated("gen", real.captions, frames, fps, seed, None, ctx.model_dir)
    heldout_captions = pick_captions(test, seed + 1, heldout=True)
    held = sources.generated("held", heldout_captions, frames, fps, seed, None, ctx.model_dir)
    ev, groups = ctx.evaluator, pair_ids(test.pairs)
    real_e, gen_e, held_e = ev.motions(real.features), ev.motions(gen.features), ev.motions(held.features)
    r = M.r_precision(ev.texts(real.captions), gen_e, groups, 32, 3, seed)
    rh = M.r_precision(ev.texts(heldout_captions), held_e, groups, 32, 3, seed)
    return {"fid": M.fid(real_e, gen_e), "r_top3": float(r[2]), "heldout_r_top3": float(rh[2]),
            "jerk": M.mean_jerk(gen.positions, fps), "jerk_real": M.mean_jerk(real.positions, fps),
            "skate_pct": 100 * M.foot_skate_ratio(gen.positions, fps),
            "skate_real_pct": 100 * M.foot_skate_ratio(real.positions, fps)}  # fmt: skip


def observe_only_errors(ctx: Context) -> dict:
    """Joint-target and root-path errors (cm) with guidance and clean-up off."""

    off = GuideOptions(strength=0.0)
    joint, path = [], []
    for c in cases(ctx.test, OBSERVE_CASES, ctx.seed):
        j = _generate({**c["base"], "constraints": c["joints"]}, ctx.model_dir, guide_options=off, post=RAW)
        joint += [r["model_mean"] for r in j.metadata["constraints"]]
        p = _generate({**c["base"], "constraints": c["path"]}, ctx.model_dir, guide_options=off, post=RAW)
        path.append(p.metadata["constraints"][0]["model_mean"])
    return {"joint_guidance_off_cm": 100 * float(np.mean(joint)), "path_guidance_off_cm": 100 * float(np.mean(path))}


def evaluate(model_dir: Path, corpus: Path, eval_dir: Path, seed: int = 0) -> dict:
    t0 = time.time()
    models = load_models(model_dir)
    test = quick_subset(load_split(corpus, "test"), seed)
    ctx = Context(model_dir, corpus, seed, True, Evaluator(eval_dir, text_dir=model_dir), test)
    out = {"model": str(model_dir), "version": models.version, "training": models.manifest.details.get("training", {})}
    out.update(text_metrics(ctx))
    out.update(observe_only_errors(ctx))
    out.update({f"vocab_{k}": v for k, v in vocabulary_summary(vocabulary_rows(ctx)).items()})
    out["wall_s"] = round(time.time() - t0, 1)
    return out


COLUMNS = [("FID", "fid", 3), ("R top-3", "r_top3", 3), ("held-out R top-3", "heldout_r_top3", 3),
           ("jerk (m/s³)", "jerk", 0), ("skate (%)", "skate_pct", 1), ("joint err, guidance off (cm)",
           "joint_guidance_off_cm", 1), ("path err, guidance off (cm)", "path_guidance_off_cm", 1),
           ("wave wrist / real", "vocab_wave_wrist_ratio", 2), ("slowest styled walk / real",
           "vocab_styled_walk_min_ratio", 2), ("styled-walk speed r", "vocab_styled_walk_speed_r", 2),
           ("labels at >= 0.7 x real signature", "vocab_signature_labels_ok", 0),
           ("vocabulary retrieval top-3", "vocab_gen_top3", 2)]  # fmt: skip


def markdown(results: list[dict]) -> str:
    head = "| model | " + " | ".join(c[0] for c in COLUMNS) + " |"
    lines = [head, "|---" * (len(COLUMNS) + 1) + "|"]
    for r in results:
        cells = [f"{r[key]:.{digits}f}" if isinstance(r[key], float) else str(r[key]) for _, key, digits in COLUMNS]
        lines.append(f"| {Path(r['model']).parent.name or r['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dirs", nargs="+", type=Path)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="markdown table (a .json with every number beside it)")
    args = ap.parse_args(argv)
    results = []
    for d in args.model_dirs:
        results.append(evaluate(d, args.corpus, args.eval_dir, args.seed))
        print(json.dumps(results[-1], indent=1, default=str), flush=True)
    table = markdown(results)
    print(table)
    if args.out:
        args.out.write_text(table)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
