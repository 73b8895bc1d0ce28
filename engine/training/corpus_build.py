"""Clips of any source on their way into a corpus: clean-up, resampling, placement, features, split files.

Shared by the base corpus (engine/training/prepare.py) and users' own
libraries (engine/training/own_corpus.py), so both produce the same layout.

MODEL_FPS is 20: the CPU training budget (DESIGN.md) buys about 23 M
token-passes in two hours; 20 fps keeps 10 s windows at 100 tokens (2 frames
per token) while still resolving a wave (about 2-3 Hz) and foot contacts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import features as feat
from .. import quaternion as quat
from ..motion import Motion
from ..skeleton import FOOT_INDICES, FOOT_JOINTS, FOOT_REST_HEIGHTS
from .captions import mirror_content
from .library_captions import CAPTION_SEPARATOR, mirror_caption

#: credit lines the base sources' licences ask for (reports and model cards carry them)
KNOWN_CREDITS = {
    "bandai-1": "Bandai Namco Research Inc.",
    "bandai-2": "Bandai Namco Research Inc.",
    "deepmimic": "DeepMimic authors (Peng et al.)",
    "deepmimic-sie": "Sony Interactive Entertainment",
}
MODEL_FPS = 20.0
MIN_FRAMES = 10  # at MODEL_FPS: half a second
MAX_ROOT_SPEED = 15.0  # m/s between frames: faster is a capture glitch


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


def finish(clip: Clip, motion: Motion, notes: list[str]) -> Converted:
    """Canonical motion at any rate -> features: broken frames dropped, resampled, placed, or rejected."""
    run, dropped = longest_valid_run(motion)
    if dropped:
        notes.append(f"dropped {dropped} broken frame(s), kept frames {run.start}-{run.stop - 1}")
        motion = motion[run]
    motion = motion.resample(MODEL_FPS)
    if motion.num_frames < MIN_FRAMES:
        return Converted(clip, None, rejected=f"too short: {motion.num_frames} usable frames at {MODEL_FPS:g} fps "
                                              f"(at least {MIN_FRAMES})")  # fmt: skip
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
    captions: tuple[str, ...] = ()  # free-text captions (own libraries); empty: captions from the labels

    def mirror(self) -> Item:
        features = mirror_features(self.features)
        if self.captions:  # own clips: each clip is its own label, and the mirror's captions swap sides
            content, captions = self.content + "_mirror", tuple(mirror_caption(c) for c in self.captions)
        else:
            content, captions = mirror_content(self.content), ()
        return Item(self.clip_id + "_mirror", self.source, content, self.style, True, features, captions)


def write_split(path: Path, items: list[Item]) -> None:
    lengths = [len(i.features) for i in items]
    extra = (
        {"captions": np.array([CAPTION_SEPARATOR.join(i.captions) for i in items])}
        if any(i.captions for i in items)
        else {}
    )
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
        **extra,
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
