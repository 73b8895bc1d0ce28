"""Clean-motion suite: foot skating, jerk and joint speed of the default output, beside the real clips it answers.

Three kinds of output, each measured next to the real test clips behind it:

- unconstrained: one caption per test clip, the clip's duration (at most 10 s);
- constrained: test clips re-created from their caption under their own constraints
  (two joint targets at random frames, root waypoints every second);
- timeline: 2-4 test captions back to back as tracks; real = the source clips of the segments.

Plus R-precision top-3 of the unconstrained output (smoothing must not cost the
labels), what the default post-processing costs next to generation, and what
the output smoothing alone takes from the real clips (it is there for the
sampler's jitter, which real mocap has little of: a real wave must keep its swing).
Standalone: `python -m engine.eval.bench --quick --suites clean_motion,reach`.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import numpy as np

from .. import features as feat
from ..constraints.types import ConstraintSet
from ..kinematics.smoothing import smooth_motion
from ..pipeline import PostProcessing, generate
from ..pipeline.post import finish
from ..request import GenerationRequest
from . import metrics as M
from .clips import pair_ids, pick_captions
from .constraints_suite import RAW, _generate
from .constraints_suite import cases as constrained_cases
from .suites import Context, Goal, Row, SuiteResult, register
from .timeline_suite import build_timelines

MAX_SECONDS = 10.0
SKATE_GOAL = 1.0  # x real (same clips)
JERK_GOAL = 1.3  # x real
R3_GOAL = 0.9  # x real
SPEED_TOLERANCE = 0.10  # per label, relative to real
SMOOTHING_LOSS_GOAL = 5.0  # %: what the output smoothing may take of real clips' joint or wrist speed
POST_SHARE_GOAL, POST_SECONDS_GOAL = 0.2, 0.3  # of generation time; seconds for a 10 s motion on 2 threads
KINDS = ("unconstrained", "constrained", "timeline")
CONSTRAINED_CASES = {True: 16, False: 48}  # quick, full
TIMELINES = {True: 8, False: 24}
COST_REPEATS = 7  # seeds: the share of one motion varies with its plants and glides (0.13-0.25)
COST_SECONDS = 10.0  # the speed goal is stated for a 10 s motion


def column(kind: str, real: bool) -> str:
    return f"{kind}: {'real clips' if real else 'generated'}"


COLUMNS = [column(k, r) for k in KINDS for r in (False, True)]


def _real_positions(clip: np.ndarray, fps: float, seconds: float | None = None) -> np.ndarray:
    if seconds is not None:
        clip = clip[: int(round(seconds * fps)) + 1]
    return feat.decode(clip, fps).positions()


def unconstrained(ctx: Context) -> dict:
    """Generated and real positions (and labels) for every test item, capped at MAX_SECONDS."""
    test, fps = ctx.test, ctx.test.fps
    captions = pick_captions(test, ctx.seed)
    gen, raw, smoothed, real, motions = [], [], [], [], []
    for i, clip in enumerate(test.features):
        seconds = min((len(clip) - 1) / fps, MAX_SECONDS)
        job = {"text": captions[i], "seconds": seconds, "fps": fps, "seed": ctx.seed * 100003 + i}
        motions.append(_generate(job, ctx.model_dir))
        gen.append(motions[-1].positions())
        model_alone = _generate(job, ctx.model_dir, post=RAW)  # the same sample, before post-processing
        raw.append(model_alone.positions())
        smoothed.append(smooth_motion(model_alone).positions())  # the output smoothing alone, without the feet
        real.append(_real_positions(clip, fps, seconds))
    return {"gen": gen, "raw": raw, "smoothed": smoothed, "real": real, "labels": list(test.contents),
            "real_labels": list(test.contents), "motions": motions, "captions": captions}  # fmt: skip


def constrained(ctx: Context, n: int) -> dict:
    """Test clips re-created under their own joint targets and root waypoints."""
    gen, real, labels = [], [], []
    for c in constrained_cases(ctx.test, n, ctx.seed):
        motion = _generate({**c["base"], "constraints": c["joints"] + c["path"]}, ctx.model_dir)
        gen.append(motion.positions())
        real.append(c["real"].positions())
        labels.append(ctx.test.contents[c["item"]])
    return {"gen": gen, "real": real, "labels": labels, "real_labels": labels}


def timeline(ctx: Context, n: int) -> dict:
    """Timelines of test captions; the real side is each segment's source clip, cut to the segment's length."""
    test, fps = ctx.test, ctx.test.fps
    captions = pick_captions(test, ctx.seed)
    gen, real, real_labels = [], [], []
    for k, segs in enumerate(build_timelines(n, len(test), ctx.seed)):
        tracks = [{"text": captions[i], "start": a, "end": b} for i, a, b in segs]
        job = {"seconds": segs[-1][2], "fps": fps, "seed": ctx.seed + k, "tracks": tracks}
        gen.append(_generate(job, ctx.model_dir).positions())
        for i, a, b in segs:
            real.append(_real_positions(test.features[i], fps, b - a))
            real_labels.append(test.contents[i])
    return {"gen": gen, "real": real, "labels": None, "real_labels": real_labels}


def physical(positions: list[np.ndarray], fps: float) -> dict:
    return {"skate": 100 * M.foot_skate_ratio(positions, fps), "floor": 100 * M.floor_penetration(positions),
            "jerk": M.mean_jerk(positions, fps), "speed": float(np.mean([M.mean_joint_speed(p, fps)
                                                                         for p in positions]))}  # fmt: skip


def speed_deviation(sets: dict, fps: float) -> tuple[float, int, int]:
    """Largest |generated / real - 1| of the mean joint speed per action label, labels within tolerance, labels."""
    gen = [M.mean_joint_speed(p, fps) for p in sets["gen"]]
    real = [M.mean_joint_speed(p, fps) for p in sets["real"]]
    ratios = M.per_label_ratio(gen, real, sets["labels"], sets["real_labels"])
    if not ratios:
        return float("nan"), 0, 0
    dev = np.abs(np.array(list(ratios.values())) - 1.0)
    return float(dev.max()), int((dev <= SPEED_TOLERANCE).sum()), len(dev)


def drift_from_real(sets: dict, fps: float) -> float:
    """Largest growth of a label's |speed / real - 1| from the raw output (`sets["raw"]`) to the final one: how far
    the post-processing moves any action label's mean joint speed away from real (negative: it only brings them
    closer). The part of the per-label speed goal that post-processing answers for; the raw deviation is the
    model's."""
    real = [M.mean_joint_speed(p, fps) for p in sets["real"]]
    ratios = {key: M.per_label_ratio([M.mean_joint_speed(p, fps) for p in sets[key]], real, sets["labels"],
                                     sets["real_labels"]) for key in ("raw", "gen")}  # fmt: skip
    if not ratios["gen"]:
        return float("nan")
    return max(abs(ratios["gen"][k] - 1.0) - abs(ratios["raw"][k] - 1.0) for k in ratios["gen"])


