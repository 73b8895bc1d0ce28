"""DeepMimic humanoid clips -> canonical Motion.

Why: these clips add actions the Bandai corpus lacks (flips, cartwheel,
crawl, roll, get-up, spins). Format, checked against DeepMimic's
`data/characters/humanoid3d.txt`: a JSON object {"Loop", "Frames"}, each
frame = duration (s), root position (m), then the rotations of root, chest,
neck, right hip, right knee, right ankle, right shoulder, right elbow, left
hip, left knee, left ankle, left shoulder, left elbow. Quaternions are
w, x, y, z and local to the parent; knees and elbows are one angle (rad)
about their local Z. The world is Y up, the character faces +X with its
right side on +Z, and the zero pose stands upright with the arms hanging
down and the feet flat (knee < 0 and elbow > 0 bend the right way).

Joints the humanoid lacks get a neutral: the toes follow the foot, the
wrists the forearm, the collars the chest; spine1-3 share the chest's
rotation in equal parts and neck and head share the neck's.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from .. import quaternion as quat
from ..errors import MotionComposerError
from ..io.bvh_math import convert_rotations
from ..motion import Motion
from ..skeleton import CANONICAL, FOOT_REST_HEIGHTS, JOINT_NAMES

#: (joint, number of values) in frame order, after duration and root position
LAYOUT: tuple[tuple[str, int], ...] = (
    ("root", 4), ("chest", 4), ("neck", 4),
    ("right_hip", 4), ("right_knee", 1), ("right_ankle", 4), ("right_shoulder", 4), ("right_elbow", 1),
    ("left_hip", 4), ("left_knee", 1), ("left_ankle", 4), ("left_shoulder", 4), ("left_elbow", 1),
)  # fmt: skip
FRAME_SIZE = 4 + sum(n for _, n in LAYOUT)


def _columns() -> dict[str, slice]:
    out, col = {}, 4
    for name, n in LAYOUT:
        out[name], col = slice(col, col + n), col + n
    return out


#: each joint's columns in a frame
COLUMNS = _columns()

#: the humanoid's joints: parent and offset from it (m, DeepMimic axes), from humanoid3d.txt
BODY: dict[str, tuple[str | None, tuple[float, float, float]]] = {
    "root": (None, (0.0, 0.0, 0.0)),
    "chest": ("root", (0.0, 0.236151, 0.0)),
    "neck": ("chest", (0.0, 0.223894, 0.0)),
    "right_hip": ("root", (0.0, 0.0, 0.084887)),
    "right_knee": ("right_hip", (0.0, -0.421546, 0.0)),
    "right_ankle": ("right_knee", (0.0, -0.409870, 0.0)),
    "right_shoulder": ("chest", (-0.02405, 0.2435, 0.18311)),
    "right_elbow": ("right_shoulder", (0.0, -0.274788, 0.0)),
    "right_wrist": ("right_elbow", (0.0, -0.258947, 0.0)),
    "left_hip": ("root", (0.0, 0.0, -0.084887)),
    "left_knee": ("left_hip", (0.0, -0.421546, 0.0)),
    "left_ankle": ("left_knee", (0.0, -0.409870, 0.0)),
    "left_shoulder": ("chest", (-0.02405, 0.2435, -0.18311)),
    "left_elbow": ("left_shoulder", (0.0, -0.274788, 0.0)),
    "left_wrist": ("left_elbow", (0.0, -0.258947, 0.0)),
}
ANKLE_HEIGHT = 0.05  # m: ankle above the sole (foot box offset 0.0225 + half height 0.0275)

#: DeepMimic axes -> engine axes (a proper rotation): forward +X -> -Y, up +Y -> +Z, right +Z -> -X
AXES = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])

# The arms hang down in the humanoid's zero pose but stretch sideways in the
# canonical T-pose: the frame change swings them down about the forward axis
# (the Bandai arms' convention), so the elbow still bends about local Z.
_ARM = {"left": quat.from_axis_angle(np.array([0.0, np.pi / 2, 0.0])),
        "right": quat.from_axis_angle(np.array([0.0, -np.pi / 2, 0.0]))}  # fmt: skip


class DeepMimicError(MotionComposerError):
    """A DeepMimic motion file that cannot be read."""


def _leg_scale() -> tuple[float, float]:
    """Canonical / humanoid leg length, and the canonical hip line below the pelvis."""
    off = CANONICAL.offsets
    can = np.linalg.norm(off[JOINT_NAMES.index("left_knee")]) + np.linalg.norm(off[JOINT_NAMES.index("left_ankle")])
    src = -BODY["left_knee"][1][1] - BODY["left_ankle"][1][1]
    return can / src, -off[JOINT_NAMES.index("left_hip")][2]


LEG_SCALE, HIP_DROP = _leg_scale()


def read_frames(path: str | os.PathLike) -> np.ndarray:
    """(T, FRAME_SIZE) frames, with the file's problems as DeepMimicError (the Loop mode is not needed)."""
    try:
        data = json.loads(Path(path).read_text())
        frames = np.asarray(data["Frames"], dtype=np.float64)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DeepMimicError(f"{path}: not a DeepMimic motion file ({exc})") from None
    if frames.ndim != 2 or frames.shape[1] != FRAME_SIZE or len(frames) < 2:
        raise DeepMimicError(f"{path}: expected at least 2 frames of {FRAME_SIZE} numbers, got shape {frames.shape}")
    if not np.isfinite(frames).all():
        raise DeepMimicError(f"{path}: frames hold NaN or infinite values")
    return frames


