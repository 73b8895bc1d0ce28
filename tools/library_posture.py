"""Standing posture of mapped clips against the canonical corpus: does a library stand like the base data?

    python tools/library_posture.py --bvh LIBRARY --rest-frame 0 [--clips a,b] [--corpus ~/.cache/motion_composer/corpus]

For every clip, mapped to the canonical skeleton as `engine.training.prepare
--bvh` maps it: the pitch of each foot while it is flat on the floor (both
its contacts on; ankle to toe, degrees below horizontal: the canonical flat
foot is 39.6) and its ankle's local rotation, and on the frames with a flat
foot the spine's bend (sum of the angles between the
pelvis-spine1-spine2-spine3-neck segments) and the trunk's lean (pelvis to
neck against the vertical). Medians per clip and over the group; `--corpus`
adds the same numbers for real clips of a prepared corpus' train split (the
base data the model knows), `--content walk` only its clips of that content.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine import features as feat  # noqa: E402
from engine import quaternion as quat  # noqa: E402
from engine.eval.clips import load_split  # noqa: E402
from engine.skeleton import JOINT_NAMES  # noqa: E402
from engine.training.bvh_library import LibraryRests, list_bvh, read_library_clip  # noqa: E402
from engine.training.corpus_build import MODEL_FPS, normalise_placement  # noqa: E402

IX = {n: i for i, n in enumerate(JOINT_NAMES)}
SPINE = ("pelvis", "spine1", "spine2", "spine3", "neck")
COLUMNS = ("foot pitch", "ankle rot", "spine bend", "trunk lean")


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.degrees(np.arccos(np.clip((a * b).sum(-1), -1.0, 1.0)))


def posture(features: np.ndarray) -> dict[str, float] | None:
    """Median posture numbers while a foot is flat; None when no foot ever is."""
    motion = feat.decode(features, MODEL_FPS)
    if motion.contacts is None:
        return None
    pos, rot = motion.positions(), motion.rotations
    pitch, ankle, any_flat = [], [], np.zeros(len(pos), bool)
    for k, s in enumerate(("left", "right")):
        flat = (motion.contacts[:, 2 * k : 2 * k + 2] > 0.5).all(axis=1)  # contacts: ankle and toe of each foot
        any_flat |= flat
        v = pos[flat, IX[f"{s}_foot"]] - pos[flat, IX[f"{s}_ankle"]]
        pitch.append(np.degrees(np.arcsin(-v[:, 2] / np.linalg.norm(v, axis=-1))))
        ankle.append(np.degrees(quat.angle_between(rot[flat, IX[f"{s}_ankle"]], quat.identity((int(flat.sum()),)))))
    if not any_flat.any():
        return None
    p = pos[any_flat]
    segs = [p[:, IX[b]] - p[:, IX[a]] for a, b in zip(SPINE[:-1], SPINE[1:], strict=True)]
    bend = sum(_angle(segs[i], segs[i + 1]) for i in range(len(segs) - 1))
    lean = _angle(p[:, IX["neck"]] - p[:, IX["pelvis"]], np.array([0.0, 0.0, 1.0]))
    values = (np.concatenate(pitch), np.concatenate(ankle), bend, lean)
    return {c: float(np.median(v)) for c, v in zip(COLUMNS, values, strict=True)} | {"frames": int(any_flat.sum())}


def library_features(folder: Path, rest_frame: int | None, clips: set[str] | None) -> dict[str, np.ndarray]:
    out = {}
    paths = list_bvh(folder)
    rests = LibraryRests(paths, None, rest_frame) if rest_frame is not None else None
    for path in paths:
        if clips and path.stem not in clips:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            motion, _ = read_library_clip(path, rest_frame=rest_frame, rests=rests)
        out[path.stem] = feat.encode(normalise_placement(motion.resample(MODEL_FPS)))
    return out


def table(name: str, clips: dict[str, np.ndarray], per_clip: bool) -> None:
    rows = {k: r for k, f in clips.items() if (r := posture(f)) is not None}
    if per_clip:
        for k, r in rows.items():
            print(f"  {k:24s} " + " ".join(f"{r[c]:10.1f}" for c in COLUMNS) + f" {r['frames']:6d}")
    med = {c: np.median([r[c] for r in rows.values()]) for c in COLUMNS}
    print(
        f"{name:26s} " + " ".join(f"{med[c]:10.1f}" for c in COLUMNS) + f"  ({len(rows)} of {len(clips)} clips stand)"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bvh", type=Path, action="append", default=[], help="library folder (repeatable)")
    ap.add_argument("--rest-frame", type=int, default=None)
    ap.add_argument("--clips", default="", help="comma-separated clip names (default: all)")
    ap.add_argument("--corpus", type=Path, help="prepared corpus: its train clips as the reference")
    ap.add_argument("--corpus-clips", type=int, default=200, help="how many train clips of --corpus (seeded)")
    ap.add_argument("--content", default="", help="only --corpus clips of this content label (e.g. walk)")
    ap.add_argument("--per-clip", action="store_true")
    args = ap.parse_args(argv)
    print(
        f"{'median over clips':26s} " + " ".join(f"{c:>10s}" for c in COLUMNS) + "   (degrees; frames with a flat foot)"
    )
    if args.corpus:
        split = load_split(args.corpus, "train")
        if args.content:
            split = split.subset([i for i, c in enumerate(split.contents) if c == args.content])
        pick = np.random.default_rng(0).choice(len(split), size=min(args.corpus_clips, len(split)), replace=False)
        table(
            f"corpus {args.corpus.name} {args.content}".strip(),
            {split.clip_ids[i]: split.features[i] for i in pick},
            False,
        )
    clips = {c.strip() for c in args.clips.split(",") if c.strip()} or None
    for folder in args.bvh:
        table(f"library {folder.name}", library_features(folder, args.rest_frame, clips), args.per_clip)
    return 0


if __name__ == "__main__":
    sys.exit(main())
