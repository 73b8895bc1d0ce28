"""Clean-up after sampling: put constrained joints exactly on target and plant the feet.

Works on a Motion at its own frame rate, in world coordinates, changing only
rotations and the root translation (bone lengths stay exact). Each fix is
exact on its frames and fades out over `blend` seconds around them so no
pop appears. `measure` reports the remaining error of every constraint.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import quaternion as quat
from ..features import heading
from ..kinematics import ik
from ..kinematics.contact import contact_runs, joint_contact
from ..kinematics.filters import fade, moving_average
from ..kinematics.fk import fk, path_fk
from ..motion import Motion
from ..skeleton import CANONICAL, FOOT_REST_HEIGHTS
from .programmable import ErrorTerm
from .types import ConstraintSet, FootPlant, JointTarget, KeyframePose, RootPath, frame_at

ASSIST_MIN = 0.001  # m: a horizontal miss above this moves the root
ASSIST_PASSES = 4
ASSIST_MAX = 1.0  # m: the most the root is moved to reach one target
FOOT_BLEND = 0.1  # s: contact pinning fades in and out this fast
PLANT_CHUNK = 0.2  # m: a contact run is cut into plants wherever the joint slid this far
PLANT_RAMP = 0.15  # s: moving from one plant to the next takes this long (no pop)
DEPTH = [0] * CANONICAL.num_joints
for _j, _p in enumerate(CANONICAL.parents):
    DEPTH[_j] = 0 if _p < 0 else DEPTH[_p] + 1


def _blend_in(rot, root, frames, new_rot, new_root, blend: int):
    """Apply per-frame changes exactly on `frames` and faded with distance to the nearest of them."""
    frames = np.asarray(frames)
    d_rot = quat.multiply(new_rot, quat.conjugate(rot[frames]))
    d_root = new_root - root[frames]
    t = np.arange(len(rot))
    pos = np.clip(np.searchsorted(frames, t), 0, len(frames) - 1)
    prev = np.clip(pos - 1, 0, len(frames) - 1)
    nearest = np.where(np.abs(frames[prev] - t) < np.abs(frames[pos] - t), prev, pos)
    dist = np.abs(frames[nearest] - t)
    w = fade(dist, max(blend, 1))
    on = w > 0
    rot = rot.copy()
    root = root.copy()
    rot[on] = quat.multiply(quat.slerp(quat.identity(d_rot[nearest[on]].shape[:-1]), d_rot[nearest[on]],
                                       w[on, None, None]), rot[on])  # fmt: skip
    rot[frames] = new_rot  # exact where asked
    root[on] += w[on, None] * d_root[nearest[on]]
    root[frames] = new_root
    return rot, root


def _frames(start: float, end: float, fps: float, n: int) -> np.ndarray:
    a = min(frame_at(start, fps), n - 1)
    return np.arange(a, min(frame_at(end, fps), n - 1) + 1)


def cleanup(motion: Motion, cset: ConstraintSet, blend_seconds: float = 0.3, feet: bool = True,
            root_assist: bool = True, passes: int = 3, assist_max: float = ASSIST_MAX) -> Motion:  # fmt: skip
    """A copy of `motion` with every constraint met where the skeleton can reach.

    With `root_assist`, a joint target the limb cannot reach from where the
    body stands moves the root over the ground first (at most `assist_max`, faded over 2 x blend).
    """
    fps, n = motion.fps, motion.num_frames
    # root assist is measured from here, and capped
    home = (motion.root_translation.copy(), assist_max) if root_assist else None
    blend = max(1, int(round(blend_seconds * fps)))
    rot, root = motion.rotations.copy(), motion.root_translation.copy()
    for p in cset.paths:
        if p.weight > 0:
            rot, root = _path(rot, root, p, fps)
    if feet:
        rot, root = _feet(rot, root, motion.contacts, [], fps, max(1, int(round(FOOT_BLEND * fps))), None)
    for k in (k for k in cset.keyframes if k.weight > 0):  # after the feet: a keyframe's legs win over a foot lock
        f = min(frame_at(k.time, fps), n - 1)
        new_root = root[f] if k.root is None else k.root
        rot, root = _blend_in(rot, root, [f], k.rotations[None], np.asarray(new_root)[None], blend)
    for _ in range(passes):  # a fix's fade can disturb a neighbour's; more passes settle it
        if cset.plants:
            rot, root = _feet(rot, root, None, cset.plants, fps, blend, home)
        for term in cset.functions:
            if term.weight > 0:
                rot, root = _term(rot, root, term, fps, blend)
        for jt in sorted(cset.joints, key=lambda j: DEPTH[j.joint]):
            if jt.weight > 0:
                rot, root = _joint(rot, root, jt, fps, blend, home)
    return replace(motion, rotations=quat.continuous(quat.normalize(rot)), root_translation=root)


def _joint(rot, root, jt: JointTarget, fps: float, blend: int, home):
    frames = _frames(jt.start, jt.end, fps, len(rot))
    target = np.broadcast_to(jt.position, (len(frames), 3))
    return _reach(rot, root, jt.joint, frames, target, blend, home)


def _reach(rot, root, joint: int, frames, target, blend: int, home, keep_world: bool = False,
           vertical: bool = False):  # fmt: skip
    """IK `joint` onto `target` on `frames`; given `home` (root (T, 3), cap), first move the root up to cap
    from it towards a target out of reach (and, with `vertical`, lower or raise it: a planted foot must
    reach the floor).

    `keep_world` keeps the joint's world orientation (a planted foot keeps its angle)."""
    new_rot, new_root = ik.reach(rot[frames], root[frames], joint, target)
    for _ in range(ASSIST_PASSES if home is not None and joint != 0 else 0):
        _, _, _, pos = path_fk(new_rot, new_root, joint)
        miss = target - pos[:, -1]
        if not vertical:
            miss[:, 2] = 0.0
        if np.linalg.norm(miss, axis=-1).max() <= ASSIST_MIN:
            break
        start_root, cap = home[0][frames], home[1]
        moved = root[frames] + miss - start_root
        far = np.linalg.norm(moved, axis=-1, keepdims=True)
        moved *= np.minimum(1.0, cap / np.maximum(far, 1e-12))  # beyond that: report, do not teleport
        rot, root = _blend_in(rot, root, frames, rot[frames], start_root + moved, 2 * blend)
        new_rot, new_root = ik.reach(rot[frames], root[frames], joint, target)
    if keep_world:
        _, _, old_w, _ = path_fk(rot[frames], root[frames], joint)
        _, _, new_w, _ = path_fk(new_rot, new_root, joint)
        new_rot[:, joint] = quat.from_matrix(np.swapaxes(new_w[:, -2], -1, -2) @ old_w[:, -1])
    return _blend_in(rot, root, frames, new_rot, new_root, blend)


