"""Steps for a body that slides over the floor with both feet down.

Some motions glide: the whole body travels while both feet stay in contact
and slide along with it. The model does it for prompts it keeps standing
(`"a person punches forward"` drifts 0.6-1.3 m in 5 s with both feet down
all along), and guidance does it when it walks a character of a cast over
to its partner (the high five's: even under an explicit root path the model
slid the body 1.2 m with both ankles on the floor). Foot planting alone
turns such a glide into quick shuffles (a plant cut every HOLD_RADIUS of
sliding: the punch's knees at 6 x their jerk) or, for a fast one, a hop
with both feet at once. Here each stretch of at least MIN_GLIDE_S where
both feet are in contact (kinematics.feet's contact model) and slide along
with a moving body becomes a walk: the feet take turns, one planted while
the other steps, a step per STEP_M of the pelvis' travel (none shorter than
STEP_MIN_S), the trailing foot first; foot planting holds each planted foot
on one spot, moves the other between its spots, and the legs follow. The
body's path is kept. A body whose feet already take turns (a walk, a run:
a foot leaves contact within every MIN_GLIDE_S) is left to foot planting.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..motion import Motion
from . import contact
from .feet import SIDES, foot_contacts, plant_feet
from .filters import gaussian

GLIDE_SPEED = 0.15  # m/s: a body moving this fast over the floor with both feet down is gliding
MIN_GLIDE_S = 0.4  # s: a shorter glide is a shift of weight, left to foot planting
STEP_M = 0.35  # m of the pelvis' travel per step: at 0.45 a planted foot is near full stretch at landing and takeoff
STEP_MIN_S = 0.45  # s: the quickest step
SWING_SHARE = 0.85  # of a step's time the stepping foot is off the floor; the rest is double support
GAP_S = 0.5  # s: glides this close together are one walk (the feet keep alternating across the gap)
REST_S = 1.0  # s: a walk that starts this soon after the last step's landing steps with the other foot
SPEED_SIGMA_S = 0.1  # s: the body's speed is smoothed this much before it is compared with GLIDE_SPEED


def step_glides(motion: Motion, low_is_down: bool = False, positions: np.ndarray | None = None) -> Motion:
    """A copy of `motion` whose glides (both feet down, sliding with the body) are walked instead; the contacts
    it carries then say which foot is down. Unchanged when there is no glide. `low_is_down`: a foot is down
    wherever its ankle is low, however fast it slides (for a body that guidance moved while the model kept it
    standing); otherwise the contact model decides (kinematics.feet.foot_contacts). `positions`: the motion's
    joint positions when the caller has them."""
    fps = motion.fps
    pos = motion.positions() if positions is None else positions
    down = foot_contacts(motion, pos)
    runs = glides(pos, fps, None if low_is_down else down)
    if not runs:
        return motion
    gait = down.copy()
    last, until = None, -np.inf  # the foot that stepped last, and when it landed
    for a, b in runs:
        gait[a:b] = True
        first = None if a - until > REST_S * fps else next(s for s in SIDES if s != last)
        for side, lo, hi in swings(pos, a, b, fps, first):
            col = SIDES[side][3]
            gait[lo:hi, col : col + 2] = False
            last, until = side, hi
    out = plant_feet(motion, gait, hold_radius=np.inf)
    return replace(out, contacts=gait.astype(np.float64), metadata=motion.metadata)


def glides(pos: np.ndarray, fps: float, down: np.ndarray | None = None) -> list[tuple[int, int]]:
    """[start, stop) frame ranges where the pelvis moves faster than GLIDE_SPEED over the floor while both feet
    are down and their ankles slide along with it (at least half its speed); stretches less than GAP_S apart are
    one, and each is at least MIN_GLIDE_S long. `down`: (T, 4) foot-joint contacts (FOOT_JOINTS order; a foot is
    down when its ankle or ball is): only stretches of MIN_GLIDE_S or more are joined (between shorter ones the
    feet take turns: a gait of the body's own). Default: a foot is down where its ankle is low, and any stretch
    joins (guidance slid a body the model kept standing; its shuffles are part of one walk)."""
    if len(pos) < 3:
        return []
    body = _speed(pos[:, 0], fps)
    on = body > GLIDE_SPEED
    for _, ankle, _, col in SIDES.values():
        foot_down = (
            contact.low(pos[:, ankle, 2], contact.FOOT_REST[col])
            if down is None
            else down[:, col : col + 2].any(axis=1)
        )
        on &= foot_down & (_speed(pos[:, ankle], fps) > 0.5 * body)
    runs: list[list[int]] = []
    for a, b in contact.contact_runs(on):
        if down is not None and b - a < MIN_GLIDE_S * fps:
            continue  # a foot that leaves contact within MIN_GLIDE_S takes its own steps: no glide to join
        if runs and a - runs[-1][1] <= GAP_S * fps:
            runs[-1][1] = b  # a shuffle between two glides is part of one walk
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs if b - a >= MIN_GLIDE_S * fps]


def _speed(points: np.ndarray, fps: float) -> np.ndarray:
    """(T,) horizontal speed of a point at each frame, smoothed over SPEED_SIGMA_S."""
    v = contact.horizontal_speed(points, fps)
    return gaussian(np.concatenate([v[:1], v]), SPEED_SIGMA_S * fps)


def swings(pos: np.ndarray, a: int, b: int, fps: float, first: str | None = None) -> list[tuple[str, int, int]]:
    """(side, first frame, stop) of each step over the glide [a, b): one per STEP_M of the pelvis' ground
    travel, feet alternating, `first` first (default: the one behind along the travel); each step off the floor
    for SWING_SHARE of its time."""
    root = pos[a:b, 0, :2]
    travel = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(root, axis=0), axis=-1))])
    count = int(min(max(1, round(travel[-1] / STEP_M)), max(1, (b - a) // max(1, round(STEP_MIN_S * fps)))))
    edges = a + np.searchsorted(travel, np.linspace(0.0, travel[-1], count + 1))
    edges[-1] = b
    ahead = root[-1] - root[0]
    sides = sorted(SIDES, key=lambda s: float((pos[a, SIDES[s][1], :2] - pos[a, 0, :2]) @ ahead))
    if first is not None and sides[0] != first:
        sides.reverse()
    out = []
    for k in range(count):
        lo, hi = int(edges[k]), int(edges[k + 1])
        margin = int(round(0.5 * (1.0 - SWING_SHARE) * (hi - lo)))
        if hi - margin - (lo + margin) >= 2:
            out.append((sides[k % 2], lo + margin, hi - margin))
    return out
