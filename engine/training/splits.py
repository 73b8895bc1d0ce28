"""Fixed train/val/test splits by clip, stratified by content x style.

The split file (clip ids only) is committed next to this module, so every
run, model and benchmark uses the same test clips. It is created once from a
fixed seed; later runs only read it.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

SPLITS = ("train", "val", "test")
SPLIT_FILE = Path(__file__).with_name("splits.json")
FRACTIONS = (0.8, 0.1, 0.1)
SEED = 20261124


def make_splits(items: list[tuple[str, str, str, str]], seed: int = SEED) -> dict[str, str]:
    """items: (clip_id, source, content, style). Each label group is split about 80/10/10.

    Groups of 1-2 clips go to train; a group of 3+ gives at least one clip to test
    when the rounding would otherwise give none.
    """
    groups: dict[tuple, list[str]] = defaultdict(list)
    for clip_id, source, content, style in items:
        groups[(source, content, style)].append(clip_id)
    rng = random.Random(seed)
    out = {}
    for key in sorted(groups):
        ids = sorted(groups[key])
        rng.shuffle(ids)
        n = len(ids)
        n_test = round(n * FRACTIONS[2]) if n >= 10 else (1 if n >= 3 else 0)
        n_val = round(n * FRACTIONS[1]) if n >= 10 else (1 if n >= 6 else 0)
        for i, clip_id in enumerate(ids):
            out[clip_id] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return out


def load_or_make_splits(items: list[tuple[str, str, str, str]], path: Path = SPLIT_FILE) -> dict[str, str]:
    """The committed assignment; clips it does not know are assigned by make_splits and added."""
    known: dict[str, str] = {}
    if path.exists():
        data = json.loads(path.read_text())
        known = {cid: split for split in SPLITS for cid in data[split]}
    new = [it for it in items if it[0] not in known]
    if new:
        known.update(make_splits(new))
        data = {split: sorted(cid for cid, s in known.items() if s == split) for split in SPLITS}
        path.write_text(json.dumps(data, indent=0) + "\n")
    return known
