"""Scale-out throughput on this machine: batch jobs per minute and training steps per second.

    nice -n 5 .venv/bin/python tools/bench_scale.py [--jobs 12] [--seconds 4] [--train-steps 6 26]

Batch generation: `python -m engine batch` with 1 and 2 workers, as local
processes and as Ray actors on a private local Ray instance (`--ray local`).
Jobs per minute count from the moment every worker has its models loaded;
start-up (worker processes, Ray itself, actors) is printed separately. On a
shared machine wall-clock rates mostly measure the share of the CPU the run
got, so the CPU seconds each job and each training step cost are printed too:
they do not depend on other load and are what a cluster multiplies.
Training: `torchrun --nproc_per_node 1|2 -m engine.training.train` at the
full model size on a synthetic corpus (step speed does not depend on what
the clips show); steps/s is (S2 - S1) / (t(S2) - t(S1)) over two runs, so
start-up and export cancel out. The global batch is the same for 1 and 2
processes (each of 2 processes computes half of it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from engine.training.synthetic import write_synthetic_corpus  # noqa: E402

PROMPTS = ("a person walks forward", "a person waves the right hand", "a person jumps", "a person bows",
           "a person runs in a circle", "an elderly person walks slowly")  # fmt: skip


def write_jobs(folder: Path, count: int, seconds: float) -> Path:
    folder.mkdir(parents=True)
    for i in range(count):
        job = {"text": PROMPTS[i % len(PROMPTS)], "seconds": seconds, "seed": i}
        (folder / f"job{i:03d}.json").write_text(json.dumps(job))
    return folder


def batch_run(jobs: Path, out: Path, workers: int, ray: bool) -> dict:
    cmd = [sys.executable, "-m", "engine", "batch", "--jobs", str(jobs), "--out", str(out), "--workers", str(workers)]
    cmd += ["--ray", "local"] if ray else []
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"batch failed ({' '.join(cmd)}):\n{done.stderr[-2000:]}")
    summary = json.loads((out / "summary.json").read_text())
    cpu = [json.loads(p.read_text())["cpu_s"] for p in (out / "review").glob("*.json")]
    return {"wall_s": wall, "cpu_per_job_s": statistics.median(cpu), **summary}


def train_seconds(corpus: Path, work: Path, procs: int, steps: int, batch: int, threads: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of all processes) of one torchrun training run."""
    out, ckpt = work / f"model-{procs}-{steps}", work / f"ckpt-{procs}-{steps}"
    cmd = [str(Path(sys.executable).with_name("torchrun")), "--standalone", "--nproc_per_node", str(procs), "-m",
           "engine.training.train", "--fresh", "--corpus", str(corpus), "--out", str(out), "--checkpoints", str(ckpt),
           "--steps", str(steps), "--batch", str(batch), "--threads", str(threads)]  # fmt: skip
    t0, cpu0 = time.perf_counter(), children_cpu()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"training failed ({' '.join(cmd)}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0, children_cpu() - cpu0


def children_cpu() -> float:
    """User + system CPU seconds of finished child processes (and theirs: torchrun waits for its ranks)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=12, help="jobs per batch run")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of each job's motion")
    ap.add_argument("--train-steps", type=int, nargs=2, default=[6, 26], metavar=("S1", "S2"))
    ap.add_argument("--train-batch", type=int, default=16, help="global batch (windows per step)")
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--skip-train", action="store_true")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} at start (shared machine: numbers are noisy)")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        jobs = write_jobs(work / "jobs", args.jobs, args.seconds)
        print(f"\nbatch: {args.jobs} jobs of {args.seconds:g} s (default steps), 1 thread per worker")
        print(f"{'runner':<8}{'workers':>8}{'jobs/min':>10}{'CPU s/job':>11}{'start-up':>34}{'wall':>8}")
        for ray in [False] if args.skip_ray else [False, True]:
            for workers in (1, 2):
                r = batch_run(jobs, work / f"out-{'ray' if ray else 'local'}-{workers}", workers, ray)
                parts = ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in r["startup_s"].items())
                print(f"{'ray' if ray else 'local':<8}{workers:>8}{r['jobs_per_minute']:>10.1f}"
                      f"{r['cpu_per_job_s']:>11.2f}{parts:>34}{r['wall_s']:>7.1f}s")  # fmt: skip
        if args.skip_train:
            return 0
        corpus = write_synthetic_corpus(work / "corpus")
        s1, s2 = args.train_steps
        print(f"\ntraining: full-size model, global batch {args.train_batch}, steps {s1} and {s2} per setting")
        print(f"{'processes':>10}{'threads each':>14}{'steps/s':>10}{'windows/s':>11}{'CPU s/step':>12}")
        for procs, threads in ((1, 1), (1, 2), (2, 1)):
            (t1, c1), (t2, c2) = (train_seconds(corpus, work, procs, s, args.train_batch, threads) for s in (s1, s2))
            rate = (s2 - s1) / (t2 - t1)
            print(
                f"{procs:>10}{threads:>14}{rate:>10.2f}{rate * args.train_batch:>11.1f}{(c2 - c1) / (s2 - s1):>12.2f}"
            )
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
