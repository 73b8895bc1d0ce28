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
from ..kinematics.feet import PIN_STEP_S, foot_contacts, plant_feet
from ..kinematics.filters import fade, smoothstep
from ..kinematics.fk import fk, path_fk
from ..kinematics.glide_steps import step_glides
from ..kinematics.reach import reach_targets
from ..kinematics.stance import anchor_stance
from ..motion import Motion
from ..skeleton import BODY_PARTS, CANONICAL, FOOT_REST_HEIGHTS
from .coordinates import standing_root, turned_to
from .programmable import ErrorTerm, JointPosition
from .types import ConstraintSet, FootPlant, JointTarget, KeyframePose, RootPath, frame_at

ASSIST_MIN = 0.001  # m: a horizontal miss above this moves the root
ASSIST_PASSES = 4
ASSIST_MAX = 1.0  # m: the most the root is moved to reach one target
PATH_STEP = 0.1  # m: ... where a root path holds the root
POSE_SPEED = 1.0  # m/s: the upper body leaves the standing start (and comes to the end) no faster than this ...
POSE_FADE_MAX_S = 1.5  # s: ... eased over at most this long
UPPER = [j for j, name in enumerate(CANONICAL.names) if name not in BODY_PARTS["legs"]]  # eased by _ease_upper
DEPTH = [0] * CANONICAL.num_joints
for _j, _p in enumerate(CANONICAL.parents):
    DEPTH[_j] = 0 if _p < 0 else DEPTH[_p] + 1


def _blend_in(rot, root, frames, new_rot, new_root, blend: int):
    """Apply per-frame changes exactly on `frames` and faded with distance to the nearest of them."""
    frames = np.asarray(frames)
    joints = np.flatnonzero(np.any(new_rot != rot[frames], axis=(0, 2)))  # the rest keep their rotations exactly
    d_rot = quat.multiply(new_rot[:, joints], quat.conjugate(rot[frames][:, joints]))
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
    if len(joints):
        turn = quat.slerp(quat.identity(d_rot[nearest[on]].shape[:-1]), d_rot[nearest[on]], w[on, None, None])
        rot[np.ix_(np.flatnonzero(on), joints)] = quat.multiply(turn, rot[on][:, joints])
    rot[frames] = new_rot  # exact where asked
    root[on] += w[on, None] * d_root[nearest[on]]
    root[frames] = new_root
    return rot, root


def _frames(start: float, end: float, fps: float, n: int) -> np.ndarray:
    a = min(frame_at(start, fps), n - 1)
    return np.arange(a, min(frame_at(end, fps), n - 1) + 1)


def cleanup(motion: Motion, cset: ConstraintSet, blend_seconds: float = 0.3, feet: bool = True,
            root_assist: bool = True, passes: int = 3, assist_max: float = ASSIST_MAX,
            lift_out_of_reach: bool = False) -> Motion:  # fmt: skip
    """A copy of `motion` with every constraint met where the skeleton can reach.

    Joint targets are reached over a window around them (kinematics.reach);
    with `root_assist` the body first steps closer to one its limb cannot
    reach (at most `assist_max`). With `feet`, the feet are then planted
    where the motion has them in contact (kinematics.feet; `lift_out_of_reach`: the start or end of a plant the
    leg cannot reach is lifted, see feet.plant_feet). Before anything else, with `feet` and `root_assist`
    and nothing holding the root (a root path, a keyframe's root), a body that slides over the floor with both
    feet down walks instead (kinematics.glide_steps) and a slow creep of the whole body while both feet are
    down goes (kinematics.stance).
    """
    fps = motion.fps
    if feet and root_assist and not _root_held(cset):  # (a held root is the path's: its body is walked by its own)
        pos = motion.positions()
        walked = step_glides(motion, positions=pos)  # a body sliding with both feet down walks instead ...
        if walked is not motion:
            motion, pos = walked, walked.positions()
        motion = anchor_stance(motion, foot_contacts(motion, pos), pos)  # ... and a slow creep goes
    # root assist for explicit foot plants is measured from here, and capped
    home = (motion.root_translation.copy(), assist_max) if root_assist else None
    step, start = (assist_max if root_assist else 0.0), motion.root_translation
    blend = max(1, int(round(blend_seconds * fps)))
    rot, root = _ease_standing(motion.rotations.copy(), cset.keyframes, fps), motion.root_translation.copy()
    for p in cset.paths:
        if p.weight > 0:
            rot, root = _path(rot, root, p, fps)
    joints = sorted((j for j in cset.joints if j.weight > 0), key=lambda j: DEPTH[j.joint])
    if joints:  # reached first, so the feet are planted where the body ends up
        rot, root = _reach_all(rot, root, fps, joints, cset.paths, step, start)
    if feet:  # the keyframes' poses first too, so their feet are planted where they stand (a step, not a slide)
        rot, root = _poses(rot, root, cset.keyframes, fps, max(1, int(round(PIN_STEP_S * fps))))
        pinned = np.zeros(len(rot), bool)
        pinned[[min(frame_at(k.time, fps), len(rot) - 1) for k in cset.keyframes if k.weight > 0]] = True
        planted = plant_feet(replace(motion, rotations=rot, root_translation=root), lower_pelvis=root_assist,
                             pinned=pinned, lift_out_of_reach=lift_out_of_reach)  # fmt: skip
        rot, root = planted.rotations, planted.root_translation
    for _ in range(passes):  # a fix's fade can disturb a neighbour's; more passes settle it
        if cset.plants:
            rot, root = _feet(rot, root, cset.plants, fps, blend, home)
        for term in cset.functions:
            if term.weight > 0:
                rot, root = _term(rot, root, term, fps, blend)
        if joints:
            rot, root = _reach_all(rot, root, fps, joints, cset.paths, step, start)
        rot, root = _poses(rot, root, cset.keyframes, fps, blend)  # last: a keyframe's pose wins over a reach's
    return replace(motion, rotations=quat.continuous(quat.normalize(rot)), root_translation=root)


