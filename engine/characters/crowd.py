"""Crowd entries: `{"crowd": {...}}` in `characters`, expanded into agents with varied prompts and timing.

A crowd names how many people, what they may be doing (a prompt list; each
person draws one), where they start and where they go (explicit points or a
rectangle `{"min": [x, y], "max": [x, y]}` filled with people `spacing`
apart), and a seed. Each person gets its own speed (around `speed`) and
start delay (up to `start_spread` seconds) so the crowd does not march in
step; planner.py then plans the paths of all crowds together.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import RequestError
from ..limits import as_int
from .planner import Agent

FIELDS = {"count", "text", "from", "to", "seed", "spacing", "speed", "start_spread", "name"}
MAX_COUNT = as_int("crowd_count")  # engine.limits: the stated limits
DEFAULT_SPACING = 0.8  # m between pelvises
DEFAULT_START_SPREAD = 1.0  # s
SPEED_SPREAD = 0.15  # each person's speed is within +-15 % of the crowd's
ARRIVE_BY = 0.85  # of the clip: default speeds aim to reach the goal by then
FIT_TRIES = 400  # random placements tried per person before the area is called full


@dataclass
class Crowd:
    label: str
    prefix: str
    texts: list[str]
    agents: list[Agent]
    prompts: list[str]  # one per agent
    seeds: list[int]  # one per agent
    spacing: float


def parse_crowd(spec: Any, index: int, seconds: float, job_seed: int) -> Crowd:
    """Validate one crowd entry and draw its people (positions, goals, prompts, speeds, delays, seeds)."""
    label = f"characters[{index}] (crowd)"
    if not isinstance(spec, dict):
        raise RequestError(f"{label}: 'crowd' must be an object with count, text, from and to")
    unknown = sorted(set(spec) - FIELDS)
    if unknown:
        raise RequestError(f"{label}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}")
    count = spec.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise RequestError(f"{label}: count must be a whole number from 1 to {MAX_COUNT} (got {count!r})")
    texts = spec.get("text", "a person walks forward")
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
        raise RequestError(f"{label}: text must be a prompt or a non-empty list of prompts")
    seed = _int(spec.get("seed", job_seed + 1000 * (index + 1)), label, "seed")
    spacing = _positive(spec.get("spacing", DEFAULT_SPACING), label, "spacing", 10.0)
    spread = _positive(spec.get("start_spread", DEFAULT_START_SPREAD), label, "start_spread", seconds, zero=True)
    prefix = spec.get("name", f"crowd{index + 1}")
    if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,30}", prefix):
        raise RequestError(f"{label}: name must be letters, digits, '_' or '-' (got {prefix!r})")
    rng = np.random.default_rng(seed)
    starts = _places(spec.get("from"), count, spacing, rng, label, "from")
    goals = _places(spec.get("to"), count, spacing, rng, label, "to")
    goals = _match_lanes(starts, goals)
    delays = rng.uniform(0.0, spread, count) if spread > 0 else np.zeros(count)
    dist = np.linalg.norm(goals - starts, axis=-1)
    if spec.get("speed") is not None:
        base = np.full(count, _positive(spec["speed"], label, "speed", 3.0))
    else:  # arrive near the end (detours take time): walking the whole clip looks better than stopping halfway
        base = np.clip(dist / np.maximum(ARRIVE_BY * seconds - delays, 0.5), 0.5, 1.8)
    speeds = base * rng.uniform(1.0 - SPEED_SPREAD, 1.0 + SPEED_SPREAD, count)
    agents = [Agent(starts[i], goals[i], float(speeds[i]), float(delays[i])) for i in range(count)]
    prompts = [" ".join(texts[int(k)].split()) for k in rng.integers(0, len(texts), count)]
    seeds = [int(s) for s in rng.integers(0, 2**31 - 1, count)]
    return Crowd(label, prefix, texts, agents, prompts, seeds, spacing)


def _int(value: Any, label: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{label}: {name} must be an integer (got {value!r})")
    return value


def _positive(value: Any, label: str, name: str, limit: float, zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not (0.0 <= value if zero else 0.0 < value) or value > limit:
        low = "0" if zero else "above 0"
        raise RequestError(f"{label}: {name} must be a number {low} and at most {limit:g} (got {value!r})")
    return float(value)


def _places(area: Any, count: int, spacing: float, rng: np.random.Generator, label: str, key: str) -> np.ndarray:
    """(count, 2) positions: the given points, or random spots in a rectangle at least `spacing` apart."""
    if isinstance(area, list):
        try:
            pts = np.asarray(area, dtype=np.float64)
        except (TypeError, ValueError):
            raise RequestError(f"{label}: {key} must be [[x, y], ...] or {{'min': [x, y], 'max': [x, y]}}") from None
        if pts.shape != (count, 2) or not np.all(np.isfinite(pts)):
            raise RequestError(f"{label}: {key} needs {count} points [x, y] (one per person), got {len(area)}")
        return pts
    if not isinstance(area, dict) or set(area) != {"min", "max"}:
        raise RequestError(f"{label}: {key} must be [[x, y], ...] or {{'min': [x, y], 'max': [x, y]}}")
    lo, hi = (_xy(area[k], label, f"{key}.{k}") for k in ("min", "max"))
    if np.any(hi < lo):
        raise RequestError(f"{label}: {key}.max must not be below {key}.min")
    size = hi - lo
    pts: list[np.ndarray] = []
    for _ in range(count):
        for _ in range(FIT_TRIES):
            p = lo + rng.uniform(0.0, 1.0, 2) * size
            if all(np.linalg.norm(p - q) >= spacing for q in pts):
                pts.append(p)
                break
        else:
            raise RequestError(
                f"{label}: {count} people {spacing:g} m apart do not fit in the {key} area "
                f"({size[0]:g} x {size[1]:g} m; about {_capacity(size, spacing)} fit); make it larger, "
                "lower the count or the spacing"
            )
    return np.stack(pts)


def _capacity(size: np.ndarray, spacing: float) -> int:
    return int((size[0] // spacing + 1) * (size[1] // spacing + 1))


def _xy(value: Any, label: str, name: str) -> np.ndarray:
    try:
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        v = np.zeros(0)
    if v.shape != (2,) or not np.all(np.isfinite(v)):
        raise RequestError(f"{label}: {name} must be [x, y] in metres (got {value!r})")
    return v


def _match_lanes(starts: np.ndarray, goals: np.ndarray) -> np.ndarray:
    """Goals reordered so people keep their order across the direction of travel (few crossings)."""
    travel = goals.mean(axis=0) - starts.mean(axis=0)
    norm = np.linalg.norm(travel)
    if norm < 1e-9:
        return goals
    across = np.array([-travel[1], travel[0]]) / norm
    out = np.empty_like(goals)
    out[np.argsort(starts @ across)] = goals[np.argsort(goals @ across)]
    return out
