"""`python -m engine generate ...`: one-line errors, non-zero exit, never a partial or replaced output file.

Any failure prints one line (engine.failures: unexpected ones also write a log
file with the traceback and name it); an existing --out is replaced only with
--overwrite, a read-only one never.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import pipeline
from .batch.command import add_batch_parser, batch_command
from .characters.cast import is_cast
from .characters.command import generate_cast_command
from .constraints.conflicts import names
from .errors import RequestError
from .failures import run_guarded
from .io.json_input import read_json_file
from .io.motion_file import write_motion
from .io.output import check_output_path
from .io.referenced import ALLOW_FLAG
from .limits import clamp_threads
from .pipeline.post import METRE_RESIDUALS, MISSED_M
from .prompt_help import vocabulary_report
from .request import GenerationRequest
from .runtime import load_models

OUTPUT_SUFFIXES = (".bvh", ".npz")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m engine", description="Motion Composer engine")
    sub = ap.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="generate a motion from text or a job file")
    src = g.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="what the character does")
    src.add_argument("--job", type=Path, help="job file (JSON) with tracks and constraints")
    g.add_argument("--seconds", type=float, default=None, help="duration (default 6, or the job's)")
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--steps", type=int, default=None, help="sampling steps (default: the model's)")
    g.add_argument("--guidance", type=float, default=None, help="classifier-free guidance scale")
    g.add_argument("--fps", type=float, default=None, help="output frame rate (default 30)")
    g.add_argument("--provider", default="auto", help="auto, cpu or cuda")
    g.add_argument("--threads", type=int, default=None)
    g.add_argument("--model-dir", type=Path, default=None)
    g.add_argument("--out", type=Path, required=True,
                   help="output .bvh or .npz (SMPL-style); a folder for a job with characters")  # fmt: skip
    g.add_argument("--format", choices=("bvh", "npz"), default=None, help="file type per character (cast jobs)")
    g.add_argument("--overwrite", action="store_true", help="replace --out if it exists (never a read-only file)")
    g.add_argument(ALLOW_FLAG, action="store_true", help="let the job file name pose files outside its folder")
    v = sub.add_parser("vocabulary", help="list the actions and styles the model learned; check a prompt")
    v.add_argument("--check", metavar="PROMPT", help="say how familiar a prompt is and what is nearest")
    v.add_argument("--model-dir", type=Path, default=None)
    add_batch_parser(sub)
    return ap


def request_from_args(args):
    """One request from the job file (read within the limits) and the options that override its fields."""
    data = read_json_file(args.job, "job file") if args.job else {"text": args.text}
    if not isinstance(data, dict):
        raise RequestError(f"job file {args.job} must hold a JSON object with at least 'text' or 'tracks'")
    for key in ("seconds", "seed", "steps", "guidance", "fps"):
        value = getattr(args, key)
        if value is not None:
            data[key] = value
    return GenerationRequest.from_dict(data, base_dir=args.job.parent if args.job else None,
                                       allow_outside_paths=bool(args.job and args.allow_outside_paths))  # fmt: skip


def check_output(path: Path, overwrite: bool) -> None:
    """Before generating: a .bvh/.npz name that can be written without losing a file."""
    check_output_path(path, overwrite=overwrite, option="--out")
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise RequestError(f"--out {path}: use a .bvh or .npz file name")


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def generate_command(args) -> int:
    if args.job and _is_cast_job(args.job):
        return generate_cast_command(args)
    check_output(args.out, args.overwrite)
    request = request_from_args(args)
    threads, note = clamp_threads(args.threads)
    for warning in request.warnings + ([note] if note else []):
        warn(warning)
    shown = set(request.warnings)
    t0 = time.perf_counter()
    motion = pipeline.generate(request, model_dir=args.model_dir, provider=args.provider, threads=threads)
    elapsed = time.perf_counter() - t0
    for warning in request.warnings + motion.metadata.get("warnings", []):  # the engine adds prompt help
        if warning not in shown:
            shown.add(warning)
            warn(warning)
    for r in motion.metadata.get("constraints", []):  # best effort: say exactly what was missed, and why
        if r["max"] > MISSED_M and r["type"] in METRE_RESIDUALS:
            warned = any(names(line, r["label"]) for line in request.warnings)
            why = "see the warning about it above" if warned else "out of reach; the closest the body gets"
            warn(f"{r['label']}: missed by {100 * r['max']:.1f} cm ({why})")
    write_motion(motion, args.out, args.overwrite)
    print(f"wrote {args.out} ({motion.num_frames} frames at {motion.fps:g} fps, seed {request.seed}, "
          f"model {motion.metadata['model_version']}, {elapsed:.2f} s)")  # fmt: skip
    return 0


def _is_cast_job(path: Path) -> bool:
    return is_cast(read_json_file(path, "job file"))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"generate": generate_command, "vocabulary": vocabulary_command, "batch": batch_command}[args.command]
    return run_guarded(lambda: command(args))


def vocabulary_command(args) -> int:
    print(vocabulary_report(load_models(args.model_dir, "cpu"), args.check))
    return 0