def _path(rot, root, p: RootPath, fps: float):
    n = len(root)
    if p.dense:
        frames = _frames(p.times[0], p.times[-1], fps, n)
        xy, z = p.at(frames / fps)
    else:
        frames = np.minimum([frame_at(t, fps) for t in p.times], n - 1)
        xy, z = p.points, p.heights
    t = np.arange(n)
    for axis, target in ((0, xy[:, 0]), (1, xy[:, 1]), (2, z)):
        ok = ~np.isnan(target)
        if ok.any():
            root[:, axis] += np.interp(t, frames[ok], target[ok] - root[frames[ok], axis])
    if len(p.facing):
        ff = np.minimum([frame_at(s, fps) for s in p.facing[:, 0]], n - 1)
        now = heading(rot[ff, 0])
        err = (p.facing[:, 1] - now + np.pi) % (2 * np.pi) - np.pi
        turn = np.interp(t, ff, err)
        rot[:, 0] = quat.multiply(quat.about_z(turn), rot[:, 0])
    return rot, root


def _short_runs(mask: np.ndarray, p: np.ndarray) -> list[tuple[int, int]]:
    """Contact runs cut where the joint has slid PLANT_CHUNK from the run's start: a long slide becomes
    a few planted steps instead of being left sliding."""
    out = []
    for a, b in contact_runs(mask):
        start = a
        for t in range(a + 1, b):
            if np.linalg.norm(p[t, :2] - p[start, :2]) > PLANT_CHUNK:
                out.append((start, t))
                start = t
        out.append((start, b))
    return out


