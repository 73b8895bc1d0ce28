"""`python -m engine.training.prepare --bvh DIR | --smpl DIR ...`: a corpus from your own captioned clips.

    --bvh DIR --captions captions.csv --out CORPUS [--mapping map.json] [--rest-frame 0] [--up Y]
    --smpl DIR --body-model MODELS --captions captions.csv --out CORPUS
    [--hold-out clip,clip,...] [--source-name NAME --licence TEXT --credit TEXT]

Captions: a CSV of (file, caption) rows, several rows per file allowed, or
without --captions a .txt beside each clip (one caption a line). Exit code 2
with a one-line error for bad input; skipped clips are listed in the report.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from ..errors import MotionComposerError
from . import bvh_library, smpl_source
from .library_captions import match_captions, read_caption_csv, sidecar_captions
from .own_corpus import Source, build_corpus, print_report

USAGE = (
    "own clips: --bvh DIR or --smpl DIR --body-model DIR, with --captions CSV (or a .txt per clip) and --out; "
    "see python -m engine.training.prepare --bvh X --help"
)


def wants_library(argv: list[str]) -> bool:
    return any(a.split("=")[0] in ("--bvh", "--smpl") for a in argv)


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m engine.training.prepare", description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--bvh", type=Path, help="folder of BVH files (searched recursively)")
    src.add_argument("--smpl", type=Path, help="folder of AMASS-style .npz files (poses, trans, betas, gender, ...)")
    ap.add_argument("--body-model", type=Path, help="folder with the SMPL-H / SMPL-X model files (for --smpl)")
    ap.add_argument("--captions", type=Path, help="CSV of file,caption rows (default: a .txt beside each clip)")
    ap.add_argument("--out", type=Path, required=True, help="corpus folder to write (replaced only when complete)")
    ap.add_argument("--mapping", type=Path, help="bone mapping JSON when the automatic mapping is not enough")
    ap.add_argument("--rest-frame", type=int, default=None,
                    help="frame holding the rest pose (e.g. 0 for files that start with a T-pose); it and the "
                         "frames before it are dropped; a file whose frame is no T- or A-pose stance takes the rest "
                         "pose of one of the same rig that has it. Default: the file's OFFSETs")  # fmt: skip
    ap.add_argument("--up", choices=("Y", "Z"), default="Y", help="up axis of the BVH files (default Y)")
    ap.add_argument("--hold-out", default="", help="comma-separated clip names kept out of training (test split)")
    ap.add_argument("--source-name", default="", help="name of the data source (default: the folder name)")
    ap.add_argument("--licence", default="unknown: state the licence of your data", help="licence of the data")
    ap.add_argument("--credit", default="", help="credit line the licence asks for")
    args = ap.parse_args(argv)
    if args.smpl and not args.body_model:
        ap.error("--smpl needs --body-model DIR (the folder with your SMPL-H / SMPL-X model files)")
    return args


def run(args: argparse.Namespace) -> None:
    folder = args.bvh or args.smpl
    if args.bvh:
        paths = bvh_library.list_bvh(folder)
        mapping = bvh_library.read_mapping_file(args.mapping) if args.mapping else None
        rests = None if args.rest_frame is None else bvh_library.LibraryRests(paths, mapping, args.rest_frame, args.up)
        load = functools.partial(bvh_library.read_library_clip, mapping=mapping, rest_frame=args.rest_frame,
                                 up=args.up, rests=rests)  # fmt: skip
    else:
        paths = smpl_source.list_motion_files(folder)
        load = functools.partial(smpl_source.read_amass, body_models=smpl_source.BodyModels(args.body_model))
    files = {bvh_library.clip_key(p, folder): p for p in paths}
    if args.captions:
        captions = match_captions(list(files), read_caption_csv(args.captions))
    else:
        captions = sidecar_captions(files)
    source = Source(args.source_name or folder.resolve().name, args.licence, args.credit)
    holdout = tuple(h.strip() for h in args.hold_out.split(",") if h.strip())
    report = build_corpus(files, load, captions, args.out, source, holdout)
    print_report(report, args.out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except MotionComposerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