def _poses(rot, root, keyframes: list[KeyframePose], fps: float, blend: int):
    """Every keyframe's pose exact on its frame, faded over `blend` frames around it; a pose without a root stands
    on the floor (standing_root's height)."""
    for k in (k for k in keyframes if k.weight > 0):
        f = min(frame_at(k.time, fps), len(rot) - 1)
        pose = turned_to(k.rotations, rot[f, 0]) if k.any_heading else k.rotations
        new_root = k.root if k.root is not None else np.append(root[f, :2], standing_root(pose)[2])  # on the floor
        rot, root = _blend_in(rot, root, [f], pose[None], np.asarray(new_root)[None], blend)
    return rot, root


def _ease_standing(rot: np.ndarray, keyframes: list[KeyframePose], fps: float) -> np.ndarray:
    """The upper body eased out of the standing start and into the standing end (_ease_upper); first, so joint
    targets near them are reached on the eased motion."""
    for k in (k for k in keyframes if k.weight > 0 and not k.places):
        f = min(frame_at(k.time, fps), len(rot) - 1)
        rot = _ease_upper(rot, f, turned_to(k.rotations, rot[f, 0]), fps)
    return rot


def _ease_upper(rot: np.ndarray, f: int, pose: np.ndarray, fps: float) -> np.ndarray:
    """The upper body eased out of (and into) the pose at frame `f` where the motion leaves it faster than
    POSE_SPEED: the sampler keeps the observed frame but may move on at once (a hand raised from the standing
    start in 0.3 s, 6 m/s). Each side of `f` becomes a smoothstep from the pose to the motion over a window long
    enough for the farthest upper-body joint (within POSE_FADE_MAX_S) at POSE_SPEED; legs and root keep theirs."""
    n, most = len(rot), int(round(POSE_FADE_MAX_S * fps))
    for side in (1, -1):
        frames = np.arange(f, f + side * (most + 1), side)
        frames = frames[(frames >= 0) & (frames < n)]
        if len(frames) < 3:
            continue
        posed = np.repeat(pose[None], len(frames), axis=0)
        posed[:, 0] = rot[frames, 0]  # compared in the motion's own pelvis orientation
        now, _ = fk(rot[frames], np.zeros((len(frames), 3)))
        want, _ = fk(posed, np.zeros((len(frames), 3)))
        far = np.linalg.norm(now[:, UPPER] - want[:, UPPER], axis=-1).max(axis=-1)
        speed = np.abs(np.diff(far)) * fps
        if speed.max() <= POSE_SPEED:
            continue
        width = min(len(frames) - 1, max(2, int(round(fps * 1.5 * far.max() / POSE_SPEED))))
        w = smoothstep(np.clip(np.arange(len(frames)) / width, 0.0, 1.0))[:, None, None]
        rot[np.ix_(frames, UPPER)] = quat.slerp(posed[:, UPPER], rot[np.ix_(frames, UPPER)], w)
    return rot


