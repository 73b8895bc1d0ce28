"""Synthetic but physically plausible canonical motions: a turning walk and a wave.

Used by the retargeting tests and benchmark so they need no mocap files. The
feet are placed first (planted while in contact, heel lifting before
toe-off) and the legs reach them by analytic IK, so the contacts are exact
and any foot sliding after retargeting is the retargeter's fault.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..kinematics.filters import smoothstep
from ..motion import Motion
from ..skeleton import CANONICAL, FOOT_JOINTS, FOOT_REST_HEIGHTS, JOINT_NAMES, PARENTS

_J = {n: i for i, n in enumerate(JOINT_NAMES)}
_OFF = CANONICAL.offsets


def _rx(a):
    return quat.from_axis_angle(np.stack([a, np.zeros_like(a), np.zeros_like(a)], -1))


def _ry(a):
    return quat.from_axis_angle(np.stack([np.zeros_like(a), a, np.zeros_like(a)], -1))


def _rz(a):
    return quat.about_z(a)


def _leg_rotations(hip: np.ndarray, ankle: np.ndarray, forward: np.ndarray, side: str):
    """World rotations of hip and knee joints reaching `ankle`, knee bending towards `forward`."""
    l1 = np.linalg.norm(_OFF[_J[f"{side}_knee"]])
    l2 = np.linalg.norm(_OFF[_J[f"{side}_ankle"]])
    v = ankle - hip
    d = np.clip(np.linalg.norm(v, axis=-1), abs(l1 - l2) + 1e-6, (l1 + l2) * 0.999)
    u = v / np.linalg.norm(v, axis=-1, keepdims=True)
    a = (l1**2 - l2**2 + d**2) / (2 * d)
    h = np.sqrt(np.maximum(l1**2 - a**2, 0))
    pole = forward - np.sum(forward * u, -1, keepdims=True) * u
    pole /= np.linalg.norm(pole, axis=-1, keepdims=True)
    knee = hip + a[:, None] * u + h[:, None] * pole
    rest_fwd = np.array([0.0, -1.0, 0.0])

    def aim(rest_dir, direction):
        target = quat.from_frame(direction, forward - np.sum(forward * direction, -1, keepdims=True) * direction)
        rest = quat.from_frame(rest_dir / np.linalg.norm(rest_dir), rest_fwd)
        return quat.multiply(target, quat.conjugate(rest))

    w_hip = aim(_OFF[_J[f"{side}_knee"]], (knee - hip) / l1)
    w_knee = aim(_OFF[_J[f"{side}_ankle"]], (hip + d[:, None] * u - knee) / l2)
    return w_hip, w_knee


def _assemble(fps, pelvis_pos, world_given: dict, local_given: dict, contacts) -> Motion:
    """Locals from a mix of given world rotations (legs) and given local rotations (the rest)."""
    t = len(pelvis_pos)
    world = np.zeros((t, len(JOINT_NAMES), 4))
    local = np.zeros_like(world)
    for j, name in enumerate(JOINT_NAMES):
        p = PARENTS[j]
        if name in world_given:
            world[:, j] = world_given[name]
            local[:, j] = world[:, j] if p < 0 else quat.multiply(quat.conjugate(world[:, p]), world[:, j])
        else:
            local[:, j] = local_given.get(name, quat.identity((t,)))
            world[:, j] = local[:, j] if p < 0 else quat.multiply(world[:, p], local[:, j])
    return Motion(fps=fps, root_translation=pelvis_pos, rotations=quat.normalize(local), contacts=contacts)


def _hip_positions(pelvis_pos, pelvis_rot):
    return {s: pelvis_pos + quat.rotate(pelvis_rot, _OFF[_J[f"{s}_hip"]]) for s in ("left", "right")}


def walk(seconds: float = 3.3, fps: float = 30.0, cycle: float = 1.1, turn_deg_per_s: float = 15.0) -> Motion:
    """A walk along a gentle curve: arm swing, pelvis bob and twist, heel-off before toe-off."""
    n = int(round(seconds * fps)) + 1
    time = np.arange(n) / fps
    speed = 0.9
    heading = np.radians(turn_deg_per_s) * time
    fwd = np.stack([np.sin(heading), -np.cos(heading), np.zeros(n)], -1)  # R_z(heading) (0,-1,0)
    dt = 1.0 / fps
    xy = np.cumsum(speed * fwd * dt, axis=0) - speed * fwd[0] * dt
    phase = 2 * np.pi * time / cycle
    lateral = np.stack([np.cos(heading), np.sin(heading), np.zeros(n)], -1)  # character's left
    pelvis_pos = xy + 0.015 * np.sin(phase)[:, None] * lateral
    pelvis_pos[:, 2] = 0.865 + 0.012 * np.cos(2 * phase)
    twist = np.radians(5.0) * np.sin(phase)
    pelvis_rot = quat.multiply(_rz(heading + twist), _rx(np.full(n, np.radians(3.0))))

    foot_off = _OFF[_J["left_foot"]]
    ball_height = FOOT_REST_HEIGHTS["left_foot"]  # the data's standing ball height
    stance, heel_off = 0.62, 0.22  # fractions of the cycle; heel lifts in the last part of stance
    world, contacts = {}, np.zeros((n, 4))
    hips = _hip_positions(pelvis_pos, pelvis_rot)
    for side, shift in (("left", 0.0), ("right", 0.5)):
        # step k is planted around time (k + shift) * cycle, under the hip, facing the path
        ks = np.arange(-2, int(seconds / cycle) + 3)
        centres = (ks + shift) * cycle
        sign = 1.0 if side == "left" else -1.0
        spots, yaws = [], []
        for c in centres:
            i = np.clip(int(round(c * fps)), 0, n - 1)
            extra = (c - i / fps) * speed * fwd[i]
            spots.append(xy[i] + extra + sign * 0.09 * lateral[i] + 0.05 * fwd[i])
            yaws.append(heading[i] + np.clip((c * fps - i), -1, 1) * 0.0)
        spots, yaws = np.array(spots), np.array(yaws)
        local_t = time / cycle - shift + 0.5 * stance  # 0 at heel strike of step k
        k = np.floor(local_t).astype(int)
        s = local_t - k  # 0..1 within this foot's cycle, stance first
        cur = np.clip(k - ks[0], 0, len(ks) - 1)
        nxt = np.clip(cur + 1, 0, len(ks) - 1)
        in_stance = s < stance
        swing = np.clip((s - stance) / (1 - stance), 0, 1)
        e = smoothstep(swing)
        ball = np.where(in_stance[:, None], spots[cur], spots[cur] * (1 - e)[:, None] + spots[nxt] * e[:, None])
        ball[:, 2] = ball_height + np.where(in_stance, 0.0, 0.07 * np.sin(np.pi * swing))
        yaw = np.where(in_stance, yaws[cur], yaws[cur] * (1 - e) + yaws[nxt] * e)
        lift = np.clip((s - (stance - heel_off)) / heel_off, 0, 1)
        pitch = np.where(
            in_stance,
            np.radians(28.0) * smoothstep(lift),
            np.radians(28.0) * (1 - e) - np.radians(8) * np.sin(np.pi * swing),
        )
        foot_rot = quat.multiply(_rz(yaw), _rx(pitch))
        ankle = ball - quat.rotate(foot_rot, foot_off * np.array([sign, 1.0, 1.0]))
        foot_fwd = quat.rotate(_rz(yaw), np.array([0.0, -1.0, 0.0]))
        w_hip, w_knee = _leg_rotations(hips[side], ankle, foot_fwd, side)
        world[f"{side}_hip"], world[f"{side}_knee"], world[f"{side}_ankle"] = w_hip, w_knee, foot_rot
        heel_contact = in_stance & (lift <= 0.0)
        contacts[:, FOOT_JOINTS.index(f"{side}_ankle")] = heel_contact
        contacts[:, FOOT_JOINTS.index(f"{side}_foot")] = in_stance
    world["pelvis"] = pelvis_rot

    left_swing = np.sin(phase)  # left arm forward while the right leg is forward
    locals_ = {
        "spine1": _rz(-0.4 * twist),
        "spine2": _rz(-0.4 * twist),
        "spine3": quat.multiply(_rz(-0.5 * twist), _ry(np.radians(1.5) * np.sin(phase))),
        "neck": _rx(np.full(n, np.radians(-4.0))),
        "head": _rz(-0.2 * twist),
        "left_shoulder": quat.multiply(_rx(np.radians(-20.0) * left_swing), _ry(np.full(n, np.radians(75.0)))),
        "right_shoulder": quat.multiply(_rx(np.radians(20.0) * left_swing), _ry(np.full(n, np.radians(-75.0)))),
        "left_elbow": _rz(np.radians(-15.0) - np.radians(12.0) * np.maximum(left_swing, 0)),
        "right_elbow": _rz(np.radians(15.0) + np.radians(12.0) * np.maximum(-left_swing, 0)),
        "left_wrist": _rx(np.full(n, np.radians(10.0))),
        "right_wrist": _rx(np.full(n, np.radians(10.0))),
    }
    return _assemble(fps, pelvis_pos, world, locals_, contacts)


def wave(seconds: float = 3.0, fps: float = 30.0) -> Motion:
    """Standing, right hand raised and waving, body swaying over planted feet."""
    n = int(round(seconds * fps)) + 1
    time = np.arange(n) / fps
    sway = 0.025 * np.sin(2 * np.pi * 0.4 * time)
    pelvis_pos = np.stack([sway, np.zeros(n), 0.89 + 0.005 * np.cos(2 * np.pi * 0.8 * time)], -1)
    pelvis_rot = _rz(np.radians(4.0) * np.sin(2 * np.pi * 0.3 * time))
    hips = _hip_positions(pelvis_pos, pelvis_rot)
    foot_off = _OFF[_J["left_foot"]]
    world = {"pelvis": pelvis_rot}
    fwd = np.broadcast_to(np.array([0.0, -1.0, 0.0]), (n, 3))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        ball = np.array([sign * 0.11, -0.10, FOOT_REST_HEIGHTS["left_foot"]])
        foot_rot = _rz(np.full(n, sign * np.radians(-8.0)))
        ankle = ball - quat.rotate(foot_rot, foot_off * np.array([sign, 1.0, 1.0]))
        w_hip, w_knee = _leg_rotations(hips[side], ankle, fwd, side)
        world[f"{side}_hip"], world[f"{side}_knee"], world[f"{side}_ankle"] = w_hip, w_knee, foot_rot
    wave_angle = np.radians(85.0) + np.radians(30.0) * np.sin(2 * np.pi * 2.0 * time)
    raise_in = smoothstep(time / 0.6)
    locals_ = {
        "spine3": _ry(np.radians(-3.0) * raise_in),
        "head": _rz(np.radians(10.0) * np.sin(2 * np.pi * 0.3 * time)),
        "right_collar": _ry(np.radians(-10.0) * raise_in),
        "right_shoulder": quat.slerp(
            _ry(np.full(n, np.radians(-75.0))),
            quat.multiply(_rx(np.full(n, np.radians(-25.0))), _ry(np.full(n, np.radians(25.0)))),
            raise_in,
        ),
        "right_elbow": quat.slerp(_rz(np.full(n, np.radians(10.0))), _ry(wave_angle), raise_in),
        "right_wrist": _ry(np.radians(15.0) * np.sin(2 * np.pi * 2.0 * time + 0.5)),
        "left_shoulder": _ry(np.full(n, np.radians(72.0))),
        "left_elbow": _rz(np.full(n, np.radians(-12.0))),
    }
    return _assemble(fps, pelvis_pos, world, locals_, np.ones((n, 4)))
