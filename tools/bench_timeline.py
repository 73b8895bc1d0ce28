"""Timeline speed benchmark: `python tools/bench_timeline.py [--model-dir DIR] [--threads 2]`.

Prints the median wall time of a 3-track 10 s timeline, a 60 s and a 5 min
timeline (goals: 0.6 s, 3 s, 15 s on 2 threads; see long_timeline for their tracks), the peak RSS of the
process (goal for 5 min: 1 GB) and the root height range / largest heading
step of the long results (drift checks). Results go into docs/timeline.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import features as feat  # noqa: E402
from engine.pipeline import generate  # noqa: E402
from engine.request import GenerationRequest  # noqa: E402

ACTIONS = ["a person waves the right hand", "a person raises both hands", "a person bows",
           "a person raises the left hand", "a person waves both hands"]  # fmt: skip
LOCOMOTION = ["a person walks forward", "a person runs forward", "a person walks and turns left"]


def three_tracks(seconds: float = 10.0) -> dict:
    return {"seconds": seconds, "fps": 30, "seed": 0, "tracks": [
        {"text": "a person walks forward", "start": 0.0, "end": 6.0, "body_parts": ["legs", "torso"]},
        {"text": "a person waves the right hand", "start": 2.0, "end": 5.0, "body_parts": ["right_arm"]},
        {"text": "a person bows", "start": 6.0, "end": seconds}]}  # fmt: skip


def long_timeline(seconds: float) -> dict:
    """Locomotion on the legs in blocks, an upper-body action every few seconds, spread evenly.

    60 s: 10 s blocks and an action every 5 s (3 tracks per 10 s, as the short case). Longer
    timelines stretch both to stay within the 64-track limit of a request (5 min: 20 s blocks,
    an action every 6.1 s).
    """
    block = max(10.0, seconds / 15)
    legs = int(np.ceil(seconds / block))
    period = max(5.0, seconds / (64 - legs))
    tracks = []
    for i, start in enumerate(np.arange(0.0, seconds, block)):
        end = min(seconds, start + block)
        tracks.append({"text": LOCOMOTION[i % len(LOCOMOTION)], "start": start, "end": end, "body_parts": ["legs"]})
    for i, start in enumerate(np.arange(0.0, seconds - 1.0, period)):
        end = min(seconds, start + 4.0)
        tracks.append({"text": ACTIONS[i % len(ACTIONS)], "start": float(start), "end": float(end)})
    return {"seconds": seconds, "fps": 30, "seed": 0, "tracks": tracks}


CPU_TIMES: list[float] = []


def timed(job: dict, args) -> tuple[float, object]:
    """Wall seconds (and, in CPU_TIMES, process CPU seconds: what to compare on a busy machine)."""
    req = GenerationRequest.from_dict(job)
    t0, c0 = time.perf_counter(), time.process_time()
    motion = generate(req, model_dir=args.model_dir, provider=args.provider, threads=args.threads)
    CPU_TIMES.append(time.process_time() - c0)
    return time.perf_counter() - t0, motion


def cpu(n: int) -> str:
    """Median CPU seconds of the last n runs."""
    return f"{statistics.median(CPU_TIMES[-n:]):.2f} s CPU"


def drift(motion) -> str:
    """Root height range and the largest per-frame heading change of a result."""
    pos, rot = motion.forward_kinematics()
    z = motion.root_translation[:, 2]
    yaw = np.unwrap(feat.heading(rot[:, 0]))
    return f"root height {z.min():.2f}-{z.max():.2f} m, max heading step {np.abs(np.diff(yaw)).max():.3f} rad"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--provider", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    timed(three_tracks(), args)  # load models, warm up
    short = [timed(three_tracks(), args)[0] for _ in range(args.repeats)]
    print(f"3-track 10 s timeline: median {statistics.median(short):.3f} s over {args.repeats} "
          f"({cpu(args.repeats)}; goal <= 0.6 s)")  # fmt: skip
    minute = [timed(long_timeline(60.0), args) for _ in range(3)]
    print(f"60 s timeline: median {statistics.median(t for t, _ in minute):.2f} s over 3 ({cpu(3)}; goal <= 3 s); "
          f"{drift(minute[0][1])}")  # fmt: skip
    t5, motion5 = timed(long_timeline(300.0), args)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"5 min timeline: {t5:.2f} s ({cpu(1)}; goal <= 15 s); {drift(motion5)}")
    print(f"load average after the runs: {os.getloadavg()[0]:.1f} (timings need an otherwise idle machine)")
    print(f"peak RSS of this process: {rss:.0f} MB (goal <= 1024 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
