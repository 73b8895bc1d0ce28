"""Synthetic corpus fixtures: a Bandai-style BVH and DeepMimic-style clips, built here.

The Bandai-style file copies the layout of the Bandai Namco skeleton
(joint_Root > Hips ..., 6 channels per joint, centimetres, Y up, bone-aligned
local axes: every offset lies along the joint's local X) with bone lengths
from the canonical skeleton. Its motion is a procedural walk, so tests can
check placement, heading and turning without ../shared.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine import quaternion as quat
from engine.io.bvh_math import axis_matrix, convert_rotations, quat_to_euler
from engine.motion import Motion
from engine.skeleton import FOOT_INDICES, FOOT_JOINTS, FOOT_REST_HEIGHTS, JOINT_NAMES
from engine.training import deepmimic as dm
from engine.training.source_rigs import BANDAI
from engine.training.synthetic import write_synthetic_corpus

# (joint, parent, OFFSET in the parent's local file axes, cm)
BANDAI_LAYOUT: tuple[tuple[str, str | None, tuple[float, float, float]], ...] = (
    ("joint_Root", None, (0.0, 0.0, 0.0)),
    ("Hips", "joint_Root", (0.0, 0.0, 0.0)),
    ("Spine", "Hips", (15.74, 0.0, 0.0)),
    ("Chest", "Spine", (8.98, -0.41, 0.0)),
    ("Neck", "Chest", (16.38, 0.0, 0.0)),
    ("Head", "Neck", (6.46, 0.0, 0.0)),
    ("Shoulder_L", "Chest", (12.99, -0.24, 4.98)),
    ("UpperArm_L", "Shoulder_L", (5.35, 0.0, 0.0)),
    ("LowerArm_L", "UpperArm_L", (24.33, 0.0, 0.0)),
    ("Hand_L", "LowerArm_L", (22.29, 0.0, 0.0)),
    ("Shoulder_R", "Chest", (12.99, -0.24, -4.98)),
    ("UpperArm_R", "Shoulder_R", (-5.35, 0.0, 0.0)),
    ("LowerArm_R", "UpperArm_R", (-24.33, 0.0, 0.0)),
    ("Hand_R", "LowerArm_R", (-22.29, 0.0, 0.0)),
    ("UpperLeg_L", "Hips", (-2.19, -6.47, 0.0)),
    ("LowerLeg_L", "UpperLeg_L", (39.08, 0.0, 0.0)),
    ("Foot_L", "LowerLeg_L", (40.99, 0.0, 0.0)),
    ("Toes_L", "Foot_L", (11.75, 0.0, 0.0)),
    ("UpperLeg_R", "Hips", (-2.19, 6.47, 0.0)),
    ("LowerLeg_R", "UpperLeg_R", (-39.08, 0.0, 0.0)),
    ("Foot_R", "LowerLeg_R", (-40.99, 0.0, 0.0)),
    ("Toes_R", "Foot_R", (-11.75, 0.0, 0.0)),
)
LIMBS = ("UpperArm", "LowerArm", "Hand", "UpperLeg", "LowerLeg", "Foot", "Toes")


def _rot(axis: str, angle) -> np.ndarray:
    v = np.zeros(np.shape(angle) + (3,))
    v[..., "xyz".index(axis)] = angle
    return quat.from_axis_angle(v)


def canonical_walk(seconds: float = 3.0, fps: float = 30.0, turn_rate: float = 0.0, yaw0: float = 0.6,
                   start=(1.0, -2.0), floor: float = 0.25) -> Motion:  # fmt: skip
    """A procedural canonical walk (1.2 m/s, 1.1 s cycle); turn_rate > 0 turns left.

    On every frame the lowest foot joint (against its standing height) touches `floor`.
    """
    t = np.arange(int(round(seconds * fps)) + 1) / fps
    phase = 2 * np.pi * t / 1.1
    yaw = yaw0 + turn_rate * t
    rot = quat.identity((len(t), len(JOINT_NAMES)))

    def put(name: str, q: np.ndarray) -> None:
        rot[:, JOINT_NAMES.index(name)] = q

    put("pelvis", quat.multiply(quat.about_z(yaw), _rot("y", 0.05 * np.sin(phase))))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        swing = sign * np.sin(phase)
        put(f"{side}_hip", _rot("x", 0.35 * swing))
        put(f"{side}_knee", _rot("x", 0.7 * np.clip(np.sin(phase + sign * np.pi / 2), 0.0, None) + 0.05))
        put(f"{side}_ankle", _rot("x", -0.1 * swing))
        put(f"{side}_shoulder", quat.multiply(_rot("y", sign * 1.3), _rot("z", -0.3 * swing)))
        put(f"{side}_elbow", _rot("z", -sign * 0.3))
    put("spine2", _rot("z", 0.08 * np.sin(phase)))
    forward = np.stack([np.sin(yaw), -np.cos(yaw), 0 * yaw], axis=-1)
    root = np.zeros((len(t), 3))
    root[:, :2] = start
    root[1:] += np.cumsum(forward[:-1] * 1.2 / fps, axis=0)
    motion = Motion(fps=fps, root_translation=root, rotations=rot)
    pos, _ = motion.forward_kinematics()
    rest = np.array([FOOT_REST_HEIGHTS[n] for n in FOOT_JOINTS])
    motion.root_translation[:, 2] = floor - (pos[:, list(FOOT_INDICES), 2] - rest).min(axis=1)
    return motion


def bandai_bvh_text(motion: Motion, twist_seed: int | None = 0) -> str:
    """A Bandai-style BVH of a canonical motion; limbs get random twists about their bones."""
    _, world = motion.forward_kinematics()
    source_of = {src: can for can, src in BANDAI.joints.items()}
    names = [n for n, _, _ in BANDAI_LAYOUT]
    src_world = {"joint_Root": quat.identity((motion.num_frames,))}
    rng = np.random.default_rng(twist_seed)
    for name in names[1:]:
        can = source_of[name]
        q = quat.multiply(world[:, JOINT_NAMES.index(can)], quat.conjugate(BANDAI.corrections[can]))
        if twist_seed is not None and name.rsplit("_", 1)[0] in LIMBS:
            q = quat.multiply(q, _rot("x", rng.uniform(-0.6, 0.6, motion.num_frames)))
        src_world[name] = q
    a = axis_matrix("Y")
    hips_cm = motion.root_translation @ a * 100.0  # engine -> file axes (A^T p), metres -> cm
    columns = []
    for name, parent, offset in BANDAI_LAYOUT:
        local = src_world[name] if parent is None else quat.multiply(quat.conjugate(src_world[parent]), src_world[name])
        angles = np.degrees(quat_to_euler(convert_rotations(local, a.T), "ZXY"))
        position = hips_cm if name == "Hips" else np.broadcast_to(offset, (motion.num_frames, 3))
        columns.append(np.concatenate([position, angles], axis=-1))
    values = np.concatenate(columns, axis=-1)
    return _hierarchy(hips_cm[0]) + _motion_block(values, motion.fps)


def _hierarchy(hips_offset: np.ndarray) -> str:
    lines, depth_of, open_ = ["HIERARCHY"], {}, []
    children = {n: [c for c, p, _ in BANDAI_LAYOUT if p == n] for n, _, _ in BANDAI_LAYOUT}
    for name, parent, offset in BANDAI_LAYOUT:
        depth = 0 if parent is None else depth_of[parent] + 1
        while open_ and open_[-1] >= depth:
            lines.append("\t" * open_.pop() + "}")
        depth_of[name] = depth
        pad = "\t" * depth
        lines.append(pad + ("ROOT " if parent is None else "JOINT ") + name)
        lines.append(pad + "{")
        off = hips_offset if name == "Hips" else offset
        lines.append(pad + "\tOFFSET " + " ".join(f"{v:.6f}" for v in off))
        lines.append(pad + "\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation")
        if not children[name]:
            lines += [pad + "\tEnd Site", pad + "\t{", pad + "\t\tOFFSET 0.0 0.0 0.0", pad + "\t}"]
        open_.append(depth)
    while open_:
        lines.append("\t" * open_.pop() + "}")
    return "\n".join(lines) + "\n"


def _motion_block(values: np.ndarray, fps: float) -> str:
    rows = [" ".join(f"{v:.6f}" for v in row) for row in values]
    return f"MOTION\nFrames:\t{len(values)}\nFrame Time:\t{1.0 / fps:.7f}\n" + "\n".join(rows) + "\n"


def write_bandai_dataset(raw: Path, clips: dict[str, Motion], contents: list[str], styles: list[str]) -> None:
    """A Bandai dataset-2 folder under raw/ holding `clips` ({"{content}_{style}_{id}": motion})."""
    root = raw / "Bandai-Namco-Research-Motiondataset-2"
    (root / "data").mkdir(parents=True)
    (root / "cfg").mkdir()
    (root / "cfg" / "content_label.txt").write_text("".join(f"dataset-2_{c}\n" for c in contents))
    (root / "cfg" / "style_label.txt").write_text("".join(f"dataset-2_{s}\n" for s in styles))
    for i, (name, motion) in enumerate(clips.items()):
        content, style, _ = name.rsplit("_", 2)
        stem = root / "data" / f"dataset-2_{name}"
        stem.with_suffix(".bvh").write_text(bandai_bvh_text(motion, twist_seed=i))
        labels = {"content": contents.index(content), "style": styles.index(style)}
        stem.with_suffix(".json").write_text(json.dumps(labels))


# ---- DeepMimic ----


def dm_quat(axis: str, angle) -> np.ndarray:
    """A DeepMimic-axes rotation (w, x, y, z) about x, y or z."""
    return _rot(axis, np.asarray(angle, dtype=np.float64))


def deepmimic_frames(durations, root_xyz, rotations: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """(T, 44) frames: zero pose (upright, arms down) except the given joints.

    rotations: joint -> (T,4) quaternions, or (T,) angles for knees and elbows.
    """
    t = len(durations)
    frames = np.zeros((t, dm.FRAME_SIZE))
    frames[:, 0] = durations
    frames[:, 1:4] = root_xyz
    for name, cols in dm.COLUMNS.items():
        value = (rotations or {}).get(name)
        if cols.stop - cols.start == 1:
            frames[:, cols] = 0.0 if value is None else np.asarray(value).reshape(t, 1)
        else:
            frames[:, cols] = quat.identity((t,)) if value is None else value
    return frames


def mirror_frames(frames: np.ndarray) -> np.ndarray:
    """The left/right mirror copy DeepMimic ships (z -> -z, sides swapped)."""
    out = frames.copy()
    out[:, 3] *= -1
    for name, cols in dm.COLUMNS.items():
        twin = name.replace("left", "@").replace("right", "left").replace("@", "right")
        values = frames[:, dm.COLUMNS[twin]].copy()
        if values.shape[1] == 4:
            values[:, 1:3] *= -1
        out[:, cols] = values
    return out


def write_deepmimic(path: Path, frames: np.ndarray, loop: str = "wrap") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Loop": loop, "Frames": frames.tolist()}))
    return path


def deepmimic_walk(n: int = 40, yaw: float = 0.5) -> np.ndarray:
    """A DeepMimic-style clip walking forward at 1 m/s, heading `yaw` about +Y, uneven frame times.

    Left knee bent (-0.9 rad), left hip flexed (0.3 rad), right elbow bent (1.2 rad),
    right leg straight, chest leaning forward a little.
    """
    durations = np.where(np.arange(n) % 3 == 0, 1 / 15, 1 / 30)
    durations[-1] = 0.0
    time = np.concatenate([[0.0], np.cumsum(durations[:-1])])
    facing = np.array([np.cos(yaw), 0.0, -np.sin(yaw)])  # +X turned by yaw about +Y
    root = np.array([0.3, 0.0, -0.2]) + time[:, None] * facing
    root[:, 1] = 0.8814  # straight right leg: ankle 0.05 above the floor
    ones = np.ones(n)
    rotations = {
        "root": dm_quat("y", yaw * ones),
        "chest": dm_quat("z", -0.15 * ones),
        "left_hip": dm_quat("z", 0.3 * ones),
        "left_knee": -0.9 * ones,
        "right_elbow": 1.2 * ones,
    }
    return deepmimic_frames(durations, root, rotations)


def synthetic_corpus(folder: Path, with_test: bool = False) -> None:
    """A tiny prepared corpus of procedural walks and waves (engine.training.synthetic)."""
    write_synthetic_corpus(folder, with_test=with_test)
