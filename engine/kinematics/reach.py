"""Joint targets met by reaching, not snapping: the fix spreads over a window and the body steps closer.

For each target (a joint, a time span, a world position) the error on the
span becomes a displacement of the joint's path that rises and falls along
minimum-jerk curves over WINDOW_S before and after the span (longer for a
longer reach, so the joint is not rushed: at most MAX_WINDOW_S), and the limb
follows it by IK frame by frame (two-bone for wrists and ankles, bounded CCD
elsewhere). When the limb cannot reach from where the body is, the root
first moves towards the target over the same window (a step closer; lower
for a target near the floor), at most MAX_STEP. Nothing outside the windows
changes, so the motion around a target is the model's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import CANONICAL
from .filters import minimum_jerk
from .fk import path_fk
from .ik import TWO_BONE, reach

WINDOW_S = 0.7  # s: the reach starts this long before a target and relaxes this long after it ...
MAX_WINDOW_S, ADDED_SPEED = 1.5, 0.8  # ... or longer for a longer reach (up to MAX_WINDOW_S), adding ~ADDED_SPEED m/s
REACH_FRACTION = 0.97  # of a two-bone limb's length: farther targets move the body first
MAX_STEP = 1.0  # m: the most the root moves towards one target
MAX_CROUCH = 0.45  # m: the most the root lowers for a target near the floor
ASSIST_PASSES, ASSIST_MIN = 3, 0.001  # a miss above ASSIST_MIN (m) after IK moves the root by it, this often
STANDING_HEIGHT = 0.94  # m: root height of the canonical rest pose on the floor; a high target lifts it no higher


def reach_targets(rotations: np.ndarray, root: np.ndarray, fps: float, targets, max_step: float = MAX_STEP,
                  home: np.ndarray | None = None):  # fmt: skip
    """(rotations, root) with each target's joint on its position where the skeleton can reach.

    `targets`: objects with `joint` (index), `start`, `end` (seconds), `position` (3,) and `weight`
    (constraints.types.JointTarget). Deeper joints are fixed after shallower ones (a wrist after the head).
    The root moves at most `max_step` over the ground from `home` (default: where it is now) towards a target
    out of reach (0: never).
    """
    rot, root = rotations.copy(), root.copy()
    home = root.copy() if home is None else home
    for t in sorted(_merged([t for t in targets if t.weight > 0], fps), key=lambda t: len(_chain(t.joint))):
        frames = _span(t.start, t.end, fps, len(rot))
        goal = np.asarray(t.position, float)
        window = _window(rot, root, t.joint, frames, goal, fps)
        moved = _step_closer(rot, root, home, t.joint, frames, goal, window, max_step) if max_step > 0 else root
        for _ in range(ASSIST_PASSES):
            new_rot, new_root = _reach_one(rot, moved, t.joint, frames, goal, window)
            if max_step <= 0:
                break
            _, _, _, p = path_fk(new_rot[frames], new_root[frames], t.joint)
            miss = goal - p[:, -1]
            if np.abs(miss).max() <= ASSIST_MIN:
                break
            moved = _move_root(root, home, moved - root, miss, frames, window, max_step)
        rot, root = new_rot, new_root
    return rot, root


def _window(rot, root, joint: int, frames, goal, fps: float) -> int:
    """Frames the reach takes on either side: WINDOW_S, longer for a longer reach (at most MAX_WINDOW_S), so the
    speed it adds to the joint stays near ADDED_SPEED (a minimum-jerk move over T s peaks at 1.875 x its mean)."""
    _, _, _, p = path_fk(rot[frames], root[frames], joint)
    far = float(np.linalg.norm(goal - p[:, -1], axis=-1).max())
    seconds = min(max(WINDOW_S, 1.875 * far / ADDED_SPEED), MAX_WINDOW_S)
    return max(1, int(round(seconds * fps)))


@dataclass(frozen=True)
class _Target:
    joint: int
    start: float
    end: float
    position: np.ndarray
    weight: float = 1.0


def _merged(targets: list, fps: float) -> list:
    """Targets of one joint on the same frames become one at their weighted mean (a compromise: each is missed
    by its share, instead of the last one winning and the first missed by the whole distance)."""
    out: list = []
    for t in targets:
        span = (round(t.start * fps), round(t.end * fps))
        same = [
            k for k, o in enumerate(out) if o.joint == t.joint and (round(o.start * fps), round(o.end * fps)) == span
        ]
        if not same:
            out.append(t)
            continue
        o = out[same[0]]
        w = o.weight + t.weight
        position = (o.weight * np.asarray(o.position, float) + t.weight * np.asarray(t.position, float)) / w
        out[same[0]] = _Target(t.joint, t.start, t.end, position, w)
    return out


def _move_root(root, home, moved, miss, frames, window: int, max_step: float) -> np.ndarray:
    """The root moved by `moved` (T, 3) plus the span's miss, spread over the window: at most `max_step` over the
    ground from `home`, down at most MAX_CROUCH, up no higher than standing."""
    total = moved[frames] + miss
    since = root[frames, :2] - home[frames, :2]  # what earlier calls have moved it already
    far = np.linalg.norm(since + total[:, :2], axis=-1, keepdims=True)
    total[:, :2] = (since + total[:, :2]) * np.minimum(1.0, max_step / np.maximum(far, 1e-9)) - since
    total[:, 2] = np.clip(total[:, 2], -MAX_CROUCH, np.maximum(STANDING_HEIGHT - root[frames, 2], 0.0))
    around, w = window_weights(frames, len(root), window)
    out = root.copy()
    out[around] += w[:, None] * _displacement(total, frames, around)
    return out


def _span(start: float, end: float, fps: float, n: int) -> np.ndarray:
    a = min(int(round(start * fps)), n - 1)
    return np.arange(a, min(int(round(end * fps)), n - 1) + 1)


def _chain(joint: int) -> list[int]:
    path = [joint]
    while CANONICAL.parents[path[-1]] >= 0:
        path.append(CANONICAL.parents[path[-1]])
    return path


def window_weights(frames: np.ndarray, n: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames of the window, weight 1 on `frames` falling to 0 `window` frames before and after along
    minimum-jerk curves)."""
    a, b = int(frames[0]), int(frames[-1])
    around = np.arange(max(a - window, 0), min(b + window, n - 1) + 1)
    dist = np.maximum(np.maximum(a - around, around - b), 0)
    return around, minimum_jerk(1.0 - dist / (window + 1))


