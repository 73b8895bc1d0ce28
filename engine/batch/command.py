"""`python -m engine batch`: the command line of batch generation (engine/cli.py registers it).

Order matters for bad input: the jobs are read and checked, the output
folder probed and Ray reached before anything is written, so a typo in an
address or a read-only disk costs seconds and leaves nothing behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import OutputError, RequestError
from ..io.referenced import ALLOW_FLAG
from ..limits import clamp_threads
from .jobs import read_jobs
from .output import check_output_folder
from .pool_local import LocalPool
from .pool_ray import RayPool
from .run import SUMMARY, existing_outputs, run_batch
from .work import WRITERS, BlenderSettings, Settings

EXIT_FAILED_JOBS, EXIT_INTERRUPTED = 1, 130


def add_batch_parser(sub) -> None:
    b = sub.add_parser("batch", help="generate many jobs on local worker processes or a Ray cluster",
                       description="Generate a folder of *.json jobs (or a .jsonl file, one job per line) into one "
                                   "output per job, plus summary.json and a review page index.html.")  # fmt: skip
    b.add_argument("--jobs", type=Path, required=True, help="folder of *.json job files, or a .jsonl file")
    b.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    b.add_argument("--format", default="bvh", help="output format(s), comma-separated: bvh, npz (default bvh)")
    b.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes or Ray actors (default: cores / threads, or the cluster's CPUs)",
    )
    b.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (default 1); outputs are byte-identical for the same thread count",
    )
    b.add_argument("--skip-existing", action="store_true", help="skip jobs whose outputs exist (resume a batch)")
    b.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    b.add_argument(
        "--ray",
        metavar="auto|local|ADDRESS",
        default=None,
        help="run on Ray: auto (the running cluster), local (a private one on this machine) or HOST:PORT",
    )
    b.add_argument(ALLOW_FLAG, action="store_true", help="let job files name pose files outside their folder")
    b.add_argument("--provider", default="auto", help="auto, cpu or cuda")
    b.add_argument("--model-dir", type=Path, default=None)
    b.add_argument("--blender", action="store_true", help="write .blend (+ .bvh) per job through the bpy module")
    b.add_argument("--scene", type=Path, default=None, help="--blender: .blend to start each job from")
    b.add_argument("--armature", default=None, help="--blender: armature object to animate")
    b.add_argument("--fbx", action="store_true", help="--blender: also export FBX")


def settings_from_args(args) -> Settings:
    formats = tuple(f.strip().lower() for f in args.format.split(",") if f.strip())
    unknown = [f for f in formats if f not in WRITERS]
    if not formats or unknown:
        raise RequestError(f"--format {args.format}: use {' or '.join(WRITERS)} (comma-separated for several)")
    if args.workers is not None and args.workers < 1:
        raise RequestError(f"--workers must be at least 1 (got {args.workers})")
    threads, note = clamp_threads(args.threads)
    if note:
        print(f"warning: {note}", file=sys.stderr)
    if args.overwrite and args.skip_existing:
        raise RequestError("--overwrite and --skip-existing exclude each other; choose one")
    blender = None
    if args.blender:
        if args.scene is not None and not args.scene.is_file():
            raise RequestError(f"--scene {args.scene} does not exist")
        blender = BlenderSettings(str(args.scene.resolve()) if args.scene else None, args.armature, args.fbx)
    elif args.scene or args.armature or args.fbx:
        raise RequestError("--scene, --armature and --fbx need --blender")
    model_dir = str(args.model_dir.resolve()) if args.model_dir else None
    return Settings(formats, model_dir, args.provider, threads, blender)


def make_pool(args, settings: Settings):
    if args.ray is None:
        return LocalPool(args.workers or max(1, (os.cpu_count() or 1) // settings.threads), settings)
    pool = RayPool(args.ray, args.workers, settings)
    pool.connect()
    return pool


def batch_command(args) -> int:
    settings = settings_from_args(args)
    jobs, bad = read_jobs(args.jobs, allow_outside=args.allow_outside_paths)
    out = args.out
    if out.exists() and not args.skip_existing and not args.overwrite:
        taken = existing_outputs(out, jobs, settings)
        if taken:
            raise RequestError(f"--out {out} already has outputs for {len(taken)} job(s) (e.g. {taken[0].name}); "
                               "pass --skip-existing to resume or --overwrite to replace them")  # fmt: skip
    check_output_folder(out)
    for b in bad:
        print(f"error: {b.name} ({b.source}): {b.reason}", file=sys.stderr)
    pool = make_pool(args, settings)
    out.mkdir(parents=True, exist_ok=True)
    try:
        report = run_batch(jobs, bad, out, settings, pool, skip_existing=args.skip_existing, overwrite=args.overwrite)
    except KeyboardInterrupt:
        print("interrupted: finished outputs are kept; rerun with --skip-existing to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    for name, reason in report.failed:
        print(f"failed: {name}: {reason}", file=sys.stderr)
    print(f"{len(report.ok)} written, {len(report.skipped)} skipped, {len(report.failed)} failed, "
          f"{len(report.not_run)} not run; {report.jobs_per_minute():.1f} jobs/min; "
          f"see {out / SUMMARY} and {out / 'index.html'}")  # fmt: skip
    if report.stopped:
        raise OutputError(f"stopped: {report.stopped}; finished outputs are kept, rerun with --skip-existing")
    if report.interrupted:
        print("interrupted: finished outputs are kept; rerun with --skip-existing to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_FAILED_JOBS if report.failed else 0
