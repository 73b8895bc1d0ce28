"""Soak benchmark: does a long-running process stay flat? (issue #17)

    .venv/bin/python tools/soak.py generate [--count 1000] [--warmup 100] [--threads 2] [--json out.json]
    .venv/bin/python tools/soak.py operator [--cycles 100] [--json out.json]

- generate: `count` generations in one process with the shipped model,
  cycling through request kinds (one prompt, a joint target, two body-part
  tracks) with a new prompt and seed each time. Prints peak RSS after the
  warm-up and at the end, and their ratio (goal: growth <= 10 %).
- operator: `cycles` runs of the Blender Generate operator's modal logic
  (bpy module, background), each cancelled while the worker runs (every 10th
  runs to the end and its Action is removed). Prints Python threads, event
  timers the operator added but did not remove, and data blocks before and
  after (goal: no leaks).
Uses the real model when exported_models/ has it, else nothing to measure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPTS = ["a person walks forward", "a person waves the right hand", "a person runs", "an elderly person walks",
           "a person bows", "someone raises both hands", "a person jumps", "a person turns left"]  # fmt: skip


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def job_for(i: int) -> dict:
    """A different request each time: prompt, seed and kind vary."""
    text = f"{PROMPTS[i % len(PROMPTS)]} (take {i})"
    kind = i % 3
    if kind == 0:
        return {"text": text, "seconds": 4.0, "seed": i}
    if kind == 1:
        return {"text": text, "seconds": 4.0, "seed": i,
                "constraints": [{"type": "joint", "joint": "right_wrist", "time": 2.0, "position": [0.3, -0.2, 1.4]}]}  # fmt: skip
    return {"seconds": 4.0, "seed": i, "tracks": [
        {"text": text, "start": 0.0, "end": 4.0, "body_parts": ["legs", "torso"]},
        {"text": "a person waves the right hand", "start": 1.0, "end": 3.0, "body_parts": ["right_arm"]}]}  # fmt: skip


def soak_generate(count: int, warmup: int, threads: int) -> dict:
    from engine import generate
    from engine.request import GenerationRequest

    started = time.perf_counter()
    warm_peak = warm_current = None
    for i in range(count):
        generate(GenerationRequest.from_dict(job_for(i)), provider="cpu", threads=threads)
        if i + 1 == warmup:
            warm_peak, warm_current = peak_rss_mb(), current_rss_mb()
        if (i + 1) % 100 == 0:
            print(f"  {i + 1} generations: RSS {current_rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB", flush=True)
    end_peak, end_current = peak_rss_mb(), current_rss_mb()
    return {
        "generations": count, "warmup": warmup, "threads": threads,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_after_warmup_mb": round(warm_peak, 1), "peak_rss_end_mb": round(end_peak, 1),
        "rss_after_warmup_mb": round(warm_current, 1), "rss_end_mb": round(end_current, 1),
        "peak_growth_percent": round(100 * (end_peak / warm_peak - 1), 2),
    }  # fmt: skip


def soak_operator(cycles: int) -> dict:
    os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-soak-"))
    import bpy

    import addon
    from addon import job_operators, preferences
    from tools.bench_blender import ModalDriver, TimerEvent

    class Escape:
        type, value = "ESC", "PRESS"

    timers = {"added": 0, "removed": 0}

    class Driver(ModalDriver):
        """Counts the event timers the operator adds and removes (bpy cannot list them)."""

        def start(self, context):
            super().start(context)
            timers["added"] += 1

        def _stop(self, context):
            super()._stop(context)
            timers["removed"] += 1

    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    addon.register()
    preferences.runtime_options = lambda context=None: preferences.RuntimeOptions(provider="cpu", threads=2)
    context = bpy.context
    bpy.ops.motion_composer.add_canonical_armature()
    context.scene.motion_composer.prompt, context.scene.motion_composer.seconds = "a person walks forward", 10.0
    ModalDriver().run(context, tick=0.01)  # load the models once, outside the count
    for action in list(bpy.data.actions):
        bpy.data.actions.remove(action)

    def blocks() -> dict:
        return {name: len(getattr(bpy.data, name)) for name in ("actions", "objects", "armatures", "meshes", "texts",
                                                                "images", "node_groups", "collections", "scenes")}  # fmt: skip

    threads_before, blocks_before = threading.active_count(), blocks()
    cancelled = finished = 0
    started = time.perf_counter()
    for i in range(cycles):
        context.scene.motion_composer.seed = i
        op = Driver()
        if i % 10 == 9:
            status, _, _ = op.run(context, tick=0.01)
            finished += status == {"FINISHED"}
            for action in list(bpy.data.actions):
                bpy.data.actions.remove(action)
        else:
            op.start(context)
            time.sleep(0.01 * (i % 4))
            op.modal(context, TimerEvent())
            status = op.modal(context, Escape())
            op._job.wait(30)
            cancelled += status == {"CANCELLED"}
        if job_operators.running_job() is not None:
            raise RuntimeError(f"cycle {i}: a job is still registered as running")
    time.sleep(0.2)
    result = {
        "cycles": cycles, "cancelled": cancelled, "finished": finished,
        "seconds": round(time.perf_counter() - started, 1),
        "threads_before": threads_before, "threads_after": threading.active_count(),
        "timers_left": timers["added"] - timers["removed"], "blocks_before": blocks_before, "blocks_after": blocks(),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }  # fmt: skip
    addon.unregister()
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--count", type=int, default=1000)
    g.add_argument("--warmup", type=int, default=100)
    g.add_argument("--threads", type=int, default=2)
    g.add_argument("--json", type=Path)
    o = sub.add_parser("operator")
    o.add_argument("--cycles", type=int, default=100)
    o.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if not (ROOT / "exported_models" / "manifest.json").exists():
        print("soak: exported_models/ has no model; nothing to measure", file=sys.stderr)
        return 2
    if args.what == "generate":
        res = soak_generate(args.count, args.warmup, args.threads)
        print(f"{res['generations']} generations in {res['seconds']} s: peak RSS {res['peak_rss_after_warmup_mb']} MB "
              f"after {res['warmup']} (warm-up), {res['peak_rss_end_mb']} MB at the end: "
              f"{res['peak_growth_percent']:+.2f} % (goal <= 10 %); current RSS {res['rss_after_warmup_mb']} -> "
              f"{res['rss_end_mb']} MB")  # fmt: skip
        ok = res["peak_growth_percent"] <= 10
    else:
        res = soak_operator(args.cycles)
        print(f"{res['cycles']} generate/cancel cycles ({res['cancelled']} cancelled, {res['finished']} finished) in "
              f"{res['seconds']} s: Python threads {res['threads_before']} -> {res['threads_after']}, event timers "
              f"left {res['timers_left']}, data blocks {sum(res['blocks_before'].values())} -> "
              f"{sum(res['blocks_after'].values())} (by type in --json)")  # fmt: skip
        ok = (res["threads_after"] <= res["threads_before"] and res["timers_left"] == 0
              and res["blocks_after"] == res["blocks_before"])  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
