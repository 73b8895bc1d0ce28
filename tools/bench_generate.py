"""Speed and memory of text-to-motion generation (the model issue's goals).

    .venv/bin/python tools/bench_generate.py [--threads 2] [--seconds 10] [--repeats 10]

Prints: the median time of a 10 s motion for a new prompt with the models
loaded (text encoding + sampling + decoding; goal <= 0.3 s on 2 threads),
the CLI from process start to written file (goal <= 3 s) and the CLI's peak
RSS (goal <= 500 MB). Runs in processes that never import torch, since
onnxruntime slows down after torch in the same process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = [
    "a person walks forward", "a person runs", "a person waves the right hand", "an elderly person walks slowly",
    "a person bows", "someone raises both hands", "a tired person walks and turns left", "a happy person dashes",
    "a person waves the left hand energetically", "a swaggering person walks backwards", "someone kicks",
    "a person raises the right hand",
]  # fmt: skip


def in_process(threads: int, seconds: float, repeats: int, model_dir: str | None) -> dict:
    sys.path.insert(0, str(ROOT))
    from engine import generate
    from engine.request import GenerationRequest
    from engine.runtime import load_models

    t0 = time.perf_counter()
    load_models(model_dir, "cpu", threads)
    load_s = time.perf_counter() - t0
    times = []
    for i in range(repeats):
        prompt = f"{PROMPTS[i % len(PROMPTS)]} (take {i})"  # a new prompt every time: no embedding cache hit
        t0 = time.perf_counter()
        generate(GenerationRequest.from_text(prompt, seconds, seed=i), model_dir=model_dir, provider="cpu",
                 threads=threads)  # fmt: skip
        times.append(time.perf_counter() - t0)
    return {"load_s": load_s, "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def cli(threads: int, seconds: float, repeats: int, model_dir: str | None) -> dict:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            out = Path(tmp) / f"m{i}.bvh"
            cmd = [sys.executable, "-m", "engine", "generate", "--text", PROMPTS[i % len(PROMPTS)], "--seconds",
                   str(seconds), "--seed", str(i), "--threads", str(threads), "--provider", "cpu", "--out", str(out)]  # fmt: skip
            if model_dir:
                cmd += ["--model-dir", model_dir]
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
            if not out.exists():
                raise RuntimeError("the CLI wrote no file")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"median_s": statistics.median(times), "peak_rss_mb": peak_kb / 1024}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    res = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "threads": args.threads,
        "seconds": args.seconds,
        "cli": cli(args.threads, args.seconds, 3, args.model_dir),
        "in_process": in_process(args.threads, args.seconds, args.repeats, args.model_dir),
    }
    ip, c = res["in_process"], res["cli"]
    print(
        f"{args.seconds:g} s motion, new prompt, models loaded: median {ip['median_s'] * 1000:.0f} ms "
        f"(min {ip['min_s'] * 1000:.0f}, max {ip['max_s'] * 1000:.0f}; goal <= 300 ms), model load {ip['load_s']:.2f} s"
    )
    print(f"CLI start to written file: median {c['median_s']:.2f} s (goal <= 3 s); peak RSS {c['peak_rss_mb']:.0f} MB "
          "(goal <= 500 MB)")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
