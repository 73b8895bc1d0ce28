"""Constraints during sampling: learned observations plus guidance on each x0 prediction.

Two mechanisms, one object:
- `observations(x0)` fills the obs / obs_mask inputs the denoiser was trained
  with (keyframes, root path, joint positions, contacts). Joint targets are
  world positions, but the model observes them relative to the pelvis in the
  heading frame, so they are re-expressed every step from the latest
  prediction of the root (no extra network call); on the last calls also as
  the rotations of the chain that reaches them (the motion is decoded from
  rotations, so these are what bind).
- `apply(x0)` nudges each x0 prediction towards the constraints: exact
  projection of root paths and facing, and Gauss-Newton steps of every error
  term (joint targets, foot plants, user functions) over world joint
  positions computed from the features (trajectory.py), split between body,
  root and heading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import features as feat
from ..kinematics.fk import chain
from ..kinematics.smoothing import PLAIN_HZ, low_pass
from ..motion import Motion
from ..observations import (
    OBS_DIM,
    PATH_COS,
    PATH_SIN,
    PATH_X,
    PATH_Y,
    ROOT_PATH_SCALE,
    contact_columns,
    joint_position_columns,
    rotation_columns,
)
from ..sampling import Denoise
from ..skeleton import CANONICAL, FOOT_REST_HEIGHTS, NUM_JOINTS
from .cleanup import cleanup
from .coordinates import WindowFrame, pose_in_window, standing_root
from .corrections import bent_walk, correction_curve, interp_correction, nearest_turn
from .programmable import ErrorTerm, JointPosition, comfort_reach
from .reach_term import ReachPosition
from .trajectory import Trajectory, rotate_xy
from .types import ConstraintSet, FootPlant, frame_at

PROJECTION_ASSIST = 0.3  # m: root help per projection (far targets are the excess rule's job)
HEIGHT = feat.HEIGHT_COLUMN
MAX_ROOT_SPEED = 4.0  # m/s: joint targets never pull the root farther from the start than this allows
ROOT_MOVE_MIN = 0.3  # m: a smaller root move for a target is left to the body (observed root velocities pin the walk)
HEADING_MOVE_MIN = 0.35  # rad: a keyframe's heading nearer than this is left to its observed path channels


@dataclass
class GuideOptions:
    iterations: int = 3  # Gauss-Newton passes per sampling step
    strength: float = 1.0  # scales every correction (0 disables guidance, observations stay)
    guide_last_step: bool = True  # also correct the final prediction
    project_rotations: bool = True  # IK the joint rotations onto the guided positions (decode uses rotations)
    project_below_t: int = 300  # ... only once the prediction is clean enough to be worth it
    observe: bool = True  # feed constraints to the model as observations
    # IK the joint targets in the projection too, on the last step only (IK on every step makes the sampler chase
    # a target frame by frame: the joint whips onto it). On: the sampler's result is on target; off: it can be
    # far from it (the guidance alone barely moves a joint) and the clean-up's windowed reach does all the work,
    # which halves the wrist's extra speed near a target (reach suite: 1.2x instead of 1.5x the unconstrained)
    # unless the projection smooths the motion before its IK, as it does (1.16x-1.29x with it on).
    project_joints: bool = True
    # a root path also observed as the root velocities the decoded motion is integrated from (the path channels
    # alone barely bind: with guidance off a walk ended 5-6 m from an observed end point, as far as without it)
    observe_path_velocity: bool = True
    # a joint target or keyframe that puts the root far from the latest prediction is observed as root velocities
    # and turn rates carrying it there (corrections.bent_walk): observed only as a place, the target sat metres
    # outside the body and the network kept the root where it was (guidance off: joint targets 78 cm off, keyframes
    # 81 cm; with this 12 and 2 cm, inbetweened clips' FID 1.32 -> 0.99 x unconstrained; bench constraints suite)
    observe_root_moves: bool = True
    # a joint target also observed as the rotations that reach it: the latest prediction's chain to the joint
    # solved onto the target (the clean-up's reach, without root assist), written into the rotation columns it
    # changed, where it changed them. The decoded motion is made from the rotations, so these bind where observed
    # positions did not (guidance off: joint targets 10.1 -> 3.8 cm; bench constraints suite, 32 cases) ...
    observe_target_pose: bool = True
    # ... on the network calls at t <= this (10 steps: the last call; 50 steps: the last five). Observed from the
    # first steps on, the network built the body around the solved arm (a 'stands still' crouched 7 cm under a
    # wrist target) and the joint-constrained outputs' FID went 0.24 -> 0.33 (32 cases); on the last two of 10
    # calls 0.28, on the last alone 0.24 as without; with 50 steps the last five keep it within 0.03 of without
    target_pose_below_t: int = 100


class Guide:
    """Observations and guidance for one window of `frames` model frames."""

    def __init__(self, cset: ConstraintSet, mean: np.ndarray, std: np.ndarray, fps: float, frames: int,
                 frame: WindowFrame, options: GuideOptions | None = None) -> None:  # fmt: skip
        self.cset, self.mean, self.std, self.fps, self.frames = cset, mean, std, fps, frames
        self.frame = frame
        self.opt = options or GuideOptions()
        self.terms: list[ErrorTerm] = [ReachPosition(j.joint, j.position, j.start, j.end, j.weight, j.label)
                                       for j in cset.joints] + list(cset.functions)  # fmt: skip
        self.term_frames = [t.frames(fps, frames) for t in self.terms]
        self.plants = [(p, self._span(p.start, p.end)) for p in cset.plants]
        self.key_places: list[tuple[int, np.ndarray | None, float | None]] = []  # keyframes' frame, root, heading
        self.static_obs, self.static_mask = self._static_observations()
        self.path_held = np.zeros(frames, bool)  # frames within a root path's time span
        for p in (p for p in cset.paths if p.weight > 0):
            self.path_held[self._span(float(p.times[0]), float(p.times[-1]))] = True
        self.last: np.ndarray | None = None  # latest raw x0 prediction
        self.far: set = set()  # joint targets (term index) and keyframes (("key", i)) whose root moves are observed

    def observe(self, obs: np.ndarray, mask: np.ndarray) -> None:
        """Add observations (normalised feature columns, raw path columns), e.g. the kept frames of an edit."""
        on = mask > 0
        self.static_obs[on] = obs[on]
        self.static_mask[on] = 1.0

    def _span(self, start: float, end: float) -> np.ndarray:
        a = min(frame_at(start, self.fps), self.frames - 1)
        return np.arange(a, min(frame_at(end, self.fps), self.frames - 1) + 1)

    # ------------------------------------------------------------ observations

    def _norm(self, values: np.ndarray, cols) -> np.ndarray:
        return (values - self.mean[cols]) / self.std[cols]

    def _static_observations(self) -> tuple[np.ndarray, np.ndarray]:
        obs = np.zeros((self.frames, OBS_DIM), np.float32)
        mask = np.zeros_like(obs)
        for k in (k for k in self.cset.keyframes if k.weight > 0):
            f = min(frame_at(k.time, self.fps), self.frames - 1)
            root = k.root if k.root is not None else self.frame.points_to_world(standing_root(k.rotations))
            rot, root_w = pose_in_window(k.rotations, root, self.frame)
            pose = Motion(self.fps, np.stack([root_w, root_w]), np.stack([rot, rot]))
            raw = feat.encode(pose)[0]
            cols = np.arange(HEIGHT, feat.CONTACT_SLICE.start)
            obs[f, cols] = self._norm(raw[cols], cols)
            mask[f, cols] = 1.0  # the pose's features are heading-free; its heading is observed unless any goes
            yaw = None if k.any_heading else float(feat.heading(rot[0]))
            if yaw is not None:
                obs[f, [PATH_SIN, PATH_COS]] = np.sin(yaw), np.cos(yaw)
                mask[f, [PATH_SIN, PATH_COS]] = 1.0
            if k.root is not None:
                obs[f, [PATH_X, PATH_Y]] = root_w[:2] / ROOT_PATH_SCALE
                mask[f, [PATH_X, PATH_Y]] = 1.0
            self.key_places.append((f, None if k.root is None else root_w[:2], yaw))
        for p in (p for p in self.cset.paths if p.weight > 0):
            frames, xy, z = self.path_targets(p)
            obs[frames, PATH_X] = xy[:, 0] / ROOT_PATH_SCALE
            obs[frames, PATH_Y] = xy[:, 1] / ROOT_PATH_SCALE
            mask[frames, PATH_X] = mask[frames, PATH_Y] = 1.0
            has_z = ~np.isnan(z)
            obs[frames[has_z], HEIGHT] = self._norm(z[has_z], HEIGHT)
            mask[frames[has_z], HEIGHT] = 1.0
            for t, yaw in p.facing:
                f = min(frame_at(t, self.fps), self.frames - 1)
                obs[f, [PATH_SIN, PATH_COS]] = np.sin(yaw - self.frame.yaw), np.cos(yaw - self.frame.yaw)
                mask[f, [PATH_SIN, PATH_COS]] = 1.0
        for plant, frames in self.plants:
            cols = contact_columns(plant.side)
            obs[np.ix_(frames, cols)] = self._norm(np.ones(2), cols)
            mask[np.ix_(frames, cols)] = 1.0
        return obs, mask

    def path_targets(self, p) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Model frames and window-coordinate root targets (xy, height or NaN) of a root path."""
        if p.dense:
            a, b = frame_at(p.times[0], self.fps), frame_at(p.times[-1], self.fps)
            frames = np.arange(a, min(b, self.frames - 1) + 1)
            xy, z = p.at(frames / self.fps)
        else:
            frames = np.minimum(np.array([frame_at(t, self.fps) for t in p.times]), self.frames - 1)
            xy, z = p.points, p.heights
        xy = self.frame.points_to_window(np.concatenate([xy, np.zeros((len(xy), 1))], -1))[:, :2]
        return frames, xy, z

    def observations(self, t: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """obs and obs_mask (T, OBS_DIM) for the next network call, at diffusion time `t` when known (normalised
        feature columns)."""
        if not self.opt.observe:
            return np.zeros_like(self.static_obs), np.zeros_like(self.static_mask)
        obs, mask = self.static_obs.copy(), self.static_mask.copy()
        if self.last is None:
            return obs, mask
        traj = Trajectory.from_features(self.last, self.fps)
        window = traj.world()  # (T, J, 3) joint positions in window coordinates, once per network call
        places, headings, shifts = self._root_moves(traj, window) if self.opt.observe_root_moves else ([], [], {})
        for i, (term, frames) in enumerate(zip(self.terms, self.term_frames, strict=True)):
            if isinstance(term, JointPosition) and term.weight > 0:
                if term.observed_on_window and i not in shifts:
                    self._observe_reach(obs, mask, traj, window, term, frames)
                    continue
                if isinstance(term, ReachPosition):
                    frames = frames[term.span_index]  # the model observes the target on its span only
                target = np.broadcast_to(self.frame.points_to_window(term.position), (len(frames), 3))
                shift = shifts.get(i, 0.0)
                self._observe_joint(obs, mask, traj, term.joint, frames, target, shift)
        self._observe_root_moves(obs, mask, traj, places, headings)
        if self.opt.observe_target_pose and t is not None and t <= self.opt.target_pose_below_t:
            self._observe_target_pose(obs, mask)
        if self.opt.observe_path_velocity:
            for p in (p for p in self.cset.paths if p.weight > 0):
                self._observe_path_velocity(obs, mask, traj, p)
        for plant, frames in self.plants:
            if plant.position is not None:
                j = CANONICAL.index(f"{plant.side}_ankle")
                target = np.array([*plant.position, FOOT_REST_HEIGHTS[f"{plant.side}_ankle"]])
                target = self.frame.points_to_window(target)
                self._observe_joint(obs, mask, traj, j, frames, np.broadcast_to(target, (len(frames), 3)))
        return obs, mask

    def _observe_target_pose(self, obs, mask) -> None:
        """The rotations of each joint target's chain (its ancestors below the pelvis) as the clean-up's reach
        solves them from the latest prediction, observed on the frames where they differ from it and on the
        target's own frames (see GuideOptions.observe_target_pose)."""
        joints = [j for j in self.cset.joints if j.weight > 0 and j.joint > 0]
        if not joints:
            return
        motion = feat.decode(self.last, self.fps, start_position=self.frame.origin, start_yaw=self.frame.yaw)
        before = feat.encode(motion)  # the prediction re-encoded: the round trip alone moves unturned joints a little
        reached = feat.encode(cleanup(motion, ConstraintSet(joints=joints), feet=False, passes=1, root_assist=False))
        for j in joints:
            ks = chain(j.joint)[1:-1]  # below the pelvis, down to the joint's parent
            moved = np.abs(reached - before)[:, rotation_columns(ks)].reshape(len(before), len(ks), 6).max(-1) > 1e-4
            if not moved.any():
                continue
            cols = rotation_columns(np.asarray(ks)[moved.any(0)])  # the joints the reach turned
            on = moved.any(1)
            on[self._span(j.start, j.end)] = True
            on &= mask[:, cols[0]] == 0  # a keyframe's pose, observed already, wins
            obs[np.ix_(on, cols)] = self._norm(reached[np.ix_(on, cols)], cols)
            mask[np.ix_(on, cols)] = 1.0

    def _observe_reach(self, obs, mask, traj: Trajectory, window, term: ReachPosition, frames) -> None:
        """A target within reach observed over its reach window, on the path the guidance bends the joint along
        (the predicted path plus the span's miss times the window's minimum-jerk weights): observed on its span
        alone, a waving wrist's place was written into the position columns while the rotations, which the
        motion is decoded from, followed part of the way (guidance off: 11.4 -> 10.1 cm, 32 cases)."""
        pred = window[frames, term.joint]
        at_span = np.broadcast_to(self.frame.points_to_window(term.position), (len(term.span_index), 3))
        path = pred + term.spread(at_span - pred[term.span_index])
        on = term.weights > 0
        self._observe_joint(obs, mask, traj, term.joint, frames[on], path[on])

    def _root_moves(self, traj: Trajectory, window: np.ndarray) -> tuple[list, list, dict[int, np.ndarray]]:
        """Root places and headings (window frame) the latest prediction misses by far, and the joint targets'
        root shifts on their spans (by term index). A target counts once its joint is more than ROOT_MOVE_MIN
        beyond comfortable reach of the pelvis, a keyframe once its root or heading is that far off; from then on
        for the rest of the sampling (deciding anew each step, the observed walk flipped between steps). A far
        joint target moves the root by the whole miss, so the body reaches it in its predicted pose."""
        places, headings, shifts = [], [], {}
        world = self.frame.points_to_world(window)
        for i, (term, frames) in enumerate(zip(self.terms, self.term_frames, strict=True)):
            if not (isinstance(term, JointPosition) and term.weight > 0 and term.joint > 0):
                continue
            on = term.span_index if isinstance(term, ReachPosition) else np.arange(len(frames))
            if self._is_far(i, self._root_excess(term, traj, world, frames)[on]):
                span = frames[on]
                target = np.broadcast_to(self.frame.points_to_window(term.position), (len(span), 3))
                # the joint's offset from the pelvis as predicted, within its comfortable reach (a noisy prediction's
                # joint can sit metres from its pelvis: observed so, it stayed there)
                offset = window[span, term.joint, :2] - traj.root[span]
                length = np.linalg.norm(offset, axis=-1, keepdims=True)
                offset *= np.minimum(1.0, comfort_reach(term.joint) / np.maximum(length, 1e-9))
                shift = np.where(self.path_held[span, None], 0.0, target[:, :2] - traj.root[span] - offset)
                shifts[i] = shift
                places.append((span, traj.root[span] + shift))
        for i, (f, xy, yaw) in enumerate(self.key_places):
            off = 0.0 if xy is None else float(np.linalg.norm(xy - traj.root[f]))
            turn = 0.0 if yaw is None else abs(float(nearest_turn(yaw, traj.yaw[f])))
            if off > ROOT_MOVE_MIN or turn > HEADING_MOVE_MIN:
                self.far.add(("key", i))
            if ("key", i) in self.far:
                places += [] if xy is None else [(f, xy)]
                headings += [] if yaw is None else [(f, yaw)]
        return places, headings, shifts

    def _is_far(self, i: int, excess: np.ndarray) -> bool:
        """Whether joint target `i` is far: its root excess (F, 2) over ROOT_MOVE_MIN now or at an earlier step
        (once far, far for the rest of the sampling: observations and guidance both ask). The prediction from
        pure noise counts: left out, a walk 1.5 m from a head target was steered from the second step on and
        missed it by 18 cm instead of 3 with guidance off (the network had already chosen its walk)."""
        if np.linalg.norm(excess, axis=-1).max(initial=0.0) > ROOT_MOVE_MIN:
            self.far.add(i)
        return i in self.far

    def _observe_root_moves(self, obs, mask, traj: Trajectory, places, headings) -> None:
        """The bent walk's root velocities and turn rates (corrections.bent_walk), observed up to its last target
        where no root path is: the path channels alone barely bind the root (see observe_path_velocity), these
        columns do (the denoiser imputes them)."""
        if not places and not headings:
            return
        root, yaw = bent_walk(traj, places, headings)
        f = np.arange(max(int(np.max(f)) for f, _ in [*places, *headings]))
        f = f[mask[f, feat.VELOCITY_COLUMNS[0]] == 0]
        v = (root[f + 1] - root[f]) * self.fps
        vx, vy = rotate_xy(v[:, 0], v[:, 1], -yaw[f])
        cols = [feat.YAW_RATE_COLUMN, *feat.VELOCITY_COLUMNS]
        obs[np.ix_(f, cols)] = self._norm(np.stack([(yaw[f + 1] - yaw[f]) * self.fps, vx, vy], -1), cols)
        mask[np.ix_(f, cols)] = 1.0

    def _observe_path_velocity(self, obs, mask, traj: Trajectory, p) -> None:
        """The path's ground velocity between each pair of its points (constant in between), in the heading frame of
        the latest prediction, observed on the root velocity columns of those frames."""
        frames, xy, _ = self.path_targets(p)
        keep = np.concatenate([[True], np.diff(frames) > 0])  # points sharing a frame (a short clip's end) count once
        frames, xy = frames[keep], xy[keep]
        if len(frames) < 2:
            return
        f = np.arange(frames[0], frames[-1])
        v = (np.diff(xy, axis=0) * self.fps / np.diff(frames)[:, None])[np.searchsorted(frames, f, side="right") - 1]
        vx, vy = rotate_xy(v[:, 0], v[:, 1], -traj.yaw[f])
        cols = feat.VELOCITY_COLUMNS
        obs[np.ix_(f, cols)] = self._norm(np.stack([vx, vy], -1), cols)
        mask[np.ix_(f, cols)] = 1.0

    def _observe_joint(self, obs, mask, traj: Trajectory, joint: int, frames, target, root_shift=0.0) -> None:
        """A window-frame joint target on `frames`: relative to the predicted root moved by `root_shift` (F, 2),
        which is observed too where no root path is."""
        if joint == 0:
            obs[frames, PATH_X] = target[:, 0] / ROOT_PATH_SCALE
            obs[frames, PATH_Y] = target[:, 1] / ROOT_PATH_SCALE
            obs[frames, HEIGHT] = self._norm(target[:, 2], HEIGHT)
            mask[frames, PATH_X] = mask[frames, PATH_Y] = mask[frames, HEIGHT] = 1.0
            return
        root, yaw = traj.root[frames] + root_shift, traj.yaw[frames]
        d = target[:, :2] - root
        c, s = np.cos(-yaw), np.sin(-yaw)
        rel = np.stack([c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1], target[:, 2]], -1)
        cols = joint_position_columns(joint)
        obs[np.ix_(frames, cols)] = self._norm(rel, cols)
        mask[np.ix_(frames, cols)] = 1.0
        free = mask[frames, PATH_X] == 0  # keep an explicit path where one is given
        obs[frames[free], PATH_X] = root[free, 0] / ROOT_PATH_SCALE
        obs[frames[free], PATH_Y] = root[free, 1] / ROOT_PATH_SCALE
        mask[frames[free], PATH_X] = mask[frames[free], PATH_Y] = 1.0

    # ------------------------------------------------------------ guidance

    def guided(self, denoise: Denoise, last_t: int) -> Denoise:
        """`denoise` (a batch of one) with guidance on each prediction; `last_t` is the sampler's last step."""

        def run(x_t: np.ndarray, t: int) -> np.ndarray:
            return self.apply(denoise(x_t, t)[0], last_step=t == last_t, t=t)[None]

        return run

    def apply(self, x0: np.ndarray, last_step: bool = False, t: int = 0) -> np.ndarray:
        """Guided normalised x0 (T, F) from a normalised prediction at diffusion time `t`."""
        raw = x0.astype(np.float64) * self.std + self.mean
        if self.opt.strength > 0 and (self.opt.guide_last_step or not last_step):
            raw = self.guide_raw(raw, project=t <= self.opt.project_below_t,
                                 joints=self.opt.project_joints and last_step)  # fmt: skip
        self.last = raw
        return ((raw - self.mean) / self.std).astype(x0.dtype)

    def guide_raw(self, raw: np.ndarray, project: bool = True, joints: bool = True) -> np.ndarray:
        """Guided raw features; with `joints` the rotation projection also reaches the joint targets."""
        traj = Trajectory.from_features(raw, self.fps)
        for _ in range(self.opt.iterations if (self.terms or self.plants) else 0):
            self._gauss_newton(traj)
        self._project_paths(traj)
        out = traj.to_features(raw)
        if project and self.opt.project_rotations and (self.terms or self.plants or self.cset.keyframes):
            out = self._project_rotations(out, joints)
        return out

    def _project_rotations(self, raw: np.ndarray, joints: bool = True) -> np.ndarray:
        """Rotations that reach the guided targets (IK, as in clean-up), so the decoded motion follows them."""
        motion = feat.decode(raw, self.fps, start_position=self.frame.origin, start_yaw=self.frame.yaw)
        c = self.cset
        part = ConstraintSet(keyframes=c.keyframes, joints=c.joints if joints else [], plants=c.plants,
                             functions=c.functions, paths=c.paths)  # fmt: skip
        if joints:  # smoothed first: IK'd arms compensate the body's jitter, and smoothing that away afterwards
            motion = low_pass(motion, PLAIN_HZ)  # would leave the compensation as jitter (a whip near the target)
        before = motion.root_translation
        motion = cleanup(motion, part, feet=False, passes=1, assist_max=PROJECTION_ASSIST)
        # frame 0 is the window origin: the features cannot move it, so a shift there would drag every
        # frame with it when re-encoded; keep it put and ramp its correction in over half a second
        shift = motion.root_translation - before
        ramp = np.clip(1.0 - np.arange(len(shift)) / max(1.0, 0.5 * self.fps), 0.0, 1.0)
        motion.root_translation[:, :2] -= ramp[:, None] * shift[0, :2]
        out = feat.encode(motion).astype(np.float64)
        out[:, feat.CONTACT_SLICE] = raw[:, feat.CONTACT_SLICE]
        return out

    def _gauss_newton(self, traj: Trajectory) -> None:
        t = len(traj.yaw)
        world = self.frame.points_to_world(traj.world())
        body = np.zeros((t, NUM_JOINTS, 3))
        root, root_n = np.zeros((t, 2)), np.zeros(t)
        yaw, yaw_n = np.zeros(t), np.zeros(t)
        k = self.opt.strength
        steps = [(i, term, frames, term.step(world[frames]))
                 for i, (term, frames) in enumerate(zip(self.terms, self.term_frames, strict=True))]  # fmt: skip
        steps += [(None, None, frames, self._plant_step(p, world[frames])) for p, frames in self.plants]
        moved = np.zeros(NUM_JOINTS, bool)
        walks = []  # (frames, root moves) of far targets whose root moves walk the body over (ReachPosition)
        for i, term, frames, d in steps:
            w = min(1.0, k * (term.weight if term is not None else 1.0))
            # the joints the step moves (a joint target moves one): the sums below skip only zeros, so are exact
            joints = np.any(d != 0, axis=(0, 2))
            if isinstance(term, JointPosition):
                joints[term.joint] = True
            moved |= joints
            joints = np.flatnonzero(joints)
            d = self.frame.vectors_to_window(d[:, joints]) * w
            sb, sr, sy = term.shares if term is not None else (0.8, 0.2, 0.0)
            excess = np.zeros((len(frames), 2))
            if isinstance(term, JointPosition) and term.joint > 0:
                excess = self._root_excess(term, traj, world, frames) * w
                taken = excess  # what the root takes off the limb's step
                if term.walks_over and self._is_far(i, excess[term.span_index] / max(w, 1e-9)):
                    walks.append((frames[term.span_index], excess[term.span_index]))  # one walk over, not per frame
                    taken, excess = term.spread(excess[term.span_index]), np.zeros_like(excess)
                d[:, np.searchsorted(joints, term.joint), :2] -= taken
            active = np.any(np.abs(d) > 0, axis=-1)  # (F, moved joints)
            limbs = joints > 0
            body[np.ix_(frames, joints[limbs])] += sb * d[:, limbs]
            pelvis = d[:, 0] if len(joints) and joints[0] == 0 else np.zeros((len(frames), 3))
            body[frames, 0, 2] += pelvis[:, 2]  # the pelvis height is the root's own
            # the pelvis' ground displacement is the root's; other joints lend it a share
            root[frames] += excess + pelvis[:, :2] + sr * _mean_over(d[:, limbs, :2], active[:, limbs])
            # overlapping terms share the root by their weight profiles (a count would jump where a window ends)
            share = getattr(term, "weights", None) if term is not None else None
            share = np.ones(len(frames)) if share is None else share
            root_n[frames] += share
            if sy > 0:
                yaw[frames] += sy * _turn_step(traj, frames, joints, d, active)
                yaw_n[frames] += share
        limbs = np.flatnonzero(moved[1:]) + 1  # the other joints' body corrections are zero
        c, s = np.cos(-traj.yaw)[:, None], np.sin(-traj.yaw)[:, None]
        traj.rel[:, limbs, 0] += c * body[:, limbs, 0] - s * body[:, limbs, 1]
        traj.rel[:, limbs, 1] += s * body[:, limbs, 0] + c * body[:, limbs, 1]
        traj.rel[:, limbs, 2] += body[:, limbs, 2]
        traj.height += body[:, 0, 2]
        # root and heading corrections: exact on the constrained frames, linear in between, held after the
        # last one and ramped in from the window origin (frame 0 stays put): the path bends, it does not wobble
        if root_n.any():
            fr = np.flatnonzero(root_n)
            traj.root += interp_correction(fr, root[fr] / np.maximum(root_n[fr, None], 1.0), t, fps=self.fps)
        if walks:
            traj.root += correction_curve(walks, t, self.fps)
        if yaw_n.any():
            fr = np.flatnonzero(yaw_n)
            traj.yaw += interp_correction(fr, yaw[fr] / np.maximum(yaw_n[fr], 1.0), t, fps=self.fps)

    def _root_excess(self, term: JointPosition, traj: Trajectory, world, frames) -> np.ndarray:
        """(F, 2) window-frame root move for a target beyond the joint's comfortable reach of the pelvis.

        The root stays within a run's distance (MAX_ROOT_SPEED) of the start:
        a farther target is reported, not met.
        """
        excess = self.frame.vectors_to_window(term.root_excess(world[frames]))
        excess[self.path_held[frames]] = 0.0  # a root path holds the root there: the target is reported instead
        here = traj.root[frames]
        there = here + excess
        limit = MAX_ROOT_SPEED * frames / self.fps
        there *= np.minimum(1.0, limit / np.maximum(np.linalg.norm(there, axis=-1), 1e-9))[:, None]
        ok = np.linalg.norm(here, axis=-1) <= limit
        return np.where(ok[:, None], there - here, 0.0)

    def _plant_step(self, plant: FootPlant, world: np.ndarray) -> np.ndarray:
        """Keep the ankle and ball still at one spot on the floor (given, or where they are on average)."""
        d = np.zeros_like(world)
        for name in (f"{plant.side}_ankle", f"{plant.side}_foot"):
            j = CANONICAL.index(name)
            spot = world[:, j].mean(axis=0)
            if plant.position is not None and name.endswith("ankle"):
                spot[:2] = plant.position
            spot[2] = FOOT_REST_HEIGHTS[name]
            d[:, j] = spot - world[:, j]
        return d * plant.weight

    def _project_paths(self, traj: Trajectory) -> None:
        """Root paths and facing exactly on target, corrections interpolated in between."""
        for p in self.cset.paths:
            w = min(1.0, self.opt.strength * p.weight)
            frames, xy, z = self.path_targets(p)
            traj.root[:] += w * interp_correction(frames, xy - traj.root[frames], len(traj.root), fps=self.fps)
            has_z = ~np.isnan(z)
            if has_z.any():
                traj.height += w * interp_correction(frames[has_z], z[has_z] - traj.height[frames[has_z]],
                                                      len(traj.height), keep_start=False,
                                                      fps=self.fps)  # fmt: skip
            if len(p.facing):
                ff = np.minimum([frame_at(t, self.fps) for t in p.facing[:, 0]], len(traj.yaw) - 1)
                target = p.facing[:, 1] - self.frame.yaw
                err = (target - traj.yaw[ff] + np.pi) % (2 * np.pi) - np.pi
                traj.yaw[:] += w * interp_correction(np.asarray(ff), err, len(traj.yaw), fps=self.fps)


def _turn_step(traj: Trajectory, frames, joints, d: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Heading change (F,) that best realises displacements `d` (F, len(joints), 3) of `joints` by turning about
    the pelvis."""
    lever = traj.rel[np.ix_(frames, joints)][..., :2]
    c, s = np.cos(traj.yaw[frames, None]), np.sin(traj.yaw[frames, None])
    wx = c * lever[..., 0] - s * lever[..., 1]
    wy = s * lever[..., 0] + c * lever[..., 1]
    num = np.sum(-d[..., 0] * wy + d[..., 1] * wx, axis=1)
    return num / (np.sum((wx**2 + wy**2) * active, axis=1) + 1e-6)


def _mean_over(d: np.ndarray, active: np.ndarray) -> np.ndarray:
    n = active.sum(axis=1)
    return d.sum(axis=1) / np.maximum(n, 1)[:, None]
