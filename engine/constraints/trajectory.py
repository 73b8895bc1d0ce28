"""Features <-> a world trajectory (yaw, root, height, body positions) for guidance.

Guidance must run every sampling step, so instead of FK through 22 joint
rotations it uses the feature layout's own redundancy: the integrated root
(yaw rate and heading-frame velocity) plus the pelvis-relative joint
positions give world joint positions with a cheap, exact gradient. The root
is edited as positions per frame (not velocities), which makes root
corrections well conditioned; `to_features` differentiates them back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import features as feat
from ..skeleton import NUM_JOINTS


def rotate_xy(x: np.ndarray, y: np.ndarray, angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = np.cos(angle), np.sin(angle)
    return c * x - s * y, s * x + c * y


@dataclass
class Trajectory:
    """World-frame decomposition of raw features at `fps` (window coordinates)."""

    yaw: np.ndarray  # (T,) radians, 0 = facing -Y
    root: np.ndarray  # (T, 2) pelvis ground position
    height: np.ndarray  # (T,) pelvis height
    rel: np.ndarray  # (T, J, 3) joint positions in the heading frame, pelvis at (0, 0, height)
    fps: float

    @classmethod
    def from_features(cls, f: np.ndarray, fps: float, start_xy=(0.0, 0.0), start_yaw: float = 0.0) -> Trajectory:
        f = np.asarray(f, dtype=np.float64)
        yaw = start_yaw + np.concatenate([[0.0], np.cumsum(f[:-1, 0])]) / fps
        wx, wy = rotate_xy(f[:, 1], f[:, 2], yaw)
        root = np.zeros((len(f), 2))
        root[0] = start_xy
        root[1:] = root[0] + np.cumsum(np.stack([wx, wy], -1)[:-1], axis=0) / fps
        rel = feat.joint_positions_from_features(f).astype(np.float64)
        return cls(yaw, root, f[:, 3].copy(), rel, fps)

    def copy(self) -> Trajectory:
        return Trajectory(self.yaw.copy(), self.root.copy(), self.height.copy(), self.rel.copy(), self.fps)

    def world(self) -> np.ndarray:
        """(T, J, 3) world joint positions."""
        x, y = rotate_xy(self.rel[..., 0], self.rel[..., 1], self.yaw[:, None])
        out = np.stack([x + self.root[:, :1], y + self.root[:, 1:], self.rel[..., 2]], axis=-1)
        out[:, 0, 2] = self.height
        return out

    def pullback(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Gradient (T,J,3) on world positions -> gradients on (rel, root, yaw, height)."""
        gx, gy = rotate_xy(g[..., 0], g[..., 1], -self.yaw[:, None])
        g_rel = np.stack([gx, gy, g[..., 2]], axis=-1)
        g_rel[:, 0] = 0.0
        g_root = g[..., :2].sum(axis=1)
        wx, wy = rotate_xy(self.rel[..., 0], self.rel[..., 1], self.yaw[:, None])
        g_yaw = (-g[..., 0] * wy + g[..., 1] * wx).sum(axis=1)
        return g_rel, g_root, g_yaw, g[:, 0, 2].copy()

    def to_features(self, template: np.ndarray) -> np.ndarray:
        """Raw features: `template` with root, yaw rate, height and positions replaced."""
        f = np.array(template, dtype=np.float64, copy=True)
        t = len(f)
        if t > 1:
            f[:-1, 0] = np.diff(self.yaw) * self.fps
            d = np.diff(self.root, axis=0) * self.fps
            vx, vy = rotate_xy(d[:, 0], d[:, 1], -self.yaw[:-1])
            f[:-1, 1], f[:-1, 2] = vx, vy
            f[-1, :3] = f[-2, :3]
        f[:, 3] = self.height
        f[:, feat.POS_SLICE] = self.rel[:, 1:].reshape(t, 3 * (NUM_JOINTS - 1))
        return f