def split_frame(frames: np.ndarray) -> dict[str, np.ndarray]:
    """Named local rotations (T,4) in DeepMimic axes; 1-angle joints become rotations about Z."""
    out = {}
    for name, cols in COLUMNS.items():
        values = frames[:, cols]
        if values.shape[1] == 1:
            angle = values[:, 0]
            values = np.stack([np.cos(angle / 2), 0 * angle, 0 * angle, np.sin(angle / 2)], axis=-1)
        out[name] = quat.normalize(values)
    return out


def source_positions(frames: np.ndarray) -> dict[str, np.ndarray]:
    """World positions (T,3) of the humanoid's joints in engine axes, unscaled (for checks)."""
    local = split_frame(frames)
    world_rot: dict[str, np.ndarray] = {}
    world_pos: dict[str, np.ndarray] = {}
    for name, (parent, offset) in BODY.items():
        q = local.get(name, quat.identity((len(frames),)))
        if parent is None:
            world_rot[name], world_pos[name] = q, frames[:, 1:4]
        else:
            world_rot[name] = quat.multiply(world_rot[parent], q)
            world_pos[name] = world_pos[parent] + quat.rotate(world_rot[parent], np.asarray(offset))
    return {n: p @ AXES.T for n, p in world_pos.items()}


def _power(q: np.ndarray, fraction: float) -> np.ndarray:
    """The rotation about the same axis by `fraction` of the angle."""
    return quat.from_axis_angle(quat.to_axis_angle(q) * fraction)


