"""Build the training corpus: `python -m engine.training.prepare --data ../shared/data --out <cache>`.

Extracts the archives into the cache, converts every clip to the canonical
skeleton, cleans it (floor at z = 0, facing -Y at frame 0, broken frames
dropped and reported), resamples to MODEL_FPS, computes features and foot
contacts, and writes one .npz per split plus normalisation statistics and a
report. Train clips are also added mirrored (with mirrored labels).

Sources: the Bandai Namco datasets 1 and 2 (BVH) and the DeepMimic humanoid
clips (JSON, engine/training/deepmimic.py; style "normal"). Mirror copies
that DeepMimic ships (long/*_mirror, the mirrored sie/ pairs) are skipped and
reported: the train split gets its mirrors from the augmentation, and a
mirror in train must not leak a val/test clip.

MODEL_FPS is 20: the CPU training budget (DESIGN.md) buys about 23 M
token-passes in two hours; 20 fps keeps 10 s windows at 100 tokens (2 frames
per token) while still resolving a wave (about 2-3 Hz) and foot contacts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import time
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from .. import features as feat
from .. import quaternion as quat
from ..io.bvh import read_bvh
from ..motion import Motion
from ..skeleton import FOOT_INDICES, FOOT_JOINTS, FOOT_REST_HEIGHTS
from . import deepmimic
from .captions import mirror_content
from .source_rigs import BANDAI, to_canonical
from .splits import SPLIT_FILE, SPLITS, load_or_make_splits

MODEL_FPS = 20.0
MIN_FRAMES = 10  # at MODEL_FPS: half a second
MAX_ROOT_SPEED = 15.0  # m/s between frames: faster is a capture glitch
ARCHIVES = {
    "bandai-1": "bandai-namco/Bandai-Namco-Research-Motiondataset-1.tar.xz",
    "bandai-2": "bandai-namco/Bandai-Namco-Research-Motiondataset-2.tar.xz",
    "deepmimic": "deepmimic/deepmimic-motions.tar.xz",
}
#: licence of each source (the report lists them; the model inherits the strictest)
LICENCES = {"bandai-1": "CC BY-NC 4.0", "bandai-2": "CC BY-NC 4.0", "deepmimic": "MIT", "deepmimic-sie": "CC BY-NC 4.0"}


@dataclass
class Clip:
    clip_id: str
    source: str
    path: str
    content: str
    style: str


@dataclass
class Converted:
    clip: Clip
    features: np.ndarray | None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    rejected: str = ""


def extract(data_dir: Path, cache: Path, archives: tuple[str, ...] = tuple(ARCHIVES)) -> Path:
    """Unpack the archives once into cache/raw (a marker file records completion)."""
    raw = cache / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in archives:
        rel = ARCHIVES[name]
        marker = raw / f".{name}.done"
        if marker.exists():
            continue
        archive = data_dir / rel
        if not archive.exists():
            raise FileNotFoundError(f"{archive} is missing: point --data at the shared data folder")
        print(f"extracting {archive.name} ...", flush=True)
        with tarfile.open(archive) as tar:
            tar.extractall(raw, filter="data")
        marker.touch()
    return raw


def list_bandai(raw: Path, datasets: tuple[int, ...] = (1, 2)) -> list[Clip]:
    clips = []
    for n in datasets:
        root = raw / f"Bandai-Namco-Research-Motiondataset-{n}"
        contents = (root / "cfg" / "content_label.txt").read_text().split()
        styles = (root / "cfg" / "style_label.txt").read_text().split()
        prefix = f"dataset-{n}_"
        for bvh in sorted((root / "data").glob("*.bvh")):
            labels = json.loads(bvh.with_suffix(".json").read_text())
            content = contents[labels["content"]].removeprefix(prefix)
            style = styles[labels["style"]].removeprefix(prefix)
            clips.append(Clip(bvh.stem, f"bandai-{n}", str(bvh), content, style))
    return clips


def list_deepmimic(raw: Path) -> tuple[list[Clip], dict[str, str]]:
    """The DeepMimic clips, and the skipped mirror copies with the reason."""
    root = raw / "motions"
    clips, skipped = [], {}
    for folder, source in ((root, "deepmimic"), (root / "long", "deepmimic"), (root / "sie", "deepmimic-sie")):
        kept: list[tuple[Path, np.ndarray]] = []
        for path in sorted(folder.glob("*.txt")):
            rel = str(path.relative_to(root))
            if "mirror" in path.stem:
                skipped[rel] = "a mirrored copy (named so): the train split gets mirrors by augmentation"
                continue
            frames = deepmimic.read_frames(path)
            twin = next((p for p, f in kept if deepmimic.mirrors(f, frames)), None)
            if twin is not None:
                skipped[rel] = f"the mirror image of {twin.relative_to(root)}"
                continue
            kept.append((path, frames))
            clip_id, content = deepmimic.clip_name(path)
            clips.append(Clip(clip_id, source, str(path), content, "normal"))
    return clips, skipped


def load_canonical(clip: Clip) -> Motion:
    """Source file -> canonical Motion (at the source frame rate, or MODEL_FPS for DeepMimic's uneven frames)."""
    if clip.source.startswith("deepmimic"):
        return deepmimic.read_deepmimic(clip.path, MODEL_FPS)
    src = read_bvh(clip.path)
    pos, rot = src.forward_kinematics()
    return to_canonical(pos, rot, src.skeleton.names, BANDAI, src.fps)


def longest_valid_run(motion: Motion) -> tuple[slice, int]:
    """Frames without NaN/inf or teleporting root; returns the longest clean run and the dropped count."""
    finite = np.isfinite(motion.root_translation).all(-1) & np.isfinite(motion.rotations).all((-1, -2))
    jump = np.zeros(motion.num_frames, dtype=bool)
    speed = np.linalg.norm(np.diff(np.nan_to_num(motion.root_translation), axis=0), axis=-1) * motion.fps
    jump[1:] = speed > MAX_ROOT_SPEED
    good = finite & ~jump
    best, start = (0, 0), None
    for i, ok in enumerate(np.append(good, False)):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            best = max(best, (i - start, start))
            start = None
    length, first = best
    return slice(first, first + length), motion.num_frames - length


def normalise_placement(motion: Motion) -> Motion:
    """Floor at z = 0 under the planted feet, root at the origin and facing -Y at frame 0."""
    pos, rot = motion.forward_kinematics()
    rest = np.array([FOOT_REST_HEIGHTS[n] for n in FOOT_JOINTS])
    clearance = pos[:, list(FOOT_INDICES), 2] - rest  # height of each foot joint above its standing height
    floor = np.percentile(clearance.min(axis=1), 2)
    turn = quat.about_z(-feat.heading(rot[0, 0]))
    root = motion.root_translation - np.array([motion.root_translation[0, 0], motion.root_translation[0, 1], floor])
    rotations = motion.rotations.copy()
    rotations[:, 0] = quat.multiply(turn, rotations[:, 0])
    return Motion(fps=motion.fps, root_translation=quat.rotate(turn, root), rotations=rotations)


def convert(clip: Clip) -> Converted:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            motion = load_canonical(clip)
        except Exception as exc:  # a corrupt source file is reported, not fatal
            return Converted(clip, None, rejected=f"cannot read: {exc}")
    notes = [f"reader: {w.message}" for w in caught]
    run, dropped = longest_valid_run(motion)
    if dropped:
        notes.append(f"dropped {dropped} broken frame(s), kept frames {run.start}-{run.stop - 1}")
        motion = motion[run]
    motion = motion.resample(MODEL_FPS)
    if motion.num_frames < MIN_FRAMES:
        return Converted(clip, None, rejected=f"only {motion.num_frames} usable frames at {MODEL_FPS:g} fps")
    motion = normalise_placement(motion)
    return Converted(clip, feat.encode(motion), seconds=motion.duration, notes=notes)


def mirror_features(features: np.ndarray) -> np.ndarray:
    """Mirror a clip through decode -> Motion.mirrored -> encode (exact, contacts swapped)."""
    motion = feat.decode(features, MODEL_FPS)
    return feat.encode(motion.mirrored())


@dataclass
class Item:
    """One clip of a split, as written."""

    clip_id: str
    source: str
    content: str
    style: str
    mirrored: bool
    features: np.ndarray

    def mirror(self) -> Item:
        features = mirror_features(self.features)
        return Item(self.clip_id + "_mirror", self.source, mirror_content(self.content), self.style, True, features)


def write_split(path: Path, items: list[Item]) -> None:
    lengths = [len(i.features) for i in items]
    np.savez(
        path,
        features=np.concatenate([i.features for i in items] or [np.zeros((0, feat.FEATURE_DIM))]).astype(np.float32),
        starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        clip_ids=np.array([i.clip_id for i in items]),
        sources=np.array([i.source for i in items]),
        contents=np.array([i.content for i in items]),
        styles=np.array([i.style for i in items]),
        mirrored=np.array([i.mirrored for i in items]),
        fps=MODEL_FPS,
    )


def _minutes(items: list[Item]) -> float:
    return round(sum(len(i.features) - 1 for i in items) / MODEL_FPS / 60, 2)


def summarise(items: list[Item]) -> dict:
    """Clips, frames and minutes of a split, per source, content and style."""
    by_source: dict[str, list[Item]] = defaultdict(list)
    for i in items:
        by_source[i.source].append(i)
    return {
        "clips": len(items),
        "frames": int(sum(len(i.features) for i in items)),
        "minutes": _minutes(items),
        "per_source": {s: {"clips": len(v), "minutes": _minutes(v)} for s, v in sorted(by_source.items())},
        "per_content": dict(Counter(i.content for i in items)),
        "per_style": dict(Counter(i.style for i in items)),
    }


def list_clips(raw: Path, sources: tuple[str, ...]) -> tuple[list[Clip], dict[str, str]]:
    clips = list_bandai(raw, tuple(n for n in (1, 2) if f"bandai-{n}" in sources))
    skipped: dict[str, str] = {}
    if "deepmimic" in sources:
        more, skipped = list_deepmimic(raw)
        clips += more
    return clips, skipped


def prepare(data_dir: Path, out: Path, workers: int = 2, limit: int | None = None,
            sources: tuple[str, ...] = tuple(ARCHIVES), splits_file: Path = SPLIT_FILE) -> dict:  # fmt: skip
    """Build the corpus into `out`; clips new to `splits_file` are assigned and added to it."""
    t0 = time.time()
    raw = extract(data_dir, out, sources)
    clips, skipped = list_clips(raw, sources)
    if limit:
        clips = clips[:limit]
    splits = load_or_make_splits([(c.clip_id, c.source, c.content, c.style) for c in clips], splits_file)
    with Pool(workers) as pool:
        results = pool.map(convert, clips, chunksize=8)
    by_split: dict[str, list[Item]] = defaultdict(list)
    report = {"model_fps": MODEL_FPS, "sources": {s: LICENCES[s] for s in sorted({c.source for c in clips})},
              "rejected": {}, "skipped": skipped, "notes": {}, "splits": {}}  # fmt: skip
    for r in results:
        if r.notes:
            report["notes"][r.clip.clip_id] = r.notes
        if r.features is None:
            report["rejected"][r.clip.clip_id] = r.rejected
            continue
        c = r.clip
        by_split[splits[c.clip_id]].append(Item(c.clip_id, c.source, c.content, c.style, False, r.features))
    for split in SPLITS:
        items = by_split[split]
        summary = report["splits"][split] = summarise(items)
        if split == "train":
            items = items + [i.mirror() for i in items]
            summary["clips_with_mirrors"] = len(items)
        write_split(out / f"{split}.npz", items)
        if split == "train":
            train = np.concatenate([i.features for i in items])
            np.savez(out / "stats.npz", mean=train.mean(0), std=np.maximum(train.std(0), 0.01))
    report["seconds"] = round(time.time() - t0, 1)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return report


def print_report(report: dict) -> None:
    print("sources: " + ", ".join(f"{s} ({licence})" for s, licence in report["sources"].items()))
    for split, s in report["splits"].items():
        print(f"{split:5s}: {s['clips']:5d} clips, {s['frames']:7d} frames, {s['minutes']:6.1f} min")
        for source, v in s["per_source"].items():
            print(f"       {source:14s} {v['clips']:5d} clips, {v['minutes']:6.1f} min")
        print(f"       per content: {s['per_content']}")
        print(f"       per style:   {s['per_style']}")
    print(f"rejected clips: {len(report['rejected'])}")
    for cid, why in report["rejected"].items():
        print(f"  {cid}: {why}")
    print(f"skipped files: {len(report['skipped'])}")
    for name, why in report["skipped"].items():
        print(f"  {name}: {why}")
    print(f"clips with notes (dropped frames, reader warnings): {len(report['notes'])}")
    for cid, notes in report["notes"].items():
        print(f"  {cid}: {'; '.join(notes)}")
    print(f"done in {report['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path.home() / ".cache" / "motion_composer" / "corpus")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="only the first N clips (quick checks)")
    ap.add_argument("--sources", nargs="+", choices=list(ARCHIVES), default=list(ARCHIVES))
    ap.add_argument("--splits", type=Path, default=SPLIT_FILE, help="split file (new clips are added to it)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print_report(prepare(args.data, args.out, args.workers, args.limit, tuple(args.sources), args.splits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
