"""AMASS-style SMPL-H motion -> canonical motion through smplx, with a synthetic body model made here.

The body model is written in smplx's own .npz layout (v_template, shapedirs,
posedirs, J_regressor, weights, kintree_table, f, hand PCA arrays): its first
52 vertices sit on its 52 joints (the regressor picks them), the body joints
on the canonical T-pose, so a canonical motion written as SMPL-H poses must
come back unchanged. Skips when smplx is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import quaternion as quat
from engine.errors import MotionComposerError
from engine.eval import demo_motion
from engine.io.smpl import A as SMPL_AXES
from engine.io.smpl import to_smpl
from engine.skeleton import CANONICAL, JOINT_NAMES

smplx = pytest.importorskip("smplx", reason="smplx is not installed (pip install smplx==0.1.28)")
from engine.training import smpl_source  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
VERTICES = 6890  # smplx picks extra joints (nose, toes, ...) by SMPL-H vertex ids up to ~6900
HAND_JOINTS = 15


def hand_parents() -> list[int]:
    """Five three-joint finger chains per hand, hanging from the wrists (20 left, 21 right)."""
    out = []
    for wrist, first in ((20, 22), (21, 22 + HAND_JOINTS)):
        for finger in range(5):
            base = first + 3 * finger
            out += [wrist, base, base + 1]
    return out


def write_body_model(folder: Path, gender: str = "MALE") -> np.ndarray:
    """smplh/SMPLH_<gender>.npz; returns its rest joints (52, 3), SMPL axes (Y up)."""
    rng = np.random.default_rng(0)
    body = CANONICAL.rest_positions() @ SMPL_AXES.T  # engine -> SMPL body axes
    body = body + np.array([0.0, 0.9, 0.0])
    hands = np.repeat(body[[20, 21]], HAND_JOINTS, axis=0) + rng.normal(0, 0.02, (2 * HAND_JOINTS, 3))
    joints = np.concatenate([body, hands])
    n = len(joints)
    v = np.concatenate([joints, rng.normal(0, 0.3, (VERTICES - n, 3)) + np.array([0, 0.9, 0])])
    regressor = np.zeros((n, VERTICES))
    regressor[np.arange(n), np.arange(n)] = 1.0
    weights = np.zeros((VERTICES, n))
    weights[np.arange(VERTICES), np.arange(VERTICES) % n] = 1.0
    shapedirs = np.zeros((VERTICES, 3, 10))
    shapedirs[:, 1, 0] = v[:, 1] * 0.1  # beta 0 stretches the body vertically
    parents = np.array([-1, *CANONICAL.parents[1:], *hand_parents()])
    kintree = np.stack([np.where(parents < 0, 2**32 - 1, parents), np.arange(n)]).astype(np.int64)
    path = folder / "smplh" / f"SMPLH_{gender}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, v_template=v, shapedirs=shapedirs, posedirs=np.zeros((VERTICES, 3, (n - 1) * 9)),
        J_regressor=regressor, weights=weights, kintree_table=kintree, f=np.array([[0, 1, 2], [1, 2, 3]]),
        hands_componentsl=np.eye(45), hands_componentsr=np.eye(45), hands_meanl=np.zeros(45),
        hands_meanr=np.zeros(45),
    )  # fmt: skip
    return joints


def write_motion(path: Path, motion, pelvis_rest: np.ndarray, betas: np.ndarray | None = None) -> None:
    data = to_smpl(motion, up="z", pelvis_rest=pelvis_rest)
    poses = np.concatenate([data["poses"], np.zeros((motion.num_frames, 156 - 66))], axis=1)
    np.savez(path, poses=poses, trans=data["trans"], betas=np.zeros(16) if betas is None else betas, gender=np.array("male"),
             mocap_framerate=np.array(motion.fps))  # fmt: skip


def test_smplh_motion_comes_back_as_the_canonical_motion(tmp_path):
    joints = write_body_model(tmp_path / "models")
    walk = demo_motion.walk(seconds=2.0, fps=30.0, turn_deg_per_s=20.0)
    write_motion(tmp_path / "walk.npz", walk, joints[0])
    got, how = smpl_source.read_amass(tmp_path / "walk.npz", smpl_source.BodyModels(tmp_path / "models"))
    assert how == "smplh body model" and got.fps == 30.0 and got.num_frames == walk.num_frames
    assert quat.angle_between(got.rotations[:, 1:], walk.rotations[:, 1:]).max() < np.radians(0.5)
    pa, pb = got.positions(), walk.positions()
    assert np.abs((pa - pa[:, :1]) - (pb - pb[:, :1])).max() < 0.005
    path_got = np.linalg.norm(np.diff(got.root_translation, axis=0), axis=-1).sum()
    path_real = np.linalg.norm(np.diff(walk.root_translation, axis=0), axis=-1).sum()
    assert path_got == pytest.approx(path_real, rel=0.01)


def test_a_taller_subject_walks_a_proportionally_shorter_canonical_path(tmp_path):
    joints = write_body_model(tmp_path / "models")
    walk = demo_motion.walk(seconds=2.0, fps=30.0)
    betas = np.zeros(16)
    betas[0] = 2.0  # +20 % height: shapedirs stretch y by 0.1 per unit
    write_motion(tmp_path / "tall.npz", walk, joints[0] * np.array([1, 1.2, 1]), betas)
    got, _ = smpl_source.read_amass(tmp_path / "tall.npz", smpl_source.BodyModels(tmp_path / "models"))
    travelled = np.linalg.norm(got.root_translation[-1, :2] - got.root_translation[0, :2])
    real = np.linalg.norm(walk.root_translation[-1, :2] - walk.root_translation[0, :2])
    assert travelled == pytest.approx(real / 1.2, rel=0.02)  # same stride on legs 1.2x as long


def test_bad_body_model_folders_give_one_line_errors(tmp_path):
    with pytest.raises(MotionComposerError, match="is not a folder"):
        smpl_source.BodyModels(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MotionComposerError, match="holds no model files"):
        smpl_source.BodyModels(tmp_path / "empty")
    joints = write_body_model(tmp_path / "models", gender="FEMALE")
    write_motion(tmp_path / "walk.npz", demo_motion.walk(seconds=1.0), joints[0])
    with pytest.raises(MotionComposerError, match="no smplh/SMPLH_MALE.npz"):
        smpl_source.read_amass(tmp_path / "walk.npz", smpl_source.BodyModels(tmp_path / "models"))
    wrong = tmp_path / "wrong" / "smplh"
    wrong.mkdir(parents=True)
    np.savez(wrong / "SMPLH_MALE.npz", v_template=np.zeros((10, 3)))
    with pytest.raises(MotionComposerError, match="is not a usable SMPLH model file"):
        smpl_source.read_amass(tmp_path / "walk.npz", smpl_source.BodyModels(tmp_path / "wrong"))


def test_prepare_smpl_folder_end_to_end(tmp_path):
    joints = write_body_model(tmp_path / "models")
    motions = tmp_path / "amass"
    motions.mkdir()
    write_motion(motions / "walk.npz", demo_motion.walk(seconds=2.0, fps=60.0), joints[0])
    (motions / "walk.txt").write_text("a person walks in a curve\n")
    np.savez(motions / "junk.npz", something=np.zeros(3))
    (motions / "junk.txt").write_text("junk\n")
    cmd = [sys.executable, "-m", "engine.training.prepare", "--smpl", str(motions), "--body-model",
           str(tmp_path / "models"), "--out", str(tmp_path / "corpus")]  # fmt: skip
    env = os.environ | {"PYTHONPATH": str(Path(smplx.__file__).parent.parent)}  # where this test found smplx
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "junk: junk.npz is not an AMASS-style motion file" in done.stdout
    train = np.load(tmp_path / "corpus" / "train.npz")
    assert train["clip_ids"].tolist() == ["walk", "walk_mirror"] and len(JOINT_NAMES) == 22
    missing = subprocess.run(cmd[:-4] + ["--body-model", str(tmp_path / "none"), "--out", str(tmp_path / "c2")],
                             cwd=REPO, capture_output=True, text=True, env=env)  # fmt: skip
    assert missing.returncode == 2 and "is not a folder" in missing.stderr and not (tmp_path / "c2").exists()