def _displacement(error: np.ndarray, frames: np.ndarray, around: np.ndarray) -> np.ndarray:
    """(len(around), 3) the span's error on its frames, the nearest end's error before and after it."""
    idx = np.clip(np.searchsorted(frames, around), 0, len(frames) - 1)
    idx = np.where(around < frames[0], 0, np.where(around > frames[-1], len(frames) - 1, idx))
    return error[idx]


def _step_closer(rot, root, home, joint: int, frames, target, window: int, max_step: float) -> np.ndarray:
    """The root moved (over the window) so a two-bone limb's target is within REACH_FRACTION of its length."""
    if joint not in TWO_BONE:
        return root
    upper, _ = TWO_BONE[joint]
    path, _, _, p = path_fk(rot[frames], root[frames], joint)
    shoulder = p[:, path.index(upper)]
    length = sum(float(np.linalg.norm(CANONICAL.offsets[j])) for j in path[path.index(upper) + 1 :])
    gap = target - shoulder
    dist = np.linalg.norm(gap, axis=-1)
    excess = np.maximum(dist - REACH_FRACTION * length, 0.0)
    if not excess.any():
        return root
    move = gap * (excess / np.maximum(dist, 1e-9))[:, None]
    return _move_root(root, home, np.zeros_like(root), move, frames, window, max_step)


def _reach_one(rot, root, joint: int, frames, target, window: int):
    """IK the joint along its own path plus the span's error, spread over the window."""
    around, w = window_weights(frames, len(rot), window)
    _, _, _, p = path_fk(rot[around], root[around], joint)
    now = p[:, -1]
    error = target - now[np.searchsorted(around, frames)]
    goal = now + w[:, None] * _displacement(error, frames, around)
    new_rot, new_root = reach(rot[around], root[around], joint, goal)
    rot, root = rot.copy(), root.copy()
    rot[around], root[around] = new_rot, new_root
    return rot, root
