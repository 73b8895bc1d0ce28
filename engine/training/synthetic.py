"""A small synthetic training corpus (procedural walks and waves) for tests and benchmarks that need no mocap."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import features as feat
from ..eval import demo_motion
from .prepare import MODEL_FPS, Item, write_split


def write_synthetic_corpus(folder: Path, clips: int = 6, with_test: bool = False) -> Path:
    """train.npz and stats.npz in `folder`: `clips` walks (3-4.5 s, turning more each) and as many waves;
    `with_test` also writes the same clips as test.npz."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(clips):
        walk = demo_motion.walk(seconds=3.0 + 0.3 * i, fps=MODEL_FPS, turn_deg_per_s=5.0 * i)
        wave = demo_motion.wave(seconds=3.0, fps=MODEL_FPS)
        items.append(Item(f"walk_{i}", "synthetic", "walk", "normal", False, feat.encode(walk)))
        items.append(Item(f"wave_{i}", "synthetic", "wave-right-hand", "normal", False, feat.encode(wave)))
    write_split(folder / "train.npz", items)
    if with_test:
        write_split(folder / "test.npz", items)
    train = np.concatenate([i.features for i in items])
    np.savez(folder / "stats.npz", mean=train.mean(0), std=np.maximum(train.std(0), 0.01))
    return folder
