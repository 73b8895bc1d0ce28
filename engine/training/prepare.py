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

Your own clips: `--bvh DIR --captions captions.csv` (any humanoid BVH
skeleton) or `--smpl DIR --body-model DIR` (AMASS-style SMPL-H / SMPL-X
files through the smplx body model) build a corpus of free-text captioned
clips instead (engine/training/library_cli.py).

Clean-up, resampling and the split files are shared (engine/training/corpus_build.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import time
import warnings
from collections import defaultdict
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from ..io.bvh import read_bvh
from ..motion import Motion
from . import deepmimic, library_cli
from .corpus_build import KNOWN_CREDITS, MODEL_FPS, Clip, Converted, Item, finish, summarise, write_split
from .source_rigs import BANDAI, to_canonical
from .splits import SPLIT_FILE, SPLITS, load_or_make_splits

ARCHIVES = {
    "bandai-1": "bandai-namco/Bandai-Namco-Research-Motiondataset-1.tar.xz",
    "bandai-2": "bandai-namco/Bandai-Namco-Research-Motiondataset-2.tar.xz",
    "deepmimic": "deepmimic/deepmimic-motions.tar.xz",
}
#: licence of each source (the report lists them; the model inherits the strictest)
LICENCES = {"bandai-1": "CC BY-NC 4.0", "bandai-2": "CC BY-NC 4.0", "deepmimic": "MIT", "deepmimic-sie": "CC BY-NC 4.0"}


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


def convert(clip: Clip) -> Converted:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            motion = load_canonical(clip)
        except Exception as exc:  # a corrupt source file is reported, not fatal
            return Converted(clip, None, rejected=f"cannot read: {exc}")
    return finish(clip, motion, [f"reader: {w.message}" for w in caught])


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
              "credit": {s: KNOWN_CREDITS[s] for s in sorted({c.source for c in clips})},
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
    argv = sys.argv[1:] if argv is None else argv
    if library_cli.wants_library(argv):
        return library_cli.main(argv)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=library_cli.USAGE)
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
