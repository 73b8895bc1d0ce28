"""Geometric training losses (as in MDM): joint positions by forward kinematics of the predicted rotations.

The runtime decodes a sample through its rotations (features.decode -> FK),
so rotations that disagree with the position channels show up as damped or
jittery joints. These losses compare FK positions, their velocities and the
planted feet of the prediction with the data, in the heading frame the
features use (pelvis on the vertical axis at its height).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .. import features as feat
from ..skeleton import CANONICAL, FOOT_INDICES, NUM_JOINTS

POSITION_SCALE = 0.1  # m: position errors are measured in units of 10 cm
VELOCITY_SCALE = 1.0  # m/s: velocity errors in units of 1 m/s


def rotation_6d_to_matrix(r: torch.Tensor) -> torch.Tensor:
    """(..., 6) -> (..., 3, 3): Gram-Schmidt on the two stored columns (as quaternion.from_6d)."""
    x = F.normalize(r[..., :3], dim=-1, eps=1e-8)
    y = r[..., 3:6] - (r[..., 3:6] * x).sum(-1, keepdim=True) * x
    y = F.normalize(y, dim=-1, eps=1e-8)
    return torch.stack([x, y, torch.linalg.cross(x, y, dim=-1)], dim=-1)


def heading_frame_positions(raw: torch.Tensor) -> torch.Tensor:
    """(B, T, F) raw features -> (B, T, J, 3) joint positions by FK; pelvis at (0, 0, root height).

    Equals the features' position channels (plus the pelvis) for real data.
    """
    b, t, _ = raw.shape
    local = rotation_6d_to_matrix(raw[..., feat.ROT_SLICE].reshape(b, t, NUM_JOINTS, 6))
    offsets = torch.as_tensor(CANONICAL.offsets, dtype=raw.dtype, device=raw.device)
    pelvis = torch.cat([torch.zeros_like(raw[..., :2]), raw[..., 3:4]], dim=-1)
    world, pos = [local[:, :, 0]], [pelvis]
    for j, p in enumerate(CANONICAL.parents[1:], start=1):
        world.append(world[p] @ local[:, :, j])
        pos.append(pos[p] + (world[p] @ offsets[j]))
    return torch.stack(pos, dim=2)


def feature_positions(raw: torch.Tensor) -> torch.Tensor:
    """(B, T, J, 3) the position channels of raw features, with the pelvis at (0, 0, root height)."""
    b, t, _ = raw.shape
    rel = raw[..., feat.POS_SLICE].reshape(b, t, NUM_JOINTS - 1, 3)
    pelvis = torch.cat([torch.zeros_like(raw[..., :2]), raw[..., 3:4]], dim=-1)
    return torch.cat([pelvis[:, :, None], rel], dim=2)


def geometric_losses(pred_raw: torch.Tensor, true_raw: torch.Tensor, valid: torch.Tensor,
                     fps: float) -> dict[str, torch.Tensor]:  # fmt: skip
    """{"pos", "vel", "foot"}: masked mean squared errors in scaled units.

    pos: FK joint positions vs the data's; vel: their frame-to-frame velocities
    vs the data's; foot: velocity of foot joints the data says are planted
    (heading-frame motion plus root velocity), which should be zero.
    """
    p, q = heading_frame_positions(pred_raw), heading_frame_positions(true_raw)
    w = valid[..., None, None]
    pos = ((p - q).pow(2) * w).sum() / (w.sum() * NUM_JOINTS * 3).clamp(min=1.0) / POSITION_SCALE**2
    vp, vq = (p[:, 1:] - p[:, :-1]) * fps, (q[:, 1:] - q[:, :-1]) * fps
    wv = (valid[:, 1:] * valid[:, :-1])[..., None, None]
    vel = ((vp - vq).pow(2) * wv).sum() / (wv.sum() * NUM_JOINTS * 3).clamp(min=1.0) / VELOCITY_SCALE**2
    return {"pos": pos, "vel": vel, "foot": planted_foot_speed(p, pred_raw, true_raw, valid, fps)}


def planted_foot_speed(positions: torch.Tensor, pred_raw: torch.Tensor, true_raw: torch.Tensor,
                       valid: torch.Tensor, fps: float) -> torch.Tensor:  # fmt: skip
    """Mean squared horizontal speed (m/s)^2 of the foot joints where the data has them planted."""
    feet = positions[:, :, list(FOOT_INDICES), :2]
    vel = (feet[:, 1:] - feet[:, :-1]) * fps + pred_raw[:, :-1, None, 1:3]
    contact = (true_raw[:, :-1, feat.CONTACT_SLICE] > 0.5).to(positions.dtype)
    w = contact * (valid[:, 1:, None] * valid[:, :-1, None])
    return (vel.pow(2).sum(-1) * w).sum() / w.sum().clamp(min=1.0)
