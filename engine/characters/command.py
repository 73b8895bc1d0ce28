"""`python -m engine generate --job cast.json --out folder/ [--format npz]`: the CLI for a cast job."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..io.json_input import read_json_file
from ..limits import clamp_threads
from .cast import parse_cast
from .cast_pipeline import generate_cast
from .output import check_cast_output, write_cast

OVERRIDES = ("seconds", "seed", "steps", "guidance", "fps")


def generate_cast_command(args) -> int:
    data = dict(read_json_file(args.job, "job file"))
    for key in OVERRIDES:
        if getattr(args, key, None) is not None:
            data[key] = getattr(args, key)
    cast = parse_cast(data, base_dir=Path(args.job).parent,
                      allow_outside_paths=bool(getattr(args, "allow_outside_paths", False)))  # fmt: skip
    fmt = args.format or "bvh"
    check_cast_output(args.out, cast.names, fmt, args.overwrite)
    for warning in cast.all_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    t0 = time.perf_counter()
    threads, note = clamp_threads(args.threads)
    if note:
        print(f"warning: {note}", file=sys.stderr)
    motions = generate_cast(cast, model_dir=args.model_dir, provider=args.provider, threads=threads)
    elapsed = time.perf_counter() - t0
    written = write_cast(motions, args.out, fmt, args.overwrite)
    first = next(iter(motions.values()))
    print(f"wrote {len(motions)} characters to {args.out}/ ({first.num_frames} frames at {first.fps:g} fps, "
          f"model {first.metadata['model_version']}, {elapsed:.2f} s): {', '.join(p.name for p in written)}")  # fmt: skip
    for name, motion in motions.items():
        for row in motion.metadata["interactions"]:
            if row["characters"][0] == name:
                print(f"  {row['label']}: {_residual(row)}")
    return 0


def _residual(row: dict) -> str:
    if row["type"] == "apart":
        closest = row["closest"]
        shown = "not near" if closest is None else f"closest {100 * closest:.1f} cm"
        return f"{shown} (min {100 * row['min_distance']:.0f} cm), {row['frames_closer']} frames closer"
    if row["type"] == "stays":
        return f"moved {100 * row['max']:.1f} cm at most while the contact comes, holds and goes"
    unit, scale = ("deg", 57.2958) if row["type"] == "face" else ("cm", 100.0)
    return f"error mean {scale * row['mean']:.1f} {unit}, max {scale * row['max']:.1f} {unit} after clean-up"
