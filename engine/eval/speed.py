"""Generation speed and peak memory, measured in a fresh child process that imports only the runtime.

A child process keeps the numbers honest: the benchmark's own data (the
training split, evaluator sessions) would inflate the memory figure, and
torch in the same process slows onnxruntime down.
`python -m engine.eval.speed --model-dir exported_models` prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from ..pipeline import generate
from ..request import GenerationRequest
from ..runtime import load_models
from .suites import Context, Goal, Row, SuiteResult, register

SECONDS = 10.0
TARGET_MS = 300.0  # DESIGN.md: a 10 s motion in 0.3 s on the 2-core laptop-class CPU


def measure(model_dir: str | None, steps: int | None, repeats: int) -> dict:

    t0 = time.perf_counter()
    models = load_models(model_dir)
    load_s = time.perf_counter() - t0
    generate(
        GenerationRequest.from_text("a person walks forward", SECONDS, seed=0, steps=steps, fps=20), model_dir=model_dir
    )
    times = []
    for i in range(repeats):
        req = GenerationRequest.from_text("a person waves the right hand", SECONDS, seed=i + 1, steps=steps, fps=20)
        t = time.perf_counter()
        generate(req, model_dir=model_dir)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "steps": steps or models.manifest.default_steps,
        "ms_median": round(times[len(times) // 2], 1),
        "ms_min": round(times[0], 1),
        "repeats": repeats,
        "load_s": round(load_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch_imported": "torch" in sys.modules,
        "model_version": models.version,
    }


def in_child(model_dir, steps: int | None, repeats: int) -> dict:
    cmd = [sys.executable, "-m", "engine.eval.speed", "--repeats", str(repeats)]
    if model_dir:
        cmd += ["--model-dir", str(model_dir)]
    if steps:
        cmd += ["--steps", str(steps)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"speed measurement failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@register("speed")
def run(ctx: Context) -> SuiteResult:
    repeats = 3 if ctx.quick else 7
    default = in_child(ctx.model_dir, None, repeats)
    fifty = in_child(ctx.model_dir, 50, repeats)
    cols = [f"default ({default['steps']} steps)", "50 steps"]
    rows = [
        Row(
            f"ms per {SECONDS:g} s motion (median of {repeats})",
            {cols[0]: default["ms_median"], cols[1]: fifty["ms_median"]},
            "ms",
            0,
        ),
        Row(
            "peak resident memory of the process",
            {cols[0]: default["peak_rss_mb"], cols[1]: fifty["peak_rss_mb"]},
            "MB",
            0,
        ),
        Row("model load time", {cols[0]: default["load_s"], cols[1]: fifty["load_s"]}, "s", 2),
    ]
    goals = [Goal(f"generator (default): a {SECONDS:g} s motion in {TARGET_MS / 1000:g} s", default["ms_median"], TARGET_MS,
                  default["ms_median"] <= TARGET_MS, "<= ms")]  # fmt: skip
    notes = [f"Measured in a fresh child process (`python -m engine.eval.speed`) that never imports torch "
             f"(torch imported: {default['torch_imported']}); one warm-up generation first; 20 fps, "
             "onnxruntime on the CPU with its default threads; classifier-free guidance batch of 2."]  # fmt: skip
    return SuiteResult("Speed and memory (generation)", cols, rows, goals, notes)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.model_dir, args.steps, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
