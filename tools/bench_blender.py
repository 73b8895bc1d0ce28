"""Benchmark the add-on's speed goals in Blender (bpy module, background).

    .venv/bin/python tools/bench_blender.py [--seconds 10] [--threads 2] [--repeats 5] [--json out.json]

- click to keys: the modal Generate operator (worker thread, 50 ms timer),
  driven by hand because background Blender has no event loop, from the
  click until the keys are in the scene; the first click of the process
  also loads the models (reported apart). Goal <= 1 s for 10 s on 2 threads.
- longest UI step: the longest the main thread spends in one operator call
  (prepare, a timer tick, writing the keys), wall clock and the main
  thread's own CPU time (what the tests check: it does not depend on load).
  Goal <= 100 ms.
- write keys: 300 frames x 22 bones into a new Action (foreach_set). Goal <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-bench-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy  # noqa: E402
import numpy as np  # noqa: E402

import addon  # noqa: E402
from addon import job_operators, preferences, results  # noqa: E402
from addon.generation import Channels  # noqa: E402


class TimerEvent:
    type, value = "TIMER", "NOTHING"


class ModalDriver(job_operators._GenerateBase):
    """The Generate operator's invoke/modal logic, driven by hand (background mode has no event loop)."""

    def __init__(self, requests_fn=None):
        self.reports = []
        self._requests_fn = requests_fn or (
            lambda context: job_operators.MOTION_COMPOSER_OT_generate._requests(None, context)
        )

    def _requests(self, context):
        return self._requests_fn(context)

    def report(self, kind, message):
        self.reports.append((kind, message))

    def start(self, context):
        self._prepare(context)
        job_operators._RUNNING["job"] = self._job.start()
        self._timer = context.window_manager.event_timer_add(job_operators.TIMER_SECONDS, window=context.window)

    def run(self, context, tick: float = job_operators.TIMER_SECONDS) -> tuple[set, float, float]:
        """Start, then deliver a timer event every `tick` s until the operator ends.

        Returns (status, longest step in wall seconds, longest step in main-thread CPU seconds): the
        CPU figure is what the operator itself costs the UI, unaffected by other processes on the machine.
        """
        wall, cpu = time.perf_counter(), time.thread_time()
        self.start(context)
        worst_wall, worst_cpu = time.perf_counter() - wall, time.thread_time() - cpu
        status = {"PASS_THROUGH"}
        while status == {"PASS_THROUGH"}:
            time.sleep(tick)
            wall, cpu = time.perf_counter(), time.thread_time()
            status = self.modal(context, TimerEvent())
            worst_wall = max(worst_wall, time.perf_counter() - wall)
            worst_cpu = max(worst_cpu, time.thread_time() - cpu)
        return status, worst_wall, worst_cpu


def click_to_keys(context, seconds: float) -> dict:
    """One Generate click on the scene's target: seconds until keys are in the scene, and the longest UI step."""
    context.scene.motion_composer.seconds = seconds
    before = set(bpy.data.actions)
    op = ModalDriver()
    t0 = time.perf_counter()
    status, worst, worst_cpu = op.run(context, tick=0.01)  # faster ticks than Blender's 50 ms: a precise end time
    elapsed = time.perf_counter() - t0
    if status != {"FINISHED"}:
        raise RuntimeError(f"generation failed: {op.reports}")
    (action,) = set(bpy.data.actions) - before
    return {"click_to_keys_s": elapsed, "longest_ui_step_s": worst, "longest_ui_step_cpu_s": worst_cpu,
            "action": action}  # fmt: skip


def write_keys(rig, frames: int, repeats: int) -> list[float]:
    rng = np.random.default_rng(0)
    q = rng.normal(size=(frames, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    channels = Channels({b.name: q for b in rig.pose.bones}, {"pelvis": rng.normal(size=(frames, 3))})
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        action = results.write_action(rig, channels, frame_start=1, name="bench", properties=None)
        times.append(time.perf_counter() - t0)
        bpy.data.actions.remove(action)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    addon.register()
    preferences.runtime_options = lambda context=None: preferences.RuntimeOptions(provider="cpu", threads=args.threads)
    context = bpy.context
    context.scene.render.fps, context.scene.render.fps_base = 30, 1.0
    bpy.ops.motion_composer.add_canonical_armature()
    rig = context.active_object
    context.scene.motion_composer.prompt = "a person walks forward"

    cold = click_to_keys(context, args.seconds)
    warm = [click_to_keys(context, args.seconds) for _ in range(args.repeats)]
    writes = write_keys(rig, 300, max(args.repeats, 10))
    out = {
        "seconds": args.seconds,
        "threads": args.threads,
        "first_click_to_keys_s": round(cold["click_to_keys_s"], 3),
        "click_to_keys_median_s": round(statistics.median(w["click_to_keys_s"] for w in warm), 3),
        "longest_ui_step_ms": round(1000 * max(w["longest_ui_step_s"] for w in [cold, *warm]), 1),
        "longest_ui_step_cpu_ms": round(1000 * max(w["longest_ui_step_cpu_s"] for w in [cold, *warm]), 1),
        "write_300x22_median_ms": round(1000 * statistics.median(writes), 1),
    }
    print(f"click to keys, {args.seconds:g} s motion, {args.threads} threads: first {out['first_click_to_keys_s']} s "
          f"(loads the models), then median {out['click_to_keys_median_s']} s over {args.repeats} (goal 1 s)")  # fmt: skip
    print(f"longest UI step: {out['longest_ui_step_ms']} ms wall, {out['longest_ui_step_cpu_ms']} ms main-thread CPU "
          "(goal 100 ms)")  # fmt: skip
    print(f"write 300 frames x 22 bones: median {out['write_300x22_median_ms']} ms (goal 50 ms)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    addon.unregister()


if __name__ == "__main__":
    main()
