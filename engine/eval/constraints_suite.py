"""Constraints suite: constrained-joint and root-path error (model alone / after clean-up),
FID of inbetweened clips, foot skating after clean-up, and speed.

Cases come from the test split: a real clip's own joint positions, root path
and poses become the constraints, the generator re-creates the clip from its
caption under them, and the errors are measured on the result. Register:
add "engine.eval.constraints_suite" to suites.SUITE_MODULES; standalone:
`python -m engine.eval.constraints_suite --model-dir exported_models [--clips 16]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from .. import features as feat
from ..constraints.coordinates import standing_root
from ..constraints.guidance import GuideOptions
from ..pipeline import PostProcessing, generate
from ..quaternion import identity
from ..request import GenerationRequest
from ..skeleton import CANONICAL
from . import metrics as M
from .clips import DEFAULT_CORPUS, load_split, pick_captions
from .embedder import Evaluator
from .suites import Context, Goal, Row, SuiteResult, register

TARGET_JOINTS = ("left_wrist", "right_wrist", "head", "left_ankle", "right_ankle")
MAX_SECONDS = 10.0
MIN_FRAMES = 61
GOAL_OBSERVE_ONLY_CM = 10.0  # issue #15: the network alone, guidance off, honours joint targets
RAW = PostProcessing(adaptive_smoothing=False, clean_feet=False, exact_constraints=False)  # model + guidance alone
GOAL_JOINT_MODEL_CM, GOAL_JOINT_CLEAN_CM, GOAL_PATH_CM, GOAL_SPEED_S, GOAL_FID_RATIO = 5.0, 1.0, 2.0, 0.6, 1.2


def _generate(job: dict, model_dir, threads=None, **kwargs):
    return generate(GenerationRequest.from_dict(job), model_dir=model_dir, threads=threads, **kwargs)


def _pose(motion, frame: int) -> dict:
    return {"rotations": motion.rotations[frame].tolist(), "root_translation": motion.root_translation[frame].tolist()}


def cases(split, n: int, seed: int) -> list[dict]:
    """Up to n test clips (3-10 s) with their caption and constraint sets."""
    captions = pick_captions(split, seed)
    rng = np.random.default_rng(seed)
    ok = [i for i, c in enumerate(split.features) if len(c) >= MIN_FRAMES]
    out = []
    for i in rng.permutation(ok)[:n]:
        clip = split.features[i][: int(MAX_SECONDS * split.fps) + 1]
        real = feat.decode(clip, split.fps)
        secs = (real.num_frames - 1) / split.fps
        pos = real.positions()
        joints = []
        for name in rng.choice(TARGET_JOINTS, size=2, replace=False):
            f = int(rng.integers(10, real.num_frames - 10))
            joints.append({"type": "joint", "joint": str(name), "time": f / split.fps,
                           "position": pos[f, CANONICAL.index(str(name))].tolist()})  # fmt: skip
        step = int(split.fps)
        frames = list(range(0, real.num_frames, step)) + ([real.num_frames - 1] if (real.num_frames - 1) % step else [])
        path = [{"type": "root_path", "points": [[f / split.fps, *real.root_translation[f, :2]] for f in frames]}]
        keys = [{"type": "keyframe", "time": f / split.fps, "pose": _pose(real, f)} for f in (0, real.num_frames - 1)]
        base = {"text": captions[i], "seconds": secs, "fps": split.fps, "seed": seed * 1000 + int(i)}
        out.append({"item": int(i), "real": real, "base": base, "joints": joints, "path": path, "keys": keys})
    return out


def evaluate(split, model_dir, n: int, seed: int, evaluator=None) -> dict:
    """All suite numbers as a flat dict (errors in cm)."""

    observe_only = GuideOptions(strength=0.0)  # the learned conditioning alone: no guidance, no projection
    joint_model, joint_clean, path_model, path_clean, key_model, key_clean = [], [], [], [], [], []
    joint_obs, path_obs, key_obs = [], [], []
    inb_feats, free_feats, real_feats, skate_pos = [], [], [], []
    for c in cases(split, n, seed):
        j = _generate({**c["base"], "constraints": c["joints"]}, model_dir)
        joint_model += [r["model_mean"] for r in j.metadata["constraints"]]
        joint_clean += [r["mean"] for r in j.metadata["constraints"]]
        jo = _generate({**c["base"], "constraints": c["joints"]}, model_dir, guide_options=observe_only, post=RAW)
        joint_obs += [r["model_mean"] for r in jo.metadata["constraints"]]
        po = _generate({**c["base"], "constraints": c["path"]}, model_dir, guide_options=observe_only, post=RAW)
        path_obs.append(po.metadata["constraints"][0]["model_mean"])
        p = _generate({**c["base"], "constraints": c["path"]}, model_dir)
        path_model.append(p.metadata["constraints"][0]["model_mean"])
        path_clean.append(p.metadata["constraints"][0]["mean"])
        ko = _generate({**c["base"], "constraints": c["keys"]}, model_dir, guide_options=observe_only, post=RAW)
        key_obs += [r["model_mean"] for r in ko.metadata["constraints"]]
        k = _generate({**c["base"], "constraints": c["keys"]}, model_dir)
        key_model += [r["model_mean"] for r in k.metadata["constraints"]]
        key_clean += [r["mean"] for r in k.metadata["constraints"]]
        free = _generate(c["base"], model_dir)
        for m in (j, p, k):
            skate_pos.append(m.positions())
        k.contacts = free.contacts = None
        inb_feats.append(feat.encode(k))
        free_feats.append(feat.encode(free))
        real_feats.append(feat.encode(c["real"]))
    out = {
        "cases": len(real_feats),
        "joint_model_mean_cm": 100 * float(np.mean(joint_model)),
        "joint_model_max_cm": 100 * float(np.max(joint_model)),
        "joint_clean_mean_cm": 100 * float(np.mean(joint_clean)),
        "joint_clean_max_cm": 100 * float(np.max(joint_clean)),
        "joint_observe_only_mean_cm": 100 * float(np.mean(joint_obs)),
        "path_observe_only_mean_cm": 100 * float(np.mean(path_obs)),
        "keyframe_observe_only_mean_cm": 100 * float(np.mean(key_obs)),
        "path_model_mean_cm": 100 * float(np.mean(path_model)),
        "path_model_max_cm": 100 * float(np.max(path_model)),
        "path_clean_mean_cm": 100 * float(np.mean(path_clean)),
        "path_clean_max_cm": 100 * float(np.max(path_clean)),
        "keyframe_model_mean_cm": 100 * float(np.mean(key_model)),
        "keyframe_clean_mean_cm": 100 * float(np.mean(key_clean)),
        "skate_clean_pct": 100 * M.foot_skate_ratio(skate_pos, split.fps),
        "skate_real_pct": 100
        * M.foot_skate_ratio([feat.decode(f, split.fps).positions() for f in real_feats], split.fps),  # fmt: skip
    }
    if evaluator is not None:
        real_e = evaluator.motions(real_feats)
        out["fid_inbetween"] = M.fid(real_e, evaluator.motions(inb_feats))
        out["fid_unconstrained"] = M.fid(real_e, evaluator.motions(free_feats))
    return out


def speed(model_dir, threads: int = 2, repeats: int = 5) -> float:
    """Median seconds of a constrained 10 s generation (joint target, root path, keyframe) on `threads`."""

    rot = identity((CANONICAL.num_joints,))
    pose = {"rotations": rot.tolist(), "root_translation": (standing_root(rot) + [0.0, -8.0, 0.0]).tolist()}
    job = {"text": "a person walks forward and waves", "seconds": MAX_SECONDS, "fps": 20, "constraints": [
        {"type": "root_path", "points": [[0, 0, 0], [5, 0.5, -4], [10, 0, -8]]},
        {"type": "joint", "joint": "right_wrist", "time": 4.0, "position": [0.3, -3.5, 1.7]},
        {"type": "keyframe", "time": 10.0, "pose": pose}]}  # fmt: skip
    _generate(job, model_dir, threads)
    times = []
    for i in range(repeats):
        t = time.perf_counter()
        _generate({**job, "seed": i + 1}, model_dir, threads)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


@register("constraints", quick=True)
def run(ctx: Context) -> SuiteResult:
    n = 8 if ctx.quick else 32
    r = evaluate(ctx.test, ctx.model_dir, n, ctx.seed, ctx.evaluator)
    r["speed_s"] = speed(ctx.model_dir)
    return result(r)


def result(r: dict) -> SuiteResult:
    col = ["model alone", "after clean-up", "real test clips (same cases)"]
    rows = [
        Row("constrained-joint error, mean", {col[0]: r["joint_model_mean_cm"], col[1]: r["joint_clean_mean_cm"]},
            "cm", 2),
        Row("constrained-joint error, max", {col[0]: r["joint_model_max_cm"], col[1]: r["joint_clean_max_cm"]},
            "cm", 2),
        Row("root path error, mean", {col[0]: r["path_model_mean_cm"], col[1]: r["path_clean_mean_cm"]}, "cm", 2),
        Row("root path error, max", {col[0]: r["path_model_max_cm"], col[1]: r["path_clean_max_cm"]}, "cm", 2),
        Row("keyframe joint error, mean", {col[0]: r["keyframe_model_mean_cm"], col[1]: r["keyframe_clean_mean_cm"]},
            "cm", 2),
        Row("constrained-joint error, guidance off (learned observations only), mean",
            {col[0]: r["joint_observe_only_mean_cm"]}, "cm", 2),
        Row("root path error, guidance off (learned observations only), mean",
            {col[0]: r["path_observe_only_mean_cm"]}, "cm", 2),
        Row("keyframe joint error, guidance off (learned observations only), mean",
            {col[0]: r["keyframe_observe_only_mean_cm"]}, "cm", 2),
        Row("foot skate, constrained outputs (joint, path and keyframe cases)",
            {col[1]: r["skate_clean_pct"], col[2]: r["skate_real_pct"]}, "%", 2),
        Row("constrained 10 s generation, median (2 threads)", {col[1]: r.get("speed_s")}, "s", 3),
    ]  # fmt: skip
    goals = [
        Goal("mean constrained-joint error, model alone", r["joint_model_mean_cm"], GOAL_JOINT_MODEL_CM,
             r["joint_model_mean_cm"] <= GOAL_JOINT_MODEL_CM, "<= 5 cm"),
        Goal("mean constrained-joint error after clean-up", r["joint_clean_mean_cm"], GOAL_JOINT_CLEAN_CM,
             r["joint_clean_mean_cm"] <= GOAL_JOINT_CLEAN_CM, "<= 1 cm"),
        Goal("mean constrained-joint error, guidance off (the network's observations alone)",
             r["joint_observe_only_mean_cm"], GOAL_OBSERVE_ONLY_CM,
             r["joint_observe_only_mean_cm"] <= GOAL_OBSERVE_ONLY_CM, "<= 10 cm"),
        Goal("root path error after clean-up", r["path_clean_mean_cm"], GOAL_PATH_CM,
             r["path_clean_mean_cm"] <= GOAL_PATH_CM, "<= 2 cm"),
    ]  # fmt: skip
    if r.get("speed_s") is not None:
        goals.append(Goal("constrained 10 s generation (median, 2 threads)", r["speed_s"], GOAL_SPEED_S,
                          r["speed_s"] <= GOAL_SPEED_S, "<= 0.6 s"))  # fmt: skip
    if "fid_inbetween" in r:
        rows.append(Row("FID to the real clips: unconstrained outputs", {col[1]: r["fid_unconstrained"]}, "", 3))
        rows.append(Row("FID to the real clips: inbetweened outputs (first and last pose as keyframes)",
                        {col[1]: r["fid_inbetween"]}, "", 3))  # fmt: skip
        limit = GOAL_FID_RATIO * r["fid_unconstrained"]
        goals.append(Goal("FID of inbetweened clips vs unconstrained", r["fid_inbetween"], limit,
                          r["fid_inbetween"] <= limit, "<= 1.2 x unconstrained"))  # fmt: skip
    notes = [f"{r['cases']} test clips (3-10 s) re-created from their caption under their own constraints: two "
             "joint targets at random frames (wrists, head, ankles), root waypoints every second, first and last "
             "pose as keyframes (inbetweening). Errors are means over constraints of the per-constraint mean."]  # fmt: skip
    return SuiteResult("Constraints", col, rows, goals, notes)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--eval-dir", default=None, help="evaluator ONNX folder, for the FID rows (default: skip FID)")
    args = ap.parse_args(argv)
    evaluator = None
    if args.eval_dir:
        evaluator = Evaluator(Path(args.eval_dir), text_dir=Path(args.model_dir) if args.model_dir else None)
    r = evaluate(load_split(args.corpus, "test"), args.model_dir, args.clips, args.seed, evaluator)
    if not args.no_speed:
        r["speed_s"] = speed(args.model_dir)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