def r_precision_top3(ctx: Context, sets: dict) -> tuple[float, float]:
    """R-precision top-3 of the generated and the real clips against the same captions (grouped by label)."""
    fps = ctx.test.fps
    groups = pair_ids(ctx.test.pairs)
    text = ctx.evaluator.texts(sets["captions"])
    gen = ctx.evaluator.motions([feat.encode(replace(m, contacts=None)) for m in sets["motions"]])
    real_feats = [feat.encode(feat.decode(c[: len(p)], fps)) for c, p in zip(ctx.test.features, sets["real"],
                                                                               strict=True)]  # fmt: skip
    real = ctx.evaluator.motions(real_feats)
    return (float(M.r_precision(text, gen, groups, seed=ctx.seed)[2]),
            float(M.r_precision(text, real, groups, seed=ctx.seed)[2]))  # fmt: skip


def smoothing_on_real(ctx: Context) -> dict[str, tuple[float, float]]:
    """% of mean joint speed and of mean wrist speed (relative to the pelvis) that the default output smoothing
    takes from the real test clips (at most MAX_SECONDS each): all of them, and the wave clips among them."""
    fps = ctx.test.fps
    clips = [(c[: int(MAX_SECONDS * fps) + 1], content) for c, content in zip(ctx.test.features, ctx.test.contents,
                                                                              strict=True)]  # fmt: skip
    groups = {"all": clips, "waves": [c for c in clips if "wave" in c[1]]}
    out = {}
    for name, group in groups.items():
        if not group:
            continue
        motions = [feat.decode(c, fps) for c, _ in group]
        before = [m.positions() for m in motions]
        after = [smooth_motion(m).positions() for m in motions]
        loss = [100 * (1 - sum(f(p, fps) for p in after) / sum(f(p, fps) for p in before))
                for f in (M.mean_joint_speed, M.wrist_speed)]  # fmt: skip
        out[f"{name} ({len(group)})"] = (loss[0], loss[1])
    return out