def _root_held(cset: ConstraintSet) -> bool:
    return any(p.weight > 0 for p in cset.paths) or any(k.weight > 0 and k.root is not None for k in cset.keyframes)


def _reach_all(rot, root, fps: float, joints: list[JointTarget], paths: list[RootPath], step: float, home):
    """Every joint target reached; the body steps closer (up to `step`) for targets at times no root path holds,
    and at most PATH_STEP where one does: a full step there would break the path (a wrist target behind a walker
    once dragged the pelvis 1 m back against its waypoints at 17 m/s)."""
    held, free = [], []
    for j in joints:
        (held if any(_on_path(j, p) for p in paths) else free).append(j)
    if held:
        rot, root = reach_targets(rot, root, fps, held, max_step=min(step, PATH_STEP), home=home)
    if free:
        rot, root = reach_targets(rot, root, fps, free, max_step=step, home=home)
    return rot, root


def _on_path(j: JointTarget, p: RootPath) -> bool:
    return p.weight > 0 and float(p.times[0]) <= j.end and j.start <= float(p.times[-1])


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


def _feet(rot, root, plants: list[FootPlant], fps: float, blend: int, home):
    """Pin ankles on explicit foot plants with two-bone leg IK; the root may move to reach their spot.

    The ankle keeps its world orientation, so the ball of the foot stays put too.
    """
    n = len(rot)
    for side in ("left", "right"):
        ankle = CANONICAL.index(f"{side}_ankle")
        pos, _ = fk(rot, root)
        target = np.full((n, 3), np.nan)
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
        frames = np.flatnonzero(planted)
        if len(frames):
            rot, root = _reach(rot, root, ankle, frames, target[frames], blend, home, True, vertical=True)
    return rot, root


def _term(rot, root, term: ErrorTerm, fps: float, blend: int, passes: int = 3):
    frames = term.frames(fps, len(rot))
    for _ in range(passes):
        pos = _term_positions(rot[frames], root[frames], term)
        if hasattr(term, "turn"):  # heading terms turn the body about the pelvis
            new_rot = rot[frames].copy()
            new_rot[:, 0] = quat.multiply(quat.about_z(term.turn(pos)), new_rot[:, 0])
            rot, root = _blend_in(rot, root, frames, new_rot, root[frames], blend)
            continue
        d = term.step(pos)
        if not np.any(np.abs(d) > 1e-6):
            break
        moves = np.abs(d) > 1e-6
        rows = np.flatnonzero(np.any(moves, axis=(1, 2)))  # IK where the term moves a joint (elsewhere a no-op)
        new_rot, new_root = rot[frames], root[frames]
        sub_rot, sub_root = new_rot[rows], new_root[rows]
        for j in sorted(np.flatnonzero(np.any(moves, axis=(0, 2))), key=lambda j: DEPTH[j]):
            sub_rot, sub_root = ik.reach(sub_rot, sub_root, int(j), pos[rows, j] + d[rows, j])
        new_rot[rows], new_root[rows] = sub_rot, sub_root
        rot, root = _blend_in(rot, root, frames, new_rot, new_root, blend)
    return rot, root


def _term_positions(rot: np.ndarray, root: np.ndarray, term: ErrorTerm) -> np.ndarray:
    """World joint positions (F, J, 3) for a term's step: a joint target's step reads its own joint alone, so only
    the pelvis-to-joint chain is solved for it (the other joints read zero); any other term gets every joint."""
    if not isinstance(term, JointPosition):
        return fk(rot, root)[0]
    path, _, _, chain = path_fk(rot, root, term.joint)
    pos = np.zeros(rot.shape[:-1] + (3,))
    pos[:, path] = chain
    return pos


# ---------------------------------------------------------------- reporting


def measure(motion: Motion, cset: ConstraintSet) -> list[dict]:
    """Remaining error of each constraint on `motion` (metres; radians for facing and look-at terms)."""
    if not cset.all():
        return []
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
        pose = turned_to(c.rotations, motion.rotations[f, 0]) if c.any_heading else c.rotations
        want, _ = CANONICAL.forward_kinematics(pose, root)
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