def _feet(rot, root, contacts, plants: list[FootPlant], fps: float, blend: int, home):
    """Pin ankles during contact runs (predicted contacts and explicit plants) with two-bone leg IK.

    The ankle keeps its world orientation, so the ball of the foot stays put
    too. Only explicit plants may move the root to reach their spot.
    """
    n = len(rot)
    for side, col in (("left", 0), ("right", 2)):
        ankle = CANONICAL.index(f"{side}_ankle")
        pos, _ = fk(rot, root)
        target = np.full((n, 3), np.nan)
        if contacts is not None:
            heel = (contacts[:, col] > 0.5) | joint_contact(pos[:, ankle], f"{side}_ankle", fps)
            ball_j = CANONICAL.index(f"{side}_foot")
            ball = ((contacts[:, col + 1] > 0.5) | joint_contact(pos[:, ball_j], f"{side}_foot", fps)) & ~heel
            for a, b in _short_runs(ball, pos[:, ball_j]):  # heel up: the ball stays, the ankle keeps its offset
                target[a:b] = pos[a:b, ankle] + (pos[a:b, ball_j].mean(axis=0) - pos[a:b, ball_j])
            for a, b in _short_runs(heel, pos[:, ankle]):
                target[a:b] = pos[a:b, ankle].mean(axis=0)
            for a, b in contact_runs(heel):  # ramp from one plant to the next instead of popping
                target[a:b] = moving_average(target[a:b], max(1, int(round(PLANT_RAMP * fps))))
        planted = np.zeros(n, bool)
        for p in plants:
            if p.side == side and p.weight > 0:
                frames = _frames(p.start, p.end, fps, n)
                spot = pos[frames, ankle].mean(axis=0)
                if p.position is not None:
                    spot[:2] = p.position
                spot[2] = FOOT_REST_HEIGHTS[f"{side}_ankle"]
                target[frames] = spot
                planted[frames] = True
        for frames, assist in ((np.flatnonzero(~np.isnan(target[:, 0]) & ~planted), None),
                               (np.flatnonzero(planted), home)):  # fmt: skip
            if len(frames):
                rot, root = _reach(rot, root, ankle, frames, target[frames], blend, assist, True, vertical=True)
    return rot, root


def _term(rot, root, term: ErrorTerm, fps: float, blend: int, passes: int = 3):
    frames = term.frames(fps, len(rot))
    for _ in range(passes):
        pos, _ = fk(rot[frames], root[frames])
        if hasattr(term, "turn"):  # heading terms turn the body about the pelvis
            new_rot = rot[frames].copy()
            new_rot[:, 0] = quat.multiply(quat.about_z(term.turn(pos)), new_rot[:, 0])
            rot, root = _blend_in(rot, root, frames, new_rot, root[frames], blend)
            continue
        d = term.step(pos)
        if not np.any(np.abs(d) > 1e-6):
            break
        new_rot, new_root = rot[frames], root[frames]
        for j in sorted(np.flatnonzero(np.any(np.abs(d) > 1e-6, axis=(0, 2))), key=lambda j: DEPTH[j]):
            new_rot, new_root = ik.reach(new_rot, new_root, int(j), pos[:, j] + d[:, j])
        rot, root = _blend_in(rot, root, frames, new_rot, new_root, blend)
    return rot, root


# ---------------------------------------------------------------- reporting


def measure(motion: Motion, cset: ConstraintSet) -> list[dict]:
    """Remaining error of each constraint on `motion` (metres; radians for facing and look-at terms)."""
    pos, _ = motion.forward_kinematics()
    fps, n = motion.fps, motion.num_frames
    rows = []
    for c in cset.all():
        err = _errors(c, motion, pos, fps, n)
        rows.append({"label": c.label, "type": type(c).__name__,
                     "mean": float(np.mean(err)), "max": float(np.max(err))})  # fmt: skip
    return rows


def _errors(c, motion: Motion, pos: np.ndarray, fps: float, n: int) -> np.ndarray:
    if isinstance(c, JointTarget):
        frames = _frames(c.start, c.end, fps, n)
        return np.linalg.norm(pos[frames, c.joint] - c.position, axis=-1)
    if isinstance(c, RootPath):
        if c.dense:
            frames = _frames(c.times[0], c.times[-1], fps, n)
            xy, _ = c.at(frames / fps)
        else:
            frames = np.minimum([frame_at(t, fps) for t in c.times], n - 1)
            xy = c.points
        return np.linalg.norm(motion.root_translation[frames, :2] - xy, axis=-1)
    if isinstance(c, KeyframePose):
        f = min(frame_at(c.time, fps), n - 1)
        root = motion.root_translation[f] if c.root is None else c.root
        want, _ = CANONICAL.forward_kinematics(c.rotations, root)
        return np.linalg.norm(pos[f] - want, axis=-1)
    if isinstance(c, FootPlant):
        frames = _frames(c.start, c.end, fps, n)
        j = CANONICAL.index(f"{c.side}_ankle")
        spot = pos[frames, j].mean(axis=0)
        if c.position is not None:
            spot[:2] = c.position
        spot[2] = FOOT_REST_HEIGHTS[f"{c.side}_ankle"]
        return np.linalg.norm(pos[frames, j] - spot, axis=-1)
    if isinstance(c, ErrorTerm):
        frames = c.frames(fps, n)
        return c.residual(pos[frames])
    raise TypeError(f"unknown constraint {c!r}")