def canonical_frames(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Canonical root translation (T,3) and local rotations (T,J,4) at the source frames."""
    src = {n: convert_rotations(q, AXES) for n, q in split_frame(frames).items()}
    t = len(frames)
    rot = quat.identity((t, len(JOINT_NAMES)))

    def put(name: str, q: np.ndarray) -> None:
        rot[:, JOINT_NAMES.index(name)] = q

    put("pelvis", src["root"])
    third, half = _power(src["chest"], 1 / 3), _power(src["neck"], 0.5)
    for name in ("spine1", "spine2", "spine3"):
        put(name, third)
    put("neck", half)
    put("head", half)
    for side in ("left", "right"):
        c = _ARM[side]
        for joint in ("hip", "knee", "ankle"):
            put(f"{side}_{joint}", src[f"{side}_{joint}"])
        put(f"{side}_shoulder", quat.multiply(src[f"{side}_shoulder"], c))
        put(f"{side}_elbow", quat.multiply(quat.conjugate(c), quat.multiply(src[f"{side}_elbow"], c)))
    # legs scale to the canonical length; the canonical hips sit HIP_DROP below the pelvis
    root = frames[:, 1:4] @ AXES.T * LEG_SCALE
    root = root + quat.rotate(src["root"], np.array([0.0, 0.0, HIP_DROP]))
    root[:, 2] += FOOT_REST_HEIGHTS["left_ankle"] - LEG_SCALE * ANKLE_HEIGHT
    return root, quat.continuous(quat.normalize(rot))


def frame_times(frames: np.ndarray) -> np.ndarray:
    """Start time of each frame from the per-frame durations (the last duration is unused)."""
    durations = np.clip(frames[:-1, 0], 0.0, None)
    return np.concatenate([[0.0], np.cumsum(durations)])


def resample_times(times: np.ndarray, root: np.ndarray, rot: np.ndarray, fps: float) -> Motion:
    """Uniform frames at `fps` from frames at arbitrary increasing times (lerp root, slerp joints)."""
    keep = np.concatenate([[True], np.diff(times) > 1e-9])  # zero-length frames add nothing
    times, root, rot = times[keep], root[keep], rot[keep]
    if len(times) < 2:
        raise DeepMimicError("a clip needs at least two frames with positive durations")
    n = int(np.floor(times[-1] * fps + 1e-6)) + 1
    target = np.arange(n) / fps
    i0 = np.clip(np.searchsorted(times, target, side="right") - 1, 0, len(times) - 2)
    w = np.clip((target - times[i0]) / (times[i0 + 1] - times[i0]), 0.0, 1.0)[:, None]
    root_out = root[i0] * (1 - w) + root[i0 + 1] * w
    rot_out = quat.slerp(rot[i0], rot[i0 + 1], w[:, :, None])
    return Motion(fps=float(fps), root_translation=root_out, rotations=quat.continuous(rot_out))


def read_deepmimic(path: str | os.PathLike, fps: float) -> Motion:
    """A DeepMimic clip as a canonical Motion at `fps` (not yet placed on the floor)."""
    frames = read_frames(path)
    root, rot = canonical_frames(frames)
    return resample_times(frame_times(frames), root, rot, fps)


def mirrors(a: np.ndarray, b: np.ndarray, tol: float = 1e-4) -> bool:
    """Whether clip b is the left/right mirror copy of clip a (knee curves swapped, same length)."""
    if a.shape != b.shape:
        return False
    right, left = COLUMNS["right_knee"], COLUMNS["left_knee"]
    same_height = np.allclose(a[:, 2], b[:, 2], atol=tol)
    return bool(
        same_height
        and np.allclose(a[:, right], b[:, left], atol=tol)
        and np.allclose(a[:, left], b[:, right], atol=tol)
    )


# File name (without folder prefixes and trailing numbers) -> content label.
CONTENT_BY_NAME: dict[str, str] = {
    "walk": "walk", "run": "run", "jog": "jog", "jump": "jump", "backflip": "backflip",
    "sideflip": "sideflip", "cartwheel": "cartwheel", "crawl": "crawl", "dance_a": "dance-short",
    "dance_b": "dance-short", "dance_spin": "dance-spin", "getup_facedown": "get-up-face-down",
    "getup_faceup": "get-up-face-up", "kick": "kick", "punch": "punch", "roll": "roll", "spin": "spin",
    "spinkick": "spin-kick", "stealthy_walk": "stealthy-walk", "zombie_walk": "zombie-walk",
    "long_walk": "walk-around", "long_zombie": "zombie-walk", "punch_forward": "punch",
    "punch_left": "punch-left", "run_forward": "run", "run_left": "run-turn-left", "run_right": "run-turn-right",
}  # fmt: skip


def clip_name(path: Path) -> tuple[str, str]:
    """(clip id, content label) from a file's path under motions/."""
    stem = path.stem.removeprefix("sie_").removeprefix("humanoid3d_")
    folder = path.parent.name
    key = re.sub(r"\d+$", "", stem)
    if key not in CONTENT_BY_NAME:
        raise DeepMimicError(f"{path}: no content label for clip name {key!r}")
    prefix = "deepmimic_" + (f"{folder}_" if folder in ("long", "sie") else "")
    return prefix + stem.removeprefix("long_"), CONTENT_BY_NAME[key]
