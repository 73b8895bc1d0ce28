"""The observation channels: what the denoiser can be told about a window besides its text.

The network takes `obs` and `obs_mask`, both (T, OBS_DIM): the first
FEATURE_DIM columns are normalised model features (engine.features layout),
observed where the mask is 1; the last four are the root path, which the
features only hold as velocities:

    [PATH_X, PATH_Y]      pelvis ground position / ROOT_PATH_SCALE, relative to the
                          window's first frame, in that frame's heading (window coordinates)
    [PATH_SIN, PATH_COS]  sin and cos of the heading relative to the window's first frame

Training (training/windows.py, train.py), the timeline composer, constraint
guidance and edits all build observations through this module, so the
layout and the path encoding cannot drift apart.
"""

from __future__ import annotations

import numpy as np

from . import features as feat
from .skeleton import NUM_JOINTS

ROOT_PATH_SCALE = 3.0  # metres per unit in the path channels (keeps a 10 s walk's path near unit range)
PATH_X, PATH_Y, PATH_SIN, PATH_COS = range(feat.FEATURE_DIM, feat.FEATURE_DIM + 4)
PATH_SLICE = slice(PATH_X, PATH_COS + 1)
PATH_XY = [PATH_X, PATH_Y]
PATH_HEADING = [PATH_SIN, PATH_COS]
OBS_DIM = PATH_SLICE.stop


def encode_path(xy: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """(T, 4) path channels from window-coordinate ground positions (T, 2) and headings (T,) in radians."""
    xy = np.asarray(xy, dtype=np.float64)[..., :2] / ROOT_PATH_SCALE
    yaw = np.asarray(yaw, dtype=np.float64)
    return np.concatenate([xy, np.sin(yaw)[..., None], np.cos(yaw)[..., None]], axis=-1)


def path_of_features(raw: np.ndarray, fps: float) -> np.ndarray:
    """(T, 4) path channels of raw features, relative to their first frame (what training observes)."""
    motion = feat.decode(raw, fps)
    return encode_path(motion.root_translation, feat.heading(motion.rotations[:, 0])).astype(np.float32)


def joint_position_columns(joint: int) -> np.ndarray:
    """Feature columns of a non-root joint's pelvis-relative position (3,)."""
    if not 0 < joint < NUM_JOINTS:
        raise ValueError(f"joint {joint} has no position columns (the pelvis is the root path and height)")
    return np.arange(feat.POS_SLICE.start + 3 * (joint - 1), feat.POS_SLICE.start + 3 * joint)


def rotation_columns(joints) -> np.ndarray:
    """Feature columns of the joints' 6D local rotations, in the order given (6 per joint)."""
    first = feat.ROT_SLICE.start + 6 * np.asarray(joints, dtype=int).reshape(-1, 1)
    return (first + np.arange(6)).reshape(-1)


def joint_feature_columns(joint: int) -> np.ndarray:
    """Feature columns describing one joint: its 6D rotation and (for non-root joints) its position."""
    cols = rotation_columns([joint])
    return np.concatenate([cols, joint_position_columns(joint)]) if joint > 0 else cols


def contact_columns(side: str) -> np.ndarray:
    """Feature columns of one foot's contacts (ankle, ball)."""
    return feat.CONTACT_SLICE.start + (np.array([0, 1]) if side == "left" else np.array([2, 3]))


def empty(frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Nothing observed: obs and obs_mask (frames, OBS_DIM) of zeros."""
    return np.zeros((frames, OBS_DIM), np.float32), np.zeros((frames, OBS_DIM), np.float32)
