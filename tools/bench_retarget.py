"""Benchmark: 300 frames retargeted onto a generated Rigify rig, keys written (goal <= 0.2 s).

    .venv/bin/python tools/bench_retarget.py [--frames 300] [--repeats 5]

Generates the rig from Rigify's human metarig (not timed), then times each
step of what the add-on does per result: read the armature, map the bones,
retarget (with foot lock), write the new Action with foreach_set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-bench-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy  # noqa: E402
import numpy as np  # noqa: E402

from addon import action_writer, rig_reader  # noqa: E402
from engine.eval.demo_motion import walk  # noqa: E402
from engine.retarget import auto_map, retarget  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module="rigify")
    bpy.ops.object.armature_human_metarig_add()
    bpy.ops.pose.rigify_generate()
    rig = bpy.data.objects["rig"]
    motion = walk(seconds=(args.frames - 1) / 30.0)
    assert motion.num_frames == args.frames

    steps: dict[str, list[float]] = {"read armature": [], "auto map": [], "retarget": [], "write action": []}
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        target = rig_reader.read_armature(rig)
        t1 = time.perf_counter()
        mapping = auto_map(target)
        t2 = time.perf_counter()
        result = retarget(motion, target, mapping)
        t3 = time.perf_counter()
        action = action_writer.write_action(
            rig, result.rotations, result.locations, frame_start=1, name="bench", bone_properties=result.properties
        )
        t4 = time.perf_counter()
        for key, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            steps[key].append(value)
        bpy.data.actions.remove(action)

    keys = sum(len(v) * v.shape[1] for v in result.rotations.values()) + sum(
        3 * len(v) for v in result.locations.values()
    )
    print(
        f"Rigify rig: {len(rig.data.bones)} bones, {len(result.rotations)} keyed bones, {args.frames} frames, {keys} keys"
    )
    total = 0.0
    for key, values in steps.items():
        med = float(np.median(values))
        total += med
        print(f"  {key:14s} {med * 1000:7.1f} ms (median of {len(values)})")
    print(f"  {'total':14s} {total * 1000:7.1f} ms  (goal <= 200 ms)")


if __name__ == "__main__":
    main()
