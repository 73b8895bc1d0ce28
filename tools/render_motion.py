"""Stick-figure strips of generated motions, to look at what the model does.

    python tools/render_motion.py --out docs/images --seconds 4 "a person walks forward" "a person bows"

Each prompt gives one PNG: a row of evenly spaced frames seen from the side
(the character's right), with the root path and foot contacts drawn, and the
ground line; plus a top view of the root and feet trails.

`--bvh FILE [--rest-frame 0]` draws a clip of your own library instead, mapped
to the canonical skeleton as `engine.training.prepare --bvh` maps it (its
first --seconds), to check a library before training on it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine import features as feat  # noqa: E402
from engine import generate  # noqa: E402
from engine.request import GenerationRequest  # noqa: E402
from engine.skeleton import BODY_PARTS, CANONICAL, FOOT_INDICES, JOINT_NAMES  # noqa: E402
from engine.training.bvh_library import LibraryRests, list_bvh, read_library_clip  # noqa: E402
from engine.training.corpus_build import MODEL_FPS, normalise_placement  # noqa: E402

COLORS = {"legs": "tab:blue", "torso": "k", "head": "k", "left_arm": "tab:red", "right_arm": "tab:green"}


def bone_colour(joint: int) -> str:
    name = JOINT_NAMES[joint]
    return next(COLORS[p] for p, names in BODY_PARTS.items() if name in names)


def render(motion, title: str, path: Path, panels: int = 8) -> None:
    pos = motion.positions()
    frames = np.linspace(0, motion.num_frames - 1, panels).round().astype(int)
    fig = plt.figure(figsize=(2.0 * panels, 5.2))
    for k, f in enumerate(frames):
        ax = fig.add_subplot(2, panels, k + 1)
        p = pos[f]
        for j, parent in enumerate(CANONICAL.parents):
            if parent >= 0:
                # side view: -Y (forward) to the right, Z up
                ax.plot([-p[parent, 1], -p[j, 1]], [p[parent, 2], p[j, 2]], color=bone_colour(j), lw=2)
        if motion.contacts is not None:
            for c, j in enumerate(FOOT_INDICES):
                if motion.contacts[f, c] > 0.5:
                    ax.plot(-p[j, 1], p[j, 2], "o", color="orange", ms=4)
        ax.axhline(0, color="grey", lw=0.8)
        cx = -p[0, 1]
        ax.set_xlim(cx - 0.8, cx + 0.8)
        ax.set_ylim(-0.05, 2.1)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{f / motion.fps:.1f} s", fontsize=8)
    ax = fig.add_subplot(2, 1, 2)
    ax.plot(pos[:, 0, 0], pos[:, 0, 1], "k-", lw=1, label="pelvis")
    for j in FOOT_INDICES[::2]:
        ax.plot(pos[:, j, 0], pos[:, j, 1], lw=0.8, label=JOINT_NAMES[j])
    wrist = [JOINT_NAMES.index("left_wrist"), JOINT_NAMES.index("right_wrist")]
    ax.set_title(f"top view (m); wrist heights max L {pos[:, wrist[0], 2].max():.2f} R {pos[:, wrist[1], 2].max():.2f}",
                 fontsize=8)  # fmt: skip
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=6, loc="upper right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=60)
    plt.close(fig)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40]


def library_clip(path: Path, rest_frame: int | None, seconds: float):
    """A BVH library clip as the corpus holds it: mapped, 20 fps, on the floor facing -Y, with foot contacts."""
    rests = None if rest_frame is None else LibraryRests(list_bvh(path.parent), None, rest_frame)
    motion, _ = read_library_clip(path, rest_frame=rest_frame, rests=rests)
    motion = normalise_placement(motion.resample(MODEL_FPS))
    return feat.decode(feat.encode(motion)[: max(2, int(seconds * MODEL_FPS))], MODEL_FPS)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("prompts", nargs="*")
    ap.add_argument("--bvh", type=Path, action="append", default=[], help="draw this library clip (repeatable)")
    ap.add_argument("--rest-frame", type=int, default=None, help="as for prepare --bvh")
    ap.add_argument("--out", type=Path, default=Path("docs/images"))
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for clip in args.bvh:
        path = args.out / f"{slug(clip.stem)}.png"
        render(library_clip(clip, args.rest_frame, args.seconds), f"{clip.name} as prepare --bvh maps it", path)
        print(path)
    for prompt in args.prompts:
        req = GenerationRequest.from_text(prompt, args.seconds, seed=args.seed)
        motion = generate(req, model_dir=args.model_dir)
        path = args.out / f"{slug(prompt)}.png"
        render(motion, f"{prompt!r} (seed {args.seed}, {motion.metadata['model_version']})", path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
