"""Foot planting: a foot in contact stays put (ankle and ball), the legs follow by IK, the pelvis lowers when needed.

Contact (per foot joint, kinematics.contact's thresholds): the joint is low
and either the model predicts contact for it (its contact channel, unless the
joint moves faster than PREDICTED_MAX_SPEED there, which no planted foot does)
or it is still.

Contact runs become *plants* (`plants`): flickers closed, a run cut where the
model slid the foot HOLD_RADIUS away (a sliding foot becomes a few steps),
STEP_S left between plants, and a plant held while the joint stays low and
close to its spot. A plant holds one spot (its mean ground position, at the
joint's standing height). Between two plants the foot keeps its own swing
plus a ground offset moving from one plant's offset to the next along a
minimum-jerk curve, easing out of and into the plants at zero speed; a move
on the floor is lifted (a step, not a slide: higher for a longer step, at
most LIFT), and a swing that grazes the floor faster than a contact moves
is lifted to CLEARANCE (within the contact height it reads as a slide).
These pieces can be sharp when plants are close in time, so the moves off
the plants, and the leg rotations that follow them, are made least-jerk
(kinematics.spline, GOAL_CUTOFF_HZ / LEG_CUTOFF_HZ) with the plants exact:
planting without that took the mean jerk of the output from 0.9x to 1.4x
the real clips' (quick benchmark). Where a planted
ankle is farther from its hip than REACH of the leg, the pelvis lowers
(smoothly, at most MAX_DROP); the leg IK is soft near full stretch, so the
knee never snaps straight. On request (`lift_out_of_reach`: the cast clean-up's
last re-planting, whose root is held), the start or end of a plant farther
than RELEASE of the leg from the hip is lifted straight up from its spot
until the leg reaches it (eased into the swing next to it): pulled onto the
floor, the straight leg left the ankle up and the foot pivoted on its sliding
ball (the high five's reach). Feet never go below their standing height.
Only leg rotations and the root height change: bone lengths stay exact.

`pinned` frames (a keyframe's: the standing start and end) are plants of
their own, on the spot where the foot is on that frame: a foot that has to
get there from elsewhere steps there (lifted as any move between plants),
instead of being dragged over the floor by the keyframe's fade afterwards.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import quaternion as quat
from ..motion import Motion
from ..skeleton import CANONICAL, FOOT_INDICES
from . import contact
from .filters import minimum_jerk, moving_average
from .fk import fk, path_fk
from .ik import turn_matrix, two_bone
from .spline import least_jerk

PREDICTED_MAX_SPEED = 1.5  # m/s: a predicted contact moving faster than this is a swing the model mislabelled
FLICKER_S = 0.1  # s: contact gaps this short are closed
HOLD_RADIUS = 0.1  # m: a plant ends where the model has slid the joint this far from where it began
STEP_S = 0.2  # s: the shortest move from one plant to the next
PIN_STEP_S = 0.4  # s: ... into or out of a pinned plant (a deliberate step into a pose, not a stride)
FADE_S = 0.25  # s: easing out of / into a plant
LIFT_MIN = 0.05  # m: a move between plants longer than this is a step, lifted off the floor ...
LIFT_BASE, LIFT_PER_M, LIFT = 0.08, 0.3, 0.16  # ... by LIFT_BASE + LIFT_PER_M x its length (m), at most LIFT
REACH = 0.995  # of the leg's length: beyond this the pelvis lowers
SOFT = 0.97  # leg reaches beyond this fraction of its length approach full length smoothly
MAX_DROP = 0.12  # m
RELEASE = 0.99  # of the leg's length: lift_out_of_reach lifts a plant's start or end farther than this
CLEARANCE = 0.06  # m above standing height: a swing foot moving over the floor is lifted at least this high
GOAL_CUTOFF_HZ = 4.0  # moves between plants keep what changes slower than this (a stride), lose the kinks
LEG_CUTOFF_HZ = 5.0  # and so do the leg rotations that follow them
_J = {n: i for i, n in enumerate(CANONICAL.names)}
#: side -> (hip, ankle, ball, column of the ankle in FOOT_JOINTS order)
SIDES = {side: (_J[f"{side}_hip"], _J[f"{side}_ankle"], _J[f"{side}_foot"], 2 * k)
         for k, side in enumerate(("left", "right"))}  # fmt: skip
LEG = {s: float(np.linalg.norm(CANONICAL.offsets[_J[f"{s}_knee"]]) + np.linalg.norm(CANONICAL.offsets[a]))
       for s, (_, a, _, _) in SIDES.items()}  # fmt: skip
REST = contact.FOOT_REST  # standing heights of the foot joints, FOOT_JOINTS order


def foot_contacts(motion: Motion, positions: np.ndarray | None = None) -> np.ndarray:
    """(T, 4) bool contacts of the foot joints (FOOT_JOINTS order): low, and predicted or still."""
    pos = motion.positions() if positions is None else positions
    feet = pos[:, list(FOOT_INDICES)]
    low = contact.low(feet[..., 2], REST)
    still = contact.still(feet, motion.fps)
    if motion.contacts is None or len(feet) < 2:
        return low & still
    speed = np.empty(feet.shape[:2])
    v = contact.horizontal_speed(feet, motion.fps)
    speed[1:], speed[0] = v, v[0]
    predicted = (motion.contacts > 0.5) & (speed < PREDICTED_MAX_SPEED)
    return low & (predicted | still)


def plant_feet(motion: Motion, contacts: np.ndarray | None = None, lower_pelvis: bool = True,
               hold_radius: float = HOLD_RADIUS, pinned: np.ndarray | None = None,
               lift_out_of_reach: bool = False) -> Motion:  # fmt: skip
    """A copy of `motion` with the feet planted wherever they are in contact (`contacts`: foot_contacts').

    Without `lower_pelvis` the root stays exactly where it is (a plant out of reach is then met as far as the leg
    reaches): for a last pass after the upper body was put on its targets. `hold_radius`: a contact run is cut
    where the foot slid this far (inf: each run is one plant, for contacts that are a planned gait). `pinned`
    (T,) bool: frames whose low foot joints are planted exactly where they are (a keyframe's pose).
    `lift_out_of_reach`: a plant's start or end the leg cannot reach is lifted straight up from its spot instead
    (_lift_out_of_reach), not met as far as the leg reaches (the foot pivots on its ball there, which slides)."""
    n, fps = motion.num_frames, motion.fps
    pinned = np.zeros(n, bool) if pinned is None else np.asarray(pinned, bool)
    if n < 2:
        return motion.copy()
    pos, world = fk(motion.rotations, motion.root_translation)
    contacts = foot_contacts(motion, pos) if contacts is None else np.asarray(contacts, bool)
    fade = max(1, int(round(FADE_S * fps)))
    goals = {side: _foot_goals(pos[:, ankle], pos[:, ball], contacts[:, col], contacts[:, col + 1], col, fps, fade,
                               hold_radius, pinned)
             for side, (_, ankle, ball, col) in SIDES.items()}  # fmt: skip
    root = motion.root_translation.copy()
    if lower_pelvis:
        root[:, 2] -= _pelvis_drop(pos, goals, fade)
    if lift_out_of_reach:
        shift = root - motion.root_translation  # the hips move with the root
        goals = {side: _lift_out_of_reach(pos[:, SIDES[side][0]] + shift, g, side, pinned, fade)
                 for side, g in goals.items()}  # fmt: skip
    lowered = root[:, 2] != motion.root_translation[:, 2]
    rot = motion.rotations.copy()
    for side, (hip, ankle, ball, _) in SIDES.items():
        ankle_goal, ball_goal, planted = goals[side]
        moved = (np.abs(ankle_goal - pos[:, ankle]).max(axis=-1) > 1e-7) | lowered
        moved |= np.abs(ball_goal - pos[:, ball]).max(axis=-1) > 1e-7
        if moved.any():
            rot[moved] = _solve_leg(rot[moved], root[moved], world[moved, ankle], ankle, ball, ankle_goal[moved],
                                    ball_goal[moved])  # fmt: skip
            rot = _smooth_leg(rot, [hip, CANONICAL.parents[ankle], ankle], planted, fps)
            rot = _above_floor(rot, root, side)
    return replace(motion, rotations=quat.normalize(rot), root_translation=root)


def _above_floor(rot: np.ndarray, root: np.ndarray, side: str) -> np.ndarray:
    """Frames where smoothing took the ankle or ball below its standing height, solved again with it there."""
    _, ankle, ball, col = SIDES[side]
    _, _, world, pos = path_fk(rot, root, ball)  # the leg's chain only: pelvis, hip, knee, ankle, ball
    a_goal, b_goal = pos[:, -2].copy(), pos[:, -1].copy()
    a_goal[:, 2] = np.maximum(a_goal[:, 2], REST[col])
    b_goal[:, 2] = np.maximum(b_goal[:, 2], REST[col + 1])
    low = np.flatnonzero((a_goal[:, 2] > pos[:, -2, 2]) | (b_goal[:, 2] > pos[:, -1, 2]))
    if len(low):
        rot = rot.copy()
        rot[low] = _solve_leg(rot[low], root[low], world[low, -2], ankle, ball, a_goal[low], b_goal[low])
    return rot


def _smooth_leg(rot: np.ndarray, joints: list[int], planted: np.ndarray, fps: float) -> np.ndarray:
    """Leg rotations made least-jerk (LEG_CUTOFF_HZ) off the plants: IK onto goals that are smooth in position can
    still turn a nearly straight knee sharply (the knee's sideways place changes fastest there)."""
    rot = rot.copy()
    leg = quat.continuous(rot[:, joints])
    flat = least_jerk(leg.reshape(len(rot), -1), planted, LEG_CUTOFF_HZ, fps)
    rot[:, joints] = flat.reshape(leg.shape)
    return rot


def plants(p: np.ndarray, mask: np.ndarray, fps: float, rest: float, hold_radius: float = HOLD_RADIUS,
           pinned: np.ndarray | None = None) -> list[tuple[int, int]]:  # fmt: skip
    """[start, stop) frame ranges of the plants of one foot joint (positions (T, 3), contact mask (T,)); each
    `pinned` frame where the joint is low is a plant of its own (it may grow by the frames held next to it)."""
    flicker = int(round(FLICKER_S * fps))
    merged: list[list[int]] = []
    for a, b in contact.contact_runs(mask):
        if merged and a - merged[-1][1] <= flicker:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:  # a sliding foot becomes a few plants
        start = a
        while True:
            far = np.flatnonzero(np.linalg.norm(p[start + 1 : b, :2] - p[start, :2], axis=-1) > hold_radius)
            if not len(far):
                break
            out.append([start, start + 1 + int(far[0])])
            start = out[-1][1]
        out.append([start, b])
    low = contact.low(p[:, 2], rest)
    pins = set() if pinned is None else {int(f) for f in np.flatnonzero(np.asarray(pinned) & low)}
    out = _split_at(out, pins)
    step, pin_step = (max(1, int(round(s * fps))) for s in (STEP_S, PIN_STEP_S))

    def is_pin(span: list[int]) -> bool:
        return span[0] in pins and span[1] == span[0] + 1

    for k in range(1, len(out)):  # room to move from one plant to the next (a pinned plant keeps its frame)
        pin_a, pin_b = is_pin(out[k - 1]), is_pin(out[k])
        short = (pin_step if pin_a or pin_b else step) - (out[k][0] - out[k - 1][1])
        if short > 0 and not (pin_a and pin_b):
            cut = 0 if pin_a else short if pin_b else (short + 1) // 2
            out[k - 1][1] -= cut
            out[k][0] += short - cut
    out = [[a, b] for a, b in out if b > a]
    gaps = [pin_step if is_pin(x) or is_pin(y) else step for x, y in zip(out, out[1:], strict=False)]
    for k, (a, b) in enumerate(out):  # still on the floor next to a plant, and close to it: held too
        first = min(a, out[k - 1][1] + gaps[k - 1]) if k else 0  # (a plant cut away may leave less room)
        stop = max(b, out[k + 1][0] - gaps[k]) if k + 1 < len(out) else len(p)
        spot = p[a:b, :2].mean(axis=0)
        close = low[first:stop] & (np.linalg.norm(p[first:stop, :2] - spot, axis=-1) < HOLD_RADIUS)
        while a > first and close[a - 1 - first]:
            a -= 1
        while b < stop and close[b - first]:
            b += 1
        out[k] = [a, b]
    return [(a, b) for a, b in out]


def _split_at(spans: list[list[int]], pins: set[int]) -> list[list[int]]:
    """Spans with every pinned frame a one-frame span of its own (the span around it cut there)."""
    out = []
    for a, b in spans:
        inside = sorted(f for f in pins if a <= f < b)
        for f in inside:
            if f > a:
                out.append([a, f])
            a = f + 1
        if b > a:
            out.append([a, b])
    out.extend([f, f + 1] for f in pins)
    return sorted(out)


def _joint_goal(p: np.ndarray, mask: np.ndarray, rest: float, fps: float, fade: int, hold_radius: float,
                pinned: np.ndarray | None = None):  # fmt: skip
    """Goal (T, 3) of one foot joint, the weight of its height goal (T,), the lift between its plants (T,) and
    where it is planted (T,)."""
    n = len(p)
    offset = np.zeros((n, 2))
    held = np.zeros(n, bool)
    lift = np.zeros(n)
    spans = plants(p, mask, fps, rest, hold_radius, pinned)
    pins = np.zeros(n, bool) if pinned is None else np.asarray(pinned, bool)
    for k, (a, b) in enumerate(spans):
        at = np.flatnonzero(pins[a:b])
        spot = p[a + at[0], :2] if len(at) else p[a:b, :2].mean(axis=0)  # a pinned plant: where the pose has it
        offset[a:b] = spot - p[a:b, :2]
        held[a:b] = True
        if k:
            e = spans[k - 1][1]
            step = float(np.linalg.norm(spot - (p[e - 1, :2] + offset[e - 1])))
            if step > LIFT_MIN:  # a step, not a slide: higher for a longer step
                lift[e:a] = (
                    min(LIFT, LIFT_BASE + LIFT_PER_M * step)
                    * np.sin(np.pi * (np.arange(e, a) - e + 1) / (a - e + 1)) ** 2
                )
    goal = p.copy()
    if not held.any():
        return goal, np.zeros(n), lift, held
    t = np.arange(n)
    first, last = np.flatnonzero(held)[[0, -1]]
    outside = np.maximum(np.maximum(first - t, t - last), 0)
    goal[:, :2] += _between(offset, held) * minimum_jerk(1.0 - outside / (fade + 1))[:, None]
    ease = _near(held, fade)[:, None]  # leave and meet a plant at zero speed
    goal[:, :2] += ease * (_between(goal[:, :2], held) - goal[:, :2])
    goal[held, 2] = rest
    return goal, _near(held, fade), lift, held


def _foot_goals(ankle, ball, ankle_down, ball_down, col: int, fps: float, fade: int, hold_radius: float,
                pinned: np.ndarray | None = None):  # fmt: skip
    """Goals (T, 3) of one foot's ankle and ball, and where the ankle is planted (T,); with the heel up the foot
    hangs from its planted ball; a swing that grazes the floor is lifted to CLEARANCE."""
    a_goal, a_weight, a_lift, a_held = _joint_goal(ankle, ankle_down, REST[col], fps, fade, hold_radius, pinned)
    b_goal, b_weight, b_lift, b_held = _joint_goal(ball, ball_down, REST[col + 1], fps, fade, hold_radius, pinned)
    lift = np.maximum(a_lift, b_lift)
    b_goal[:, 2] = ball[:, 2] + b_weight * (b_goal[:, 2] - ball[:, 2])
    heel_up = b_held & ~a_held  # the plants, not the raw contacts: a flicker inside a plant is no heel lift
    a_goal[heel_up] = ankle[heel_up] + (b_goal[heel_up] - ball[heel_up])
    a_goal[:, 2] = ankle[:, 2] + a_weight * (a_goal[:, 2] - ankle[:, 2])
    a_goal[:, 2] = np.maximum(a_goal[:, 2], REST[col] + lift)
    b_goal[:, 2] = np.maximum(b_goal[:, 2], REST[col + 1] + lift)
    skim = _skimming(a_goal, a_held, REST[col], fps) | _skimming(b_goal, b_held, REST[col + 1], fps)
    clear = CLEARANCE * _near(skim, fade)
    a_goal[:, 2] = np.maximum(a_goal[:, 2], REST[col] + np.where(a_held, 0.0, clear))
    b_goal[:, 2] = np.maximum(b_goal[:, 2], REST[col + 1] + np.where(b_held, 0.0, clear))
    planted = a_held
    return _ease(a_goal, ankle, a_held, REST[col], fps), _ease(b_goal, ball, b_held, REST[col + 1], fps), planted


def _skimming(goal: np.ndarray, held: np.ndarray, rest: float, fps: float) -> np.ndarray:
    """(T,) frames where an unplanted foot joint moves over the floor faster than a contact does: a swing that
    grazes the floor (it reads as a slide)."""
    speed = np.zeros(len(goal))
    if len(goal) > 1:
        v = contact.horizontal_speed(goal, fps)
        speed[1:], speed[0] = v, v[0]
        speed[:-1] = np.maximum(speed[:-1], v)
    return ~held & contact.low(goal[:, 2], rest) & (speed > contact.SPEED)


def _ease(goal: np.ndarray, p: np.ndarray, held: np.ndarray, rest: float, fps: float) -> np.ndarray:
    """The goal's moves off the plants made least-jerk (kinematics.spline), plants and untouched frames exact,
    never below the joint's standing height."""
    fixed = held | np.all(goal == p, axis=-1)
    out = least_jerk(goal, fixed, GOAL_CUTOFF_HZ, fps)
    out[:, 2] = np.maximum(out[:, 2], np.minimum(goal[:, 2], rest))
    return out


def _nearest(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the nearest frame where `mask` holds, and the distance to it in frames (mask holds somewhere)."""
    idx = np.flatnonzero(mask)
    t = np.arange(len(mask))
    after = idx[np.clip(np.searchsorted(idx, t), 0, len(idx) - 1)]
    before = idx[np.clip(np.searchsorted(idx, t, side="right") - 1, 0, len(idx) - 1)]
    nearest = np.where(np.abs(before - t) <= np.abs(after - t), before, after)
    return nearest, np.abs(nearest - t)


def _near(mask: np.ndarray, fade: int) -> np.ndarray:
    """Weight 1 where `mask` holds, falling to 0 `fade` frames away along a minimum-jerk curve."""
    if not mask.any():
        return np.zeros(len(mask))
    return minimum_jerk(1.0 - _nearest(mask)[1] / (fade + 1))


def _between(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`values` where `mask` holds; between two such stretches a minimum-jerk move from the last value of one to
    the first of the next; before the first and after the last the nearest value."""
    idx = np.flatnonzero(mask)
    t = np.arange(len(mask))
    before = idx[np.clip(np.searchsorted(idx, t, side="right") - 1, 0, len(idx) - 1)]
    after = idx[np.clip(np.searchsorted(idx, t), 0, len(idx) - 1)]
    before = np.where(before > t, after, before)
    after = np.where(after < t, before, after)
    u = minimum_jerk((t - before) / np.maximum(after - before, 1))
    return values[before] + u[:, None] * (values[after] - values[before])


def _lift_out_of_reach(hip: np.ndarray, goals: tuple, side: str, pinned: np.ndarray, fade: int) -> tuple:
    """A foot's goals (ankle, ball, planted) with the frames at the start or end of a plant (next to a swing, not at
    the clip's ends) whose ankle goal is farther than RELEASE of the leg from the hip (`hip` (T, 3)) raised until it
    is not, the whole foot straight up over its spot, eased into the swing over `fade` frames: a foot pulled onto a
    plant the straight leg cannot reach pivots on its ball, which slides (the high five's toe-off at 2.6 s), while a
    lifted one leaves the floor from its spot. A plant out of reach all through stays as it was."""
    ankle, ball, planted = goals
    d = ankle - hip
    room = np.sqrt(np.maximum((RELEASE * LEG[side]) ** 2 - np.sum(d[:, :2] ** 2, axis=-1), 0.0))
    need = np.clip(-d[:, 2] - room, 0.0, LIFT) * (planted & ~pinned)  # -d_z: the height from hip to ankle
    lift, t = np.zeros(len(need)), np.arange(len(need))
    for a, b in contact.contact_runs(planted):
        far = need[a:b] > 0
        if far.all():  # no frame of it within reach: the plant stays (the leg reaches as far as it can)
            continue
        if a > 0 and far[0]:  # a landing: the foot comes down where the leg first reaches the plant
            k = a + int(np.argmin(far))
            lift[a:k] = need[a:k]
            lift[:a] = np.maximum(lift[:a], need[a] * minimum_jerk(1.0 - (a - t[:a]) / (fade + 1)))
        if b < len(need) and far[-1]:  # a take-off: the foot goes up from where the leg last reaches the plant
            k = b - int(np.argmin(far[::-1]))
            lift[k:b] = need[k:b]
            lift[b:] = np.maximum(lift[b:], need[b - 1] * minimum_jerk(1.0 - (t[b:] - b + 1) / (fade + 1)))
    if not lift.any():
        return goals
    ankle, ball = ankle.copy(), ball.copy()
    col = SIDES[side][3]
    ankle[:, 2] = np.maximum(ankle[:, 2], REST[col] + lift)
    ball[:, 2] = np.maximum(ball[:, 2], REST[col + 1] + lift)
    return ankle, ball, planted


def _pelvis_drop(pos: np.ndarray, goals: dict, fade: int) -> np.ndarray:
    """(T,) how far the pelvis lowers so both ankle goals are within REACH of their hips, smooth over time."""
    need = np.zeros(len(pos))
    for side, (hip, ankle, _, _) in SIDES.items():
        d = goals[side][0] - pos[:, hip]
        flat = np.linalg.norm(d[:, :2], axis=-1)
        room = np.sqrt(np.maximum((REACH * LEG[side]) ** 2 - flat**2, 0.0))
        moved = np.linalg.norm(goals[side][0] - pos[:, ankle], axis=-1) > 1e-3  # a leg left as it was needs nothing
        need = np.maximum(need, np.where(moved, -d[:, 2] - room, 0.0))  # -d_z: the height from hip to ankle
    need = np.clip(need, 0.0, MAX_DROP)
    if not need.any():
        return need
    width = 2 * fade + 1
    held = np.lib.stride_tricks.sliding_window_view(np.pad(need, fade, mode="edge"), width).max(axis=1)
    return moving_average(held, width)  # >= need everywhere: each average covers the frame's own maximum


def _solve_leg(rot, root, ankle_world, ankle: int, ball: int, ankle_goal, ball_goal) -> np.ndarray:
    """Soft two-bone leg IK onto the ankle goal; the foot keeps its world orientation, turned so the ball goes
    towards its goal at exactly the goal's height (the foot's length cannot match every pair of goals)."""
    rot = two_bone(rot, root, ankle, ankle_goal, SOFT)
    _, _, w, p = path_fk(rot, root, ankle)
    length = float(np.linalg.norm(CANONICAL.offsets[ball]))
    ball_now = ankle_world @ CANONICAL.offsets[ball]
    rise = np.clip(ball_goal[:, 2] - p[:, -1, 2], -length, length)
    flat = ball_goal[:, :2] - p[:, -1, :2]
    flat_len = np.linalg.norm(flat, axis=-1, keepdims=True)
    flat = np.where(flat_len > 1e-9, flat / np.maximum(flat_len, 1e-9), ball_now[:, :2])
    flat /= np.maximum(np.linalg.norm(flat, axis=-1, keepdims=True), 1e-9)
    want = np.concatenate([flat * np.sqrt(length**2 - rise**2)[:, None], rise[:, None]], axis=-1)
    foot = turn_matrix(ball_now, want) @ ankle_world
    rot[:, ankle] = quat.from_matrix(np.swapaxes(w[:, -2], -1, -2) @ foot)
    return rot
