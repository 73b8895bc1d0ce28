"""Steps for a body that guidance slides over the floor.

A contact walks a character over to its partner by moving its root while
sampling. When the model keeps that character standing (the high five's
prompts do: even under an explicit root path the model slid the body 1.2 m
with both ankles on the floor), the sampled body glides with both feet down,
and foot planting then lifts both feet at once: a 1 m hop, and skating where
it lands. Here each stretch where both feet are down and slide along with a
moving body becomes a walk: the feet take turns, one planted while the other
steps, a step per STEP_M of the pelvis' travel (none shorter than STEP_MIN_S),
the trailing foot first; foot planting (kinematics.feet) holds each planted
foot on one spot, moves the other between its spots, and the legs follow.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..kinematics import contact
from ..kinematics.feet import SIDES, foot_contacts, plant_feet
from ..kinematics.filters import gaussian
from ..motion import Motion

GLIDE_SPEED = 0.15  # m/s: a body moving this fast over the floor with both feet down is gliding
MIN_GLIDE_S = 0.4  # s: a shorter glide is a shift of weight, left to foot planting
STEP_M = 0.35  # m of the pelvis' travel per step: at 0.45 a planted foot is near full stretch at landing and takeoff
STEP_MIN_S = 0.45  # s: the quickest step
SWING_SHARE = 0.85  # of a step's time the stepping foot is off the floor; the rest is double support
GAP_S = 0.5  # s: glides this close together are one walk (the feet keep alternating across the gap)
REST_S = 1.0  # s: a walk that starts this soon after the last step's landing steps with the other foot
SPEED_SIGMA_S = 0.1  # s: the body's speed is smoothed this much before it is compared with GLIDE_SPEED


def step_glides(motion: Motion) -> Motion:
    """A copy of `motion` whose glides (both feet down, sliding with the body) are walked instead; the contacts
    it carries then say which foot is down. Unchanged when there is no glide."""
    fps = motion.fps
    pos = motion.positions()
    down = foot_contacts(motion, pos)
    runs = glides(pos, fps)
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


def glides(pos: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """[start, stop) frame ranges of at least MIN_GLIDE_S where the pelvis moves faster than GLIDE_SPEED over
    the floor while both ankles are low and slide along with it (at least half its speed)."""
    if len(pos) < 3:
        return []
    body = _speed(pos[:, 0], fps)
    on = body > GLIDE_SPEED
    for _, ankle, _, col in SIDES.values():
        on &= contact.low(pos[:, ankle, 2], contact.FOOT_REST[col]) & (_speed(pos[:, ankle], fps) > 0.5 * body)
    runs: list[list[int]] = []
    for a, b in contact.contact_runs(on):
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