def post_processing_cost(model_dir, threads: int = 2, repeats: int | None = None) -> dict:
    """Median seconds of sampling a 10 s motion (30 fps, the default) and of its default post-processing."""

    default, off = PostProcessing(), PostProcessing(adaptive_smoothing=False, clean_feet=False)

    sample, post = [], []
    for i in range((repeats or COST_REPEATS) + 1):  # the first round warms up
        req = GenerationRequest.from_text("a person walks forward and waves", COST_SECONDS, seed=i)
        t0 = time.perf_counter()
        raw = generate(req, model_dir=model_dir, threads=threads, post=off)
        t1 = time.perf_counter()
        finish(raw, ConstraintSet(), default)
        t2 = time.perf_counter()
        if i:
            sample.append(t1 - t0)
            post.append(t2 - t1)
    s, p = statistics.median(sample), statistics.median(post)
    return {"sample_s": s, "post_s": p, "share": p / (s + p)}


@register("clean_motion")
def run(ctx: Context) -> SuiteResult:
    fps = ctx.test.fps
    sets = {"unconstrained": unconstrained(ctx), "constrained": constrained(ctx, CONSTRAINED_CASES[ctx.quick]),
            "timeline": timeline(ctx, TIMELINES[ctx.quick])}  # fmt: skip
    values: dict[str, dict] = {}
    for kind, s in sets.items():
        values[column(kind, False)] = physical(s["gen"], fps)
        values[column(kind, True)] = physical(s["real"], fps)
    dev = {k: speed_deviation(s, fps) for k, s in sets.items() if s["labels"] is not None}
    un = sets["unconstrained"]
    raw_dev = speed_deviation({**un, "gen": un["raw"]}, fps)  # the model's own output against real
    against_raw = {**un, "real": un["raw"], "real_labels": un["labels"]}
    post_dev = speed_deviation(against_raw, fps)  # what post-processing changes
    smoothing_dev = speed_deviation({**against_raw, "gen": un["smoothed"]}, fps)  # the output smoothing's share
    drift = drift_from_real(un, fps)
    smoothing_drift = drift_from_real({**un, "gen": un["smoothed"]}, fps)  # the filter's part of it
    r3_gen, r3_real = r_precision_top3(ctx, sets["unconstrained"])
    cost = post_processing_cost(ctx.model_dir)
    smoothing_loss = smoothing_on_real(ctx)
    largest_loss = max(max(v) for v in smoothing_loss.values())

    def row(metric, key, unit, digits):
        return Row(metric, {c: values[c][key] for c in COLUMNS}, unit, digits)

    def ratio_row(metric, key):
        return Row(metric, {column(k, False): values[column(k, False)][key] / max(values[column(k, True)][key], 1e-9)
                            for k in KINDS}, "x", 2)  # fmt: skip

    u = column("unconstrained", False)
    rows = [
        row("foot skate (grounded foot-joint steps that slide, the benchmark's metric)", "skate", "%", 2),
        ratio_row("foot skate / real (same clips)", "skate"),
        row("floor penetration (below rest height)", "floor", "cm", 3),
        row("mean jerk", "jerk", "m/s^3", 1),
        ratio_row("mean jerk / real (same clips)", "jerk"),
        row("mean joint speed", "speed", "m/s", 3),
        Row("mean joint speed per action label: largest deviation from real",
            {column(k, False): 100 * d[0] for k, d in dev.items()}, "%", 1),
        Row("action labels with mean joint speed within 10 % of real",
            {column(k, False): d[1] for k, d in dev.items()}, f"of {max(d[2] for d in dev.values())}", 0),
        Row("the model's raw output (same samples, no post-processing): largest per-label deviation from real",
            {u: 100 * raw_dev[0]}, "%", 1),
        Row("mean joint speed per action label: largest change made by the post-processing (vs the raw output)",
            {u: 100 * post_dev[0]}, "%", 1),
        Row("mean joint speed per action label: largest change made by the output smoothing alone (vs the raw output)",
            {u: 100 * smoothing_dev[0]}, "%", 1),
        Row("mean joint speed per action label: largest move away from real made by the post-processing (points of "
            "|speed / real - 1|, raw -> final; negative: closer)", {u: 100 * drift}, "points", 1),
        Row("the same, made by the output smoothing alone (raw -> smoothed)", {u: 100 * smoothing_drift}, "points", 1),
        Row("R-precision top-3", {u: r3_gen, column("unconstrained", True): r3_real}, "", 3),
        Row("10 s motion (30 fps, 2 threads): sampling + decoding, median", {u: cost["sample_s"]}, "s", 3),
        Row("10 s motion: default post-processing, median", {u: cost["post_s"]}, "s", 3),
        Row("post-processing share of generation time", {u: 100 * cost["share"]}, "%", 1),
    ]  # fmt: skip
    r = column("unconstrained", True)
    for group, (joint, wrist) in smoothing_loss.items():
        rows.append(Row(f"real clips, {group}: joint speed taken by the output smoothing alone", {r: joint}, "%", 1))
        rows.append(Row(f"real clips, {group}: wrist speed (rel. pelvis) taken by it", {r: wrist}, "%", 1))
    goals = []
    for k in KINDS:
        g, r = values[column(k, False)], values[column(k, True)]
        goals.append(Goal(f"{k}: foot skating no worse than its real clips (%)", g["skate"], SKATE_GOAL * r["skate"],
                          g["skate"] <= SKATE_GOAL * r["skate"], "<= real"))  # fmt: skip
        goals.append(Goal(f"{k}: mean jerk at most 1.3 x its real clips (m/s^3)", g["jerk"], JERK_GOAL * r["jerk"],
                          g["jerk"] <= JERK_GOAL * r["jerk"], "<= 1.3 x real"))  # fmt: skip
    for k, d in dev.items():
        goals.append(Goal(f"{k}: mean joint speed of every action label within 10 % of real (largest deviation)",
                          d[0], SPEED_TOLERANCE, d[0] <= SPEED_TOLERANCE, "<= 0.1"))  # fmt: skip
    goals += [
        Goal("unconstrained: the output smoothing moves no action label's mean joint speed more than 10 points "
             "farther from real than the raw output (the smoothing makes nothing sluggish)", smoothing_drift,
             SPEED_TOLERANCE, smoothing_drift <= SPEED_TOLERANCE, "<= 0.1"),
        Goal("unconstrained: R-precision top-3 at least 0.9 x real", r3_gen, R3_GOAL * r3_real,
             r3_gen >= R3_GOAL * r3_real, ">= 0.9 x real"),
        Goal("output smoothing on real clips: joint and wrist speed taken (largest, %)", largest_loss,
             SMOOTHING_LOSS_GOAL, largest_loss <= SMOOTHING_LOSS_GOAL, "<= 5 %"),
        Goal("default post-processing share of generation time", cost["share"], POST_SHARE_GOAL,
             cost["share"] <= POST_SHARE_GOAL, "<= 0.2"),
        Goal("default post-processing of a 10 s motion, 2 threads (s)", cost["post_s"], POST_SECONDS_GOAL,
             cost["post_s"] <= POST_SECONDS_GOAL, "<= 0.3 s"),
    ]  # fmt: skip
    n = {k: len(s["gen"]) for k, s in sets.items()}
    notes = [
        f"Generated columns: what engine.generate returns by default (its own post-processing included), at the "
        f"corpus rate ({fps:g} fps). Real columns: the test clips the generated motions answer, cut to the same "
        "length; every 'x real' compares a generated column with the real column next to it.",
        f"unconstrained: {n['unconstrained']} test items (caption drawn with the seed, the clip's duration, at most "
        f"{MAX_SECONDS:g} s); constrained: {n['constrained']} test clips (3-10 s) re-created under two of their own "
        f"joint positions and root waypoints every second; timeline: {n['timeline']} timelines of 2-4 test captions "
        "(3-4 s segments), real = the segments' source clips cut to the segment length.",
        "Foot skate as in the text-to-motion table (ankles and toes, skating / grounded steps); jerk: mean "
        "|d3p/dt3| over all joints and frames; joint speed: mean |dp/dt| over all joints and frames, in the world; "
        "per action label (content label) the generated mean over the label's clips / the real mean. The raw "
        "output is the same sample with post-processing off: its deviation is the model's, and the change the "
        "post-processing makes is measured against it (jitter counts as speed there, so some change is expected); "
        "'the output smoothing alone' applies only engine.kinematics.smoothing to it (the rest of the change is the "
        "feet's: planting a sliding foot takes the slide's speed off, so the goal is on the smoothing's part; the "
        "whole post-processing's move is the row above it).",
        "Output smoothing on real clips: the default filter (engine.kinematics.smoothing, the default step count's "
        "cutoff) applied to the decoded test clips alone; mean joint speed and mean speed of the faster wrist "
        "relative to the pelvis, summed over the clips, after / before.",
        "Post-processing cost: 'a person walks forward and waves', 10 s at 30 fps (the default rate), models loaded "
        "with 2 threads, sampling timed with post-processing off, then the default post-processing alone on its "
        f"result; median of {COST_REPEATS} seeds after one warm-up. Timings on a shared machine are noisy: compare "
        "the share.",
    ]  # fmt: skip
    return SuiteResult("Clean motion (test split, default output vs the same real clips)", COLUMNS, rows, goals,
                       notes)  # fmt: skip
