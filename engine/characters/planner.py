"""Crowd path planning: each agent walks from its start to its goal without coming near the others.

All agents move together on a time grid (DT). Every step each picks, among
headings all round and a few speeds, the velocity that best trades "straight
at my goal at my speed" against time to collision with every other agent
(discs `spacing` across). Avoidance is reciprocal as in RVO (van den Berg
et al. 2008): against a walking agent each assumes the other does half of
the dodging, against a standing one (waiting for its start delay, or
arrived) it does all of it. The path is smoothed afterwards so the model
follows a curve, not a zig-zag; a plan that still comes too close is
reported (min_distance), not hidden. Cost is O(steps x agents^2 x candidates),
vectorised per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DT = 0.1  # s between plan points
HEADINGS = np.deg2rad(np.arange(-180, 180, 15))  # relative to the goal direction
SPEED_FACTORS = (1.0, 0.7, 0.4)
COLLISION_WEIGHT = 1.0  # s: cost of a collision 1 s ahead (beyond the horizon: none) vs a full turn from the goal
HORIZON = 2.0  # s: collisions farther ahead than this cost nothing yet
SMOOTH_S = 0.25  # s: Gaussian smoothing of the planned path (no zig-zags for the model to follow)
STEP_ASIDE = 0.5  # of its speed: how fast an agent at its goal may move out of someone's way
#: cost per unit of speed (relative to the agent's own) against the goal direction: a dodge that walks back reads as
#: a loop (the example crowd, seeds 0-7: 23 half-second plan steps went back, 5 with this; spacing unchanged)
BACKWARD_WEIGHT = 1.0
#: a small extra cost for dodging left: everyone passes on the right, so two agents meeting head-on
#: do not mirror each other's dodges (the classic deadlock of reciprocal avoidance)
SIDE_BIAS = np.concatenate([np.repeat(np.where((HEADINGS > 1e-6) & (HEADINGS < np.pi - 1e-6), 0.15, 0.0),
                                      len(SPEED_FACTORS)), [0.0]])  # fmt: skip


@dataclass
class Agent:
    start: np.ndarray  # (2,)
    goal: np.ndarray  # (2,)
    speed: float  # preferred m/s
    delay: float  # s standing at the start before walking


@dataclass
class Plan:
    times: np.ndarray  # (K,) seconds
    paths: np.ndarray  # (N, K, 2) ground positions
    min_distance: float  # smallest distance between two agents over the plan (inf for one agent)


def plan_paths(agents: list[Agent], seconds: float, spacing: float) -> Plan:
    """Collision-avoiding paths for every agent over [0, seconds]."""
    steps = int(np.ceil(seconds / DT - 1e-9)) + 1
    n = len(agents)
    pos = np.stack([a.start for a in agents]).astype(np.float64)
    goal = np.stack([a.goal for a in agents]).astype(np.float64)
    speed = np.array([a.speed for a in agents])
    wait = np.array([int(round(a.delay / DT)) for a in agents])
    vel = np.zeros((n, 2))
    paths = np.empty((n, steps, 2))
    for k in range(steps):
        paths[:, k] = pos
        to_goal = goal - pos
        dist = np.linalg.norm(to_goal, axis=-1)
        moving = k >= wait  # arrived agents still step aside for others, then return to their goal
        if not moving.any() or k == steps - 1:
            vel[:] = 0.0
            continue
        vel = np.where(moving[:, None], _choose(pos, vel, to_goal, dist, speed, moving, spacing), 0.0)
        pos = pos + vel * DT
    paths = np.stack([_smooth(paths[i], wait[i]) for i in range(n)])
    return Plan(np.minimum(np.arange(steps) * DT, seconds), paths, _closest(paths))


def _choose(pos, vel, to_goal, dist, speed, moving, spacing) -> np.ndarray:
    """(N, 2) velocities: per agent, the candidate with the least deviation + collision cost."""
    pref_speed = np.minimum(speed, dist / DT)
    base = np.arctan2(to_goal[:, 1], to_goal[:, 0])
    ang = base[:, None, None] + HEADINGS[None, :, None]  # (N, H, 1)
    reach = np.maximum(pref_speed, STEP_ASIDE * speed)  # near its goal an agent can still step aside
    mag = reach[:, None, None] * np.asarray(SPEED_FACTORS)[None, None, :]  # (N, 1, S)
    cand = np.stack([np.cos(ang) * mag, np.sin(ang) * mag], -1).reshape(len(pos), -1, 2)
    cand = np.concatenate([cand, np.zeros((len(pos), 1, 2))], axis=1)  # (N, C, 2)
    goal_dir = to_goal / np.maximum(dist, 1e-9)[:, None]
    pref = goal_dir * pref_speed[:, None]
    # relative motion of i against j if i takes a candidate: reciprocal (RVO) against walking agents
    share = moving.astype(np.float64)[None, None, :, None]  # (1, 1, N, 1)
    rel_v = cand[:, :, None] + share * (cand[:, :, None] - vel[:, None, None]) - vel[None, None, :]  # (N, C, N, 2)
    rel_p = (pos[:, None] - pos[None])[:, None]  # (N, 1, N, 2): i minus j
    ttc = _time_to_collision(rel_p, rel_v, spacing)
    n = len(pos)
    ttc[np.arange(n), :, np.arange(n)] = np.inf
    soonest = ttc.min(axis=2)  # (N, C)
    cost = np.linalg.norm(cand - pref[:, None], axis=-1) / speed[:, None] + SIDE_BIAS
    back = np.maximum(-np.sum(cand * goal_dir[:, None], axis=-1), 0.0)  # speed against the goal
    cost = cost + BACKWARD_WEIGHT * back / speed[:, None]
    cost = cost + COLLISION_WEIGHT * np.maximum(1.0 / np.maximum(soonest, 1e-3) - 1.0 / HORIZON, 0.0)
    return cand[np.arange(n), np.argmin(cost, axis=1)]


def _time_to_collision(p: np.ndarray, v: np.ndarray, spacing: float) -> np.ndarray:
    """Seconds until two discs `spacing` apart (centres) touch, given relative position p and velocity v;
    inf if never; ~0 while they overlap and still close in (moving apart from an overlap is free)."""
    a = np.sum(v * v, -1)
    b = 2.0 * np.sum(p * v, -1)
    c = np.sum(p * p, -1) - spacing**2
    disc = b * b - 4.0 * a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (-b - np.sqrt(np.maximum(disc, 0.0))) / (2.0 * a)
    t = np.where((disc > 0) & (b < 0) & (a > 1e-12), t, np.inf)
    overlap = c < 0
    return np.where(overlap, np.where(b < 0, 1e-3, np.inf), np.where(t >= 0, t, np.inf))


def _smooth(path: np.ndarray, hold: int) -> np.ndarray:
    """Gaussian-smoothed path; the waiting frames and both ends stay where they are."""
    sigma = SMOOTH_S / DT
    radius = int(3 * sigma + 0.5)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(path, ((radius, radius), (0, 0)), mode="edge")
    out = np.stack([np.convolve(padded[:, a], kernel, mode="valid") for a in range(2)], -1)
    out[: hold + 1] = path[: hold + 1]
    out[-1] = path[-1]
    return out


def _closest(paths: np.ndarray) -> float:
    if len(paths) < 2:
        return float("inf")
    d = np.linalg.norm(paths[:, None] - paths[None], axis=-1)  # (N, N, K)
    d[np.arange(len(paths)), np.arange(len(paths))] = np.inf
    return float(d.min())
