"""Per-frame model features: Motion <-> (T, FEATURE_DIM) arrays.

Shared by training (to build the corpus) and the runtime (to decode samples),
so the layout lives in exactly one place. Everything is expressed in the
character's heading frame, so a walk looks the same whichever way it faces:

    [0]      yaw rate (rad/s)
    [1:3]    root horizontal velocity in the heading frame (m/s)
    [3]      root (pelvis) height (m)
    [4:136]  6D local rotations of the 22 joints (pelvis without its heading)
    [136:199] positions of joints 1..21 relative to the pelvis' ground point,
              in the heading frame (m)
    [199:203] foot contacts (left ankle, left foot, right ankle, right foot),
              kinematics.contact's definition
"""

from __future__ import annotations

import numpy as np

from . import quaternion as quat
from .kinematics.contact import foot_contacts
from .motion import Motion
from .skeleton import CANONICAL, NUM_JOINTS

ROOT_SLICE = slice(0, 4)
YAW_RATE_COLUMN = 0  # the heading's turn rate (rad/s)
VELOCITY_COLUMNS = [1, 2]  # the root's horizontal velocity in the heading frame (m/s)
HEIGHT_COLUMN = 3  # the pelvis height (m)
ROT_SLICE = slice(4, 4 + 6 * NUM_JOINTS)
POS_SLICE = slice(ROT_SLICE.stop, ROT_SLICE.stop + 3 * (NUM_JOINTS - 1))
CONTACT_SLICE = slice(POS_SLICE.stop, POS_SLICE.stop + 4)
FEATURE_DIM = CONTACT_SLICE.stop

LATERAL = np.array([1.0, 0.0, 0.0])


def heading(pelvis_world_rotation: np.ndarray) -> np.ndarray:
    """Yaw (rad, about +Z, 0 = facing -Y) from the pelvis' left-right axis.

    The lateral axis stays horizontal when the body bends or lies down, so
    the heading is stable for crawls and rolls where the forward axis is not.
    """
    lat = quat.rotate(pelvis_world_rotation, np.broadcast_to(LATERAL, pelvis_world_rotation.shape[:-1] + (3,)))
    return np.arctan2(lat[..., 1], lat[..., 0])


def _unwrap_diff(angles: np.ndarray) -> np.ndarray:
    d = np.diff(angles)
    return (d + np.pi) % (2 * np.pi) - np.pi


def encode(motion: Motion) -> np.ndarray:
    """Motion on the canonical skeleton -> (T, FEATURE_DIM) float32."""
    if motion.skeleton.names != CANONICAL.names:
        raise ValueError("features need a motion on the canonical skeleton")
    t = motion.num_frames
    if t < 2:
        raise ValueError("a motion needs at least 2 frames to compute velocities")
    pos, rot = motion.forward_kinematics()
    yaw = heading(rot[:, 0])
    unyaw = quat.about_z(-yaw)
    root = motion.root_translation
    out = np.zeros((t, FEATURE_DIM))
    yaw_rate = _unwrap_diff(yaw) * motion.fps
    vel_world = np.diff(root, axis=0) * motion.fps
    vel_local = quat.rotate(unyaw[:-1], vel_world)
    out[:-1, 0] = yaw_rate
    out[:-1, 1:3] = vel_local[:, :2]
    out[-1, 0:3] = out[-2, 0:3]
    out[:, 3] = root[:, 2]
    local = motion.rotations.copy()
    local[:, 0] = quat.multiply(unyaw, rot[:, 0])
    out[:, ROT_SLICE] = quat.to_6d(local).reshape(t, -1)
    ground = root * np.array([1.0, 1.0, 0.0])
    rel = quat.rotate(unyaw[:, None], pos[:, 1:] - ground[:, None])
    out[:, POS_SLICE] = rel.reshape(t, -1)
    contacts = motion.contacts if motion.contacts is not None else foot_contacts(pos, motion.fps)
    out[:, CONTACT_SLICE] = contacts
    return out.astype(np.float32)


def decode(features: np.ndarray, fps: float, start_position=(0.0, 0.0), start_yaw: float = 0.0) -> Motion:
    """(T, FEATURE_DIM) -> Motion, integrating root velocity and yaw rate from a start pose."""
    f = np.asarray(features, dtype=np.float64)
    t = len(f)
    yaw = start_yaw + np.concatenate([[0.0], np.cumsum(f[:-1, 0]) / fps])
    vel_local = np.zeros((t, 3))
    vel_local[:, :2] = f[:, 1:3]
    vel_world = quat.rotate(quat.about_z(yaw), vel_local)
    root = np.zeros((t, 3))
    root[0, :2] = start_position
    root[1:, :2] = root[0, :2] + np.cumsum(vel_world[:-1, :2], axis=0) / fps
    root[:, 2] = f[:, 3]
    local = quat.from_6d(f[:, ROT_SLICE].reshape(t, NUM_JOINTS, 6))
    local[:, 0] = quat.multiply(quat.about_z(yaw), local[:, 0])
    contacts = np.clip(f[:, CONTACT_SLICE], 0.0, 1.0)
    return Motion(fps=fps, root_translation=root, rotations=quat.continuous(local), contacts=contacts)


def joint_positions_from_features(features: np.ndarray) -> np.ndarray:
    """(..., T, J, 3) pelvis-relative positions in the heading frame (the pelvis at (0, 0, height))."""
    f = np.asarray(features)
    rel = f[..., POS_SLICE].reshape(f.shape[:-1] + (NUM_JOINTS - 1, 3))
    pelvis = np.zeros(f.shape[:-1] + (1, 3), dtype=rel.dtype)
    pelvis[..., 0, 2] = f[..., 3]
    return np.concatenate([pelvis, rel], axis=-2)
