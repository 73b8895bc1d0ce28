"""Build a training corpus from a user's own clips (a BVH library or AMASS-style SMPL files) with captions.

Same layout as the base corpus (train.npz / test.npz / stats.npz /
report.json, 20 fps features), plus a `captions` array of free text per clip.
Each clip key is its own label (content = key, style = "custom"), so training
samples the clip's own captions. Held-out clips (`holdout`) go to test.npz
untouched; train clips are also added mirrored with left/right swapped in
their captions.

Nothing half-written is left behind: the corpus is built in a temporary
folder next to `out` and renamed into place at the end; a failure (a full
disk included) removes the temporary folder and leaves an existing corpus
as it was. Clips that cannot be used are skipped and listed with the reason;
so are captions naming files that do not exist and clips without captions.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MotionComposerError
from ..motion import Motion
from .corpus_build import MODEL_FPS, Clip, Item, finish, summarise, write_split
from .library_captions import CaptionMatch

STYLE = "custom"
REPORT = "report.json"


@dataclass
class Source:
    """Where the clips come from, for the report and the model card (credit and licence)."""

    name: str
    licence: str
    credit: str = ""


@dataclass
class LibraryReport:
    source: Source
    clips: int = 0
    rejected: dict[str, str] = field(default_factory=dict)
    uncaptioned: list[str] = field(default_factory=list)
    unknown_caption_files: list[str] = field(default_factory=list)
    presets: Counter = field(default_factory=Counter)
    notes: dict[str, list[str]] = field(default_factory=dict)
    splits: dict = field(default_factory=dict)
    captions: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "model_fps": MODEL_FPS,
            "sources": {self.source.name: self.source.licence},
            "credit": {self.source.name: self.source.credit},
            "clips_found": self.clips,
            "rejected": self.rejected,
            "uncaptioned": self.uncaptioned,
            "captions_for_missing_files": self.unknown_caption_files,
            "mapped_by": dict(self.presets),
            "notes": self.notes,
            "splits": self.splits,
            "distinct_captions": self.captions,
            "seconds": self.seconds,
        }


#: reads one clip file into canonical motion (any frame rate) and says what mapped it
Loader = Callable[[Path], tuple[Motion, str]]


def convert_clips(files: dict[str, Path], load: Loader, captions: CaptionMatch, report: LibraryReport) -> list[Item]:
    """Captioned clips as Items; everything skipped goes into the report with its reason."""
    items = []
    for key, path in files.items():
        if key not in captions.captions:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                motion, preset = load(path)
            except MotionComposerError as exc:
                report.rejected[key] = str(exc)
                continue
            except (OSError, ValueError, KeyError) as exc:
                report.rejected[key] = f"cannot read: {exc}"
                continue
        report.presets[preset] += 1
        clip = Clip(key, report.source.name, str(path), key, STYLE)
        done = finish(clip, motion, [f"reader: {w.message}" for w in caught])
        if done.notes:
            report.notes[key] = done.notes
        if done.features is None:
            report.rejected[key] = done.rejected
            continue
        items.append(Item(key, clip.source, key, STYLE, False, done.features, tuple(captions.captions[key])))
    return items


def build_corpus(files: dict[str, Path], load: Loader, captions: CaptionMatch, out: Path, source: Source,
                 holdout: tuple[str, ...] = ()) -> LibraryReport:  # fmt: skip
    """Convert, split, write to a temporary folder and move it to `out`; returns the report."""
    t0 = time.time()
    check_out(out)
    unknown_holdout = [h for h in holdout if h not in files]
    if unknown_holdout:
        raise MotionComposerError(f"--hold-out names clips that are not in the library: {', '.join(unknown_holdout)}")
    report = LibraryReport(source, clips=len(files), uncaptioned=captions.uncaptioned,
                           unknown_caption_files=captions.unknown_files)  # fmt: skip
    if not captions.captions:
        raise MotionComposerError(
            f"none of the {len(files)} clips has a caption ({describe_missing(captions)}); "
            "give --captions file.csv (file,caption rows) or a .txt beside each clip"
        )
    items = convert_clips(files, load, captions, report)
    train = [i for i in items if i.clip_id not in holdout]
    test = [i for i in items if i.clip_id in holdout]
    if not train:
        reasons = "; ".join(f"{k}: {v}" for k, v in list(report.rejected.items())[:3])
        raise MotionComposerError(f"no usable training clips in the library ({reasons or 'all held out'})")
    report.splits = {"train": summarise(train), "test": summarise(test)}
    report.splits["train"]["clips_with_mirrors"] = 2 * len(train)
    report.captions = len({c for i in train for c in i.captions})
    train = train + [i.mirror() for i in train]
    report.seconds = round(time.time() - t0, 1)
    with staging(out) as tmp:
        write_split(tmp / "train.npz", train)
        write_split(tmp / "test.npz", test)
        features = np.concatenate([i.features for i in train])
        np.savez(tmp / "stats.npz", mean=features.mean(0), std=np.maximum(features.std(0), 0.01))
        (tmp / REPORT).write_text(json.dumps(report.to_dict(), indent=1))
    return report


def describe_missing(captions: CaptionMatch) -> str:
    parts = []
    if captions.unknown_files:
        parts.append(f"captions name {len(captions.unknown_files)} files that are not there, e.g. "
                     f"{', '.join(captions.unknown_files[:3])}")  # fmt: skip
    if captions.uncaptioned:
        parts.append(f"clips without captions, e.g. {', '.join(captions.uncaptioned[:3])}")
    return "; ".join(parts) or "no captions given"


def check_out(out: Path) -> None:
    """`out` must be new, or a corpus this module wrote (then it is replaced at the end)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / REPORT).exists())):
        raise MotionComposerError(f"--out {out} exists and is not a corpus folder; give a new folder")


class staging:
    """Context manager: a temporary folder beside `out` that replaces `out` on success, vanishes on failure."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.tmp = self.out.parent / f".{self.out.name}.tmp-{os.getpid()}"

    def __enter__(self) -> Path:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()
        return self.tmp

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise MotionComposerError(
                    f"the disk holding {self.out.parent} is full; nothing was written to {self.out} "
                    "(free some space and run again)"
                ) from None
            return False
        old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        if self.out.exists():
            self.out.rename(old)
        self.tmp.rename(self.out)
        shutil.rmtree(old, ignore_errors=True)
        return False


def print_report(report: LibraryReport, out: Path) -> None:
    r = report.to_dict()
    print(f"source: {report.source.name} ({report.source.licence})")
    print(f"clips found: {report.clips}; mapped by: {dict(report.presets)}")
    for split, s in r["splits"].items():
        print(f"{split:5s}: {s['clips']:4d} clips, {s['frames']:6d} frames, {s['minutes']:5.1f} min")
    print(f"distinct training captions: {report.captions}")
    for title, names in (("clips without captions (skipped)", report.uncaptioned),
                         ("captions for files that do not exist", report.unknown_caption_files)):  # fmt: skip
        print(f"{title}: {len(names)}")
        for n in names:
            print(f"  {n}")
    print(f"skipped clips: {len(report.rejected)}")
    for key, why in report.rejected.items():
        print(f"  {key}: {why}")
    for key, notes in report.notes.items():
        print(f"  note {key}: {'; '.join(notes)}")
    print(f"wrote {out} in {report.seconds} s")
