"""Random training windows and observation masks from a prepared split.

The masks teach the denoiser every kind of condition the runtime offers:
keyframes, inbetweening / extension (observed prefix and suffix), root paths,
joint positions and whole body parts.
"""

from __future__ import annotations

import numpy as np

from .. import features as feat
from ..observations import OBS_DIM, PATH_SLICE, joint_feature_columns, path_of_features
from ..skeleton import BODY_PARTS, JOINT_NAMES, NUM_JOINTS

PATH_COLS = np.arange(PATH_SLICE.start, PATH_SLICE.stop)
window_root_path = path_of_features  # (T, 4) path channels relative to the window's first frame
POS_COLS = np.arange(feat.POS_SLICE.start, feat.POS_SLICE.stop).reshape(NUM_JOINTS - 1, 3)


MASK_KINDS = {"keyframes": 0.25, "ends": 0.2, "path": 0.2, "joints": 0.2, "body_part": 0.15}


def sample_mask(rng: np.random.Generator, length: int) -> np.ndarray:
    """(T, OBS_DIM) 0/1 mask of observed values, drawn from the condition types (never empty)."""
    mask = np.zeros((length, OBS_DIM), dtype=np.float32)
    kind = rng.choice(list(MASK_KINDS), p=list(MASK_KINDS.values()))
    if kind == "keyframes":
        frames = rng.choice(length, size=min(length, rng.integers(1, 5)), replace=False)
        mask[frames] = 1.0
    elif kind == "ends":
        n = rng.integers(1, max(2, length // 3))
        which = rng.integers(0, 3)  # prefix, suffix or both
        if which in (0, 2):
            mask[:n] = 1.0
        if which in (1, 2):
            mask[length - n :] = 1.0
    elif kind == "path":
        frames = np.arange(length) if rng.random() < 0.5 else rng.choice(length, size=rng.integers(2, 8))
        mask[frames, PATH_COLS[0]] = 1.0
        mask[frames, PATH_COLS[1]] = 1.0
        if rng.random() < 0.5:
            mask[frames, PATH_COLS[2]] = 1.0
            mask[frames, PATH_COLS[3]] = 1.0
    elif kind == "joints":
        joints = rng.choice(np.arange(1, NUM_JOINTS), size=rng.integers(1, 4), replace=False)
        start = rng.integers(0, length)
        frames = np.arange(start, min(length, start + rng.integers(1, 20)))
        for j in joints:
            mask[np.ix_(frames, POS_COLS[j - 1])] = 1.0
        mask[np.ix_(frames, PATH_COLS[:2])] = 1.0
    elif kind == "body_part":
        part = rng.choice(list(BODY_PARTS))
        for name in BODY_PARTS[part]:
            mask[:, joint_feature_columns(JOINT_NAMES.index(name))] = 1.0
        if part == "legs":
            mask[:, :4] = 1.0
    return mask
