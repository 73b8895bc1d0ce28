"""Several characters: the interaction examples measured, and the speed of casts and crowds.

    python -m engine.eval.characters_suite [--model-dir exported_models] [--threads 2] [--quick]

For each job in examples/characters_*.json (handshake, high five, holding
hands, a crowd of 12): contact error from sampling alone and after clean-up
(goal <= 2 cm), the smallest distance between two bodies outside contacts
(goal >= the job's `apart` min_distance), crowd collisions (bones of two
people closer than COLLISION_M; goal zero), crowd path error (pelvis against
the planned path, every frame), each character's foot skating, and the peak
speed of the contact joints (relative to the pelvis, so a walk towards the
partner is not counted as whip) while each contact comes in and goes back,
against a minimum-jerk reach between where the joint is at the two ends of the
approach (the second before the contact) or the release (0.8 s after it): the
goal, <= 1.3 x (the bound the reach suite holds single-character joint targets
to), since a minimum-jerk reach is as smooth as a reach over that distance and
time can be. The same peak against the same characters generated without
interactions (within 0.5 s of each contact's start and end) is reported too,
without a goal: an arm that hangs still without the contact (the handshake's,
0.1 m/s) must still reach out with it, so any reach reads as several times "the
same arm". For a character that `stays`: how far its pelvis moves while a
contact comes, holds and goes (goal: a few cm). Foot
skating is compared with the same characters without interactions, and with
the real test clips at the jobs' frame rate (when the corpus is there): each
crowd member with the real walks (a walk's take-offs and landings skate by
this metric: real walks 33 %), everyone else with all real clips (8-10 %), the
bound single-character output is held to. Then the
time of a two-character 10 s cast and of crowds of 5, 10 and 20 for 10 s
(goals <= 1 s and <= 10 s, linear in the count), models loaded, median of runs.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np

from .. import features as feat
from ..characters import generate_cast, parse_cast
from ..characters.coupling import Coupling
from ..characters.interactions import Contact
from ..characters.terms import APPROACH_S, RELEASE_S
from ..pipeline import generate
from ..request import GenerationRequest
from ..runtime import load_models
from . import metrics as M
from .clips import DEFAULT_CORPUS, Split, load_split
from .suites import Context, Goal, Row, SuiteResult, register

ROOT = Path(__file__).resolve().parents[2]
JOBS = ("characters_handshake", "characters_high_five", "characters_holding_hands", "characters_crowd")
COLLISION_M = 0.1  # bones of two bodies this close: limbs (5-10 cm thick) touch or pass through each other
CONTACT_GOAL_M, SPEED_RATIO_GOAL = 0.02, 1.3
TWO_GOAL_S, CROWD_GOAL_S = 1.0, 10.0
WINDOW_S = 0.5
WALKS = ("walk", "walk-turn-left", "walk-turn-right")  # the real clips a crowd member's skating is held to


def load_job(name: str) -> dict:
    return json.loads((ROOT / "examples" / f"{name}.json").read_text())


def measure_job(data: dict, model_dir=None, threads: int | None = None) -> dict:
    """Every number of one job (see the module docstring)."""
    cast = parse_cast(data, base_dir=ROOT / "examples")
    t0 = time.perf_counter()
    motions = generate_cast(cast, model_dir=model_dir, threads=threads)
    elapsed = time.perf_counter() - t0
    names = list(motions)
    fps = motions[names[0]].fps
    pos = [motions[n].positions() for n in names]
    rows = [r for m in motions.values() for r in m.metadata["interactions"]]
    contacts = {r["label"]: r for r in rows if r["type"] == "contact"}
    apart = [r for r in rows if r["type"] == "apart"]
    out = {"characters": len(names), "seconds": cast.seconds, "time": elapsed,
           "contact_model_max": max((r["model_max"] for r in contacts.values()), default=None),
           "contact_max": max((r["max"] for r in contacts.values()), default=None),
           "contact_mean": float(np.mean([r["mean"] for r in contacts.values()])) if contacts else None,
           "min_distance": min((r["min_distance"] for r in apart), default=None),
           "closest": min((r["closest"] for r in apart if r["closest"] is not None), default=None),
           "skate": [M.foot_skate_ratio([p], fps) for p in pos],
           "crowd": [c.crowd is not None for c in cast.characters], "fps": fps}  # fmt: skip
    out["collisions"], out["closest_any"] = _collisions(pos, names, cast.interactions, fps)
    if cast.plan is not None:
        out["path_mean"], out["path_max"] = _path_error(cast, motions)
    free_job = {k: v for k, v in copy.deepcopy(data).items() if k != "interactions"}
    free = generate_cast(parse_cast(free_job, base_dir=ROOT / "examples"), model_dir=model_dir, threads=threads)
    free_pos = {n: m.positions() for n, m in free.items()}
    out["skate_free"] = [M.foot_skate_ratio([free_pos[n]], fps) for n in names]
    if contacts:
        out["peak_ratio"], out["peak_speed"] = _contact_speed(cast, pos, free_pos, fps)
        out["min_jerk_ratio"] = _minimum_jerk_ratio(cast, pos, fps)
    out["stay_drift"] = _stay_drift(cast, motions)
    return out


def real_skating(test: Split, fps: float) -> dict[str, float]:
    """Foot skating (share) of the real test clips resampled to `fps`: all of them, and the walks alone."""
    every, walks = [], []
    for clip, content in zip(test.features, test.contents, strict=True):
        every.append(feat.decode(clip, test.fps).resample(fps).positions())
        if content in WALKS:
            walks.append(every[-1])
    return {"all": M.foot_skate_ratio(every, fps), "walks": M.foot_skate_ratio(walks, fps)}


def skate_against_real(result: dict, real: dict[str, float]) -> float:
    """Largest ratio, over a job's characters, of its foot skating to the real clips of its kind (crowd members:
    the real walks; the rest: all real clips); <= 1 is no worse than real."""
    return max(s / real["walks" if crowd else "all"] for s, crowd in zip(result["skate"], result["crowd"],
                                                                          strict=True))  # fmt: skip


def _collisions(pos: list[np.ndarray], names: list[str], interactions, fps: float) -> tuple[int, float]:
    """(pair-frames with bones closer than COLLISION_M outside contacts, closest distance of any two bodies)."""
    coupling = Coupling(interactions, names, fps, len(pos[0]))
    count, closest = 0, np.inf
    for _, _, d, _ in coupling.pair_distances(pos, 1.5):
        count += int(np.sum(d < COLLISION_M))
        closest = min(closest, float(d.min()))
    return count, closest


def _path_error(cast, motions) -> tuple[float, float]:
    """Pelvis ground position against the planned path, every output frame of every crowd member (m)."""
    errs = []
    for row, name in enumerate(cast.plan_names):
        m = motions[name]
        t = np.arange(m.num_frames) / m.fps
        plan = cast.plan.paths[row]
        want = np.stack([np.interp(t, cast.plan.times, plan[:, a]) for a in range(2)], -1)
        errs.append(np.linalg.norm(m.root_translation[:, :2] - want, axis=-1))
    e = np.concatenate(errs)
    return float(e.mean()), float(e.max())


def _contact_speed(cast, pos, free_pos: dict, fps: float) -> tuple[float, float]:
    """(largest ratio, largest speed m/s) over contacts and their two joints, of the peak speed of the contact
    joint relative to its own pelvis (the arm's own motion, not the walk) while it comes in (APPROACH_S before
    the contact's start to WINDOW_S after it) and goes back (WINDOW_S before its end to RELEASE_S after it),
    against the same joint over the same spans when the job is generated without interactions."""
    names = cast.names
    worst, fastest = 0.0, 0.0
    spans = [
        lambda it: (it.start - APPROACH_S, it.start + WINDOW_S),
        lambda it: (it.end - WINDOW_S, it.end + RELEASE_S),
    ]
    for it in (i for i in cast.interactions if isinstance(i, Contact)):
        for ref in (it.a, it.b):
            mine, free = pos[names.index(ref.character)], free_pos[ref.character]
            for lo, hi in (span(it) for span in spans):
                centre, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
                got = M.peak_speed_near(mine - mine[:, :1], fps, ref.joint, centre, half)
                base = M.peak_speed_near(free - free[:, :1], fps, ref.joint, centre, half)
                worst = max(worst, got / max(base, 0.3))  # a still arm is no yardstick: 0.3 m/s floor
                fastest = max(fastest, got)
    return worst, fastest


def _minimum_jerk_ratio(cast, pos, fps: float) -> float:
    """Largest ratio, over contacts, their two joints, the approach (APPROACH_S up to the start) and the release
    (RELEASE_S from the end), of the contact joint's peak speed relative to its pelvis to the peak speed of a
    minimum-jerk move (1.875 x distance / time) between where it is at the two ends of that span: 1 is as
    smooth as a reach can be, a whip is several times that. Spans where the joint moves less than 5 cm are
    left out (no reach to judge)."""
    names, worst = cast.names, 0.0
    for it in (i for i in cast.interactions if isinstance(i, Contact)):
        for ref in (it.a, it.b):
            p = pos[names.index(ref.character)]
            rel = p[:, ref.joint] - p[:, 0]
            for lo, hi in ((it.start - APPROACH_S, it.start), (it.end, it.end + RELEASE_S)):
                a, b = (int(np.clip(round(t * fps), 0, len(rel) - 1)) for t in (lo, hi))
                dist = float(np.linalg.norm(rel[b] - rel[a]))
                if b <= a or dist < 0.05:
                    continue
                peak = float(np.linalg.norm(np.diff(rel[a : b + 1], axis=0), axis=-1).max() * fps)
                worst = max(worst, peak / (1.875 * dist / ((b - a) / fps)))
    return worst


def _stay_drift(cast, motions: dict) -> float | None:
    """Largest ground distance (m) the pelvis of a character that `stays` moves from where it is when a
    contact's approach starts, until the release ends; None when nobody stays."""
    drift = []
    for it in (i for i in cast.interactions if isinstance(i, Contact)):
        for name in {it.a.character, it.b.character} & {c.name for c in cast.characters if c.stays}:
            m = motions[name]
            lo = max(0, int(round((it.start - APPROACH_S) * m.fps)))
            hi = min(m.num_frames, int(round((it.end + RELEASE_S) * m.fps)) + 1)
            xy = m.root_translation[lo:hi, :2]
            drift.append(float(np.linalg.norm(xy - xy[0], axis=-1).max()))
    return max(drift) if drift else None


def speed(model_dir=None, threads: int = 2, runs: int = 3, counts=(5, 10, 20)) -> dict:
    """Median seconds of a two-character 10 s cast and of 10 s crowds of `counts` people (models loaded)."""
    load_models(model_dir, "auto", threads)
    single = GenerationRequest.from_text("a person walks forward", 10.0)
    generate(single, model_dir=model_dir, threads=threads)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        generate(single, model_dir=model_dir, threads=threads)
        times.append(time.perf_counter() - t0)
    two = dict(load_job("characters_handshake"), seconds=10.0)
    two["characters"][1]["tracks"][0]["end"] = 10.0
    out = {"single": float(np.median(times)), "two": _median_time(two, model_dir, threads, runs)}
    for n in counts:
        crowd = _crowd_job(n)
        out[f"crowd{n}"] = _median_time(crowd, model_dir, threads, max(1, runs - 1))
    return out


def _crowd_job(count: int) -> dict:
    """The example crowd with `count` people, split between its two groups, areas grown to fit."""
    job = copy.deepcopy(load_job("characters_crowd"))
    half = [count - count // 2, count // 2]
    job["characters"] = [e for e, n in zip(job["characters"], half, strict=True) if n > 0]
    grow = max(1.0, np.sqrt(count / 12))
    for entry, n in zip(job["characters"], half, strict=True):
        entry["crowd"]["count"] = n
        for key in ("from", "to"):
            area = entry["crowd"][key]
            area["min"][1] *= grow
            area["max"][1] *= grow
    return job


def _median_time(job: dict, model_dir, threads: int, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        generate_cast(parse_cast(job, base_dir=ROOT / "examples"), model_dir=model_dir, threads=threads)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def report(results: dict[str, dict], speeds: dict, real: dict[str, float] | None = None) -> str:
    """Markdown tables of the numbers (cm, %, s); `real`: real_skating at the jobs' frame rate."""

    def cm(v):
        return "–" if v is None else f"{100 * v:.1f}"

    lines = ["| job | characters | contact error, model alone / after clean-up, max (cm) | closest bodies outside "
             "contacts / min_distance (cm) | collisions (pair-frames < 10 cm) | crowd path error mean / max (cm) | "
             "foot skating, mean / max over characters (%): with / without interactions | peak contact-joint speed "
             "(relative to the pelvis) coming in / going back: vs without interactions, m/s | the same / a minimum-jerk "
             "reach over the same distance and time (goal <= 1.3 x) | pelvis of the one who "
             "stays, moved during the contact, max (cm) | time (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in results.items():
        skate, free = np.array(r["skate"]) * 100, np.array(r["skate_free"]) * 100
        path = f"{cm(r['path_mean'])} / {cm(r['path_max'])}" if "path_mean" in r else "–"
        ratio = f"{r['peak_ratio']:.2f} x, {r['peak_speed']:.2f}" if "peak_ratio" in r else "–"
        jerk = f"{r['min_jerk_ratio']:.2f} x" if r.get("min_jerk_ratio") else "–"
        lines.append(f"| {name} | {r['characters']} | {cm(r['contact_model_max'])} / {cm(r['contact_max'])} | "
                     f"{cm(r['closest'])} / {cm(r['min_distance'])} | {r['collisions']} | {path} | "
                     f"{skate.mean():.1f} / {skate.max():.1f} : {free.mean():.1f} / {free.max():.1f} | {ratio} | "
                     f"{jerk} | {cm(r.get('stay_drift'))} | {r['time']:.2f} |")  # fmt: skip
    if real is not None:
        worst = {name: skate_against_real(r, real) for name, r in results.items()}
        lines += ["", f"Foot skating of the real test clips at the jobs' {results[JOBS[0]]['fps']:g} fps: all "
                  f"{100 * real['all']:.1f} %, walks {100 * real['walks']:.1f} %. Each character against the real "
                  "clips of its kind (crowd members: walks; the rest: all), largest per job (goal <= 1): "
                  + ", ".join(f"{n} {v:.2f}" for n, v in worst.items())]  # fmt: skip
    single = speeds["single"]
    lines += ["", "| speed (10 s, models loaded, median) | seconds | x one plain 10 s generation (same run) | goal |",
              "|---|---|---|---|", f"| one character, plain `engine.generate` (reference) | {single:.2f} | 1 | |",
              f"| two characters (handshake) | {speeds['two']:.2f} | {speeds['two'] / single:.1f} | "
              f"<= {TWO_GOAL_S:g} s |"]  # fmt: skip
    for key in sorted((k for k in speeds if k.startswith("crowd")), key=lambda k: int(k[5:])):
        n = int(key[5:])
        goal = f"<= {CROWD_GOAL_S:g}" if n == 20 else "linear:"
        lines.append(
            f"| crowd of {n} | {speeds[key]:.2f} ({speeds[key] / n:.3f} per person) | "
            f"{speeds[key] / single:.1f} | {goal} s |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="real clips for the skating reference")
    ap.add_argument("--quick", action="store_true", help="one run per timing, crowds of 5 and 10 only")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args(argv)
    results = {name: measure_job(load_job(name), args.model_dir, args.threads) for name in JOBS}
    speeds = speed(args.model_dir, args.threads, 1 if args.quick else 3, (5, 10) if args.quick else (5, 10, 20))
    corpus = args.corpus / "test.npz"
    real = real_skating(load_split(args.corpus, "test"), results[JOBS[0]]["fps"]) if corpus.exists() else None
    print(report(results, speeds, real))
    if args.json:
        args.json.write_text(json.dumps({"jobs": results, "speed": speeds, "real_skating": real}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


@register("characters", quick=False)
def run(ctx: Context) -> SuiteResult:
    """The same measurements inside `python -m engine.eval.bench` (one timing run each, 2 threads)."""
    results = {name: measure_job(load_job(name), ctx.model_dir, 2) for name in JOBS}
    speeds = speed(ctx.model_dir, 2, runs=1)
    cols = list(results)
    pick = {
        "contact error after clean-up, max (cm)": ("contact_max", 100.0),
        "contact error from sampling alone, max (cm)": ("contact_model_max", 100.0),
        "closest bodies outside contacts (cm)": ("closest", 100.0),
        "apart min_distance asked (cm)": ("min_distance", 100.0),
        "collisions (pair-frames closer than 10 cm)": ("collisions", 1.0),
        "peak contact-joint speed near contacts / without interactions (no goal)": ("peak_ratio", 1.0),
        "peak contact-joint speed coming in / going back / a minimum-jerk reach": ("min_jerk_ratio", 1.0),
        "crowd path error, max (cm)": ("path_max", 100.0),
        "pelvis of the one who stays, moved during the contact (cm)": ("stay_drift", 100.0),
    }
    rows = [Row(label, {c: None if results[c].get(key) is None else scale * results[c][key] for c in cols})
            for label, (key, scale) in pick.items()]  # fmt: skip
    rows.append(Row("foot skating, mean over characters (%)", {c: 100 * float(np.mean(results[c]["skate"]))
                                                                 for c in cols}))  # fmt: skip
    rows.append(Row("foot skating without interactions (%)", {c: 100 * float(np.mean(results[c]["skate_free"]))
                                                               for c in cols}))  # fmt: skip
    contact = max(r["contact_max"] for r in results.values() if r["contact_max"] is not None)
    apart_ok = all(r["closest"] is None or r["closest"] >= r["min_distance"] - 1e-3 for r in results.values())
    collisions = sum(r["collisions"] for r in results.values())
    ratio = max(r.get("min_jerk_ratio", 0.0) for r in results.values())
    real = real_skating(ctx.test, results[cols[0]]["fps"])
    skate = max(skate_against_real(r, real) for r in results.values())
    goals = [
        Goal("contact error after clean-up (cm)", 100 * contact, 100 * CONTACT_GOAL_M, contact <= CONTACT_GOAL_M,
             "<= 2 cm"),
        Goal("bodies outside contacts at least min_distance apart", float(apart_ok), 1.0, apart_ok, "all jobs"),
        Goal("crowd collisions", float(collisions), 0.0, collisions == 0, "== 0"),
        Goal("peak contact-joint speed coming in / going back / a minimum-jerk reach", ratio, SPEED_RATIO_GOAL,
             ratio <= SPEED_RATIO_GOAL, "<= 1.3 x"),
        Goal("each character's foot skating / real clips of its kind (crowd: walks)", skate, 1.0, skate <= 1.0,
             "<= 1 x real"),
        Goal("two characters, 10 s (s)", speeds["two"], TWO_GOAL_S, speeds["two"] <= TWO_GOAL_S, "<= 1 s"),
        Goal("crowd of 20, 10 s (s)", speeds["crowd20"], CROWD_GOAL_S, speeds["crowd20"] <= CROWD_GOAL_S, "<= 10 s"),
    ]  # fmt: skip
    notes = [f"speed (s, 10 s clips): one plain generation {speeds['single']:.2f}, two characters {speeds['two']:.2f}, "
             + ", ".join(f"crowd of {n} {speeds[f'crowd{n}']:.2f}" for n in (5, 10, 20)),
             f"real test clips' foot skating at the jobs' frame rate: all {100 * real['all']:.1f} %, walks "
             f"{100 * real['walks']:.1f} % (crowd members are held to the walks, the rest to all)",
             "jobs: examples/characters_*.json; command: python -m engine.eval.characters_suite"]  # fmt: skip
    return SuiteResult("Several characters", cols, rows, goals, notes)
