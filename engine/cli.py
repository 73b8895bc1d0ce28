"""`python -m engine generate ...`: one-line errors, non-zero exit, never a partial output file."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .errors import MotionComposerError, RequestError

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
    g.add_argument("--out", type=Path, required=True, help="output .bvh or .npz (SMPL-style)")
    return ap


def request_from_args(args):
    from .request import GenerationRequest

    if args.job:
        req = GenerationRequest.from_json_file(args.job)
        data = req.to_dict()
    else:
        data = {"text": args.text}
    for key in ("seconds", "seed", "steps", "guidance", "fps"):
        value = getattr(args, key)
        if value is not None:
            data[key] = value
    if args.job:
        data.pop("text", None)
        return GenerationRequest.from_dict(data, base_dir=args.job.parent)
    return GenerationRequest.from_dict(data)


def check_output(path: Path) -> None:
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise RequestError(f"--out {path}: use a .bvh or .npz file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise RequestError(f"--out {path}: folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise RequestError(f"--out {path}: folder {folder} is not writable")


def write_motion(motion, path: Path) -> None:
    """Write atomically in the requested format."""
    if path.suffix.lower() == ".bvh":
        from .io.bvh import write_bvh

        write_bvh(path, motion)
    else:
        from .io.smpl import write_smpl_npz

        write_smpl_npz(path, motion)


def generate_command(args) -> int:
    from .api import generate

    check_output(args.out)
    request = request_from_args(args)
    t0 = time.perf_counter()
    motion = generate(request, model_dir=args.model_dir, provider=args.provider, threads=args.threads)
    elapsed = time.perf_counter() - t0
    for warning in motion.metadata.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    write_motion(motion, args.out)
    print(f"wrote {args.out} ({motion.num_frames} frames at {motion.fps:g} fps, seed {request.seed}, "
          f"model {motion.metadata['model_version']}, {elapsed:.2f} s)")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return generate_command(args)
    except MotionComposerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130
