"""SMPL .npz export/import: round trip, the axis convention, and numpy skinning on a synthetic model."""

from __future__ import annotations

import numpy as np
import pytest

from engine import quaternion as quat
from engine.eval.demo_motion import walk, wave
from engine.io import smpl
from engine.skeleton import CANONICAL, JOINT_NAMES


@pytest.mark.parametrize("up", ["y", "z"])
def test_round_trip(tmp_path, up):
    motion = walk(seconds=1.0)
    path = tmp_path / "walk.npz"
    smpl.write_smpl_npz(path, motion, up=up)
    with np.load(path) as f:
        assert f["poses"].shape == (motion.num_frames, 66) and f["trans"].shape == (motion.num_frames, 3)
        assert float(f["mocap_framerate"]) == motion.fps and str(f["gender"]) == "neutral"
        assert np.all(f["betas"] == 0) and list(f["joint_names"]) == list(JOINT_NAMES)
        assert np.allclose(f["poses"][:, :3], f["root_orient"]) and str(f["up_axis"]) == up
    back = smpl.read_smpl_npz(path)
    assert np.allclose(back.positions(), motion.positions(), atol=1e-5)
    assert np.allclose(back.contacts, motion.contacts)


def test_axes_are_smpl_y_up():
    """A body standing in the engine (Z-up, facing -Y) stands Y-up facing +Z in the file."""
    motion = wave(seconds=0.5)
    data = smpl.to_smpl(motion, up="y", pelvis_rest=np.zeros(3))
    # FK in SMPL axes with the canonical offsets turned into SMPL axes reproduces A @ positions
    offsets = CANONICAL.offsets @ smpl.A.T
    local = quat.from_axis_angle(data["poses"].reshape(-1, 22, 3))
    skeleton = type(CANONICAL)(CANONICAL.names, CANONICAL.parents, offsets)
    pos, _ = skeleton.forward_kinematics(local, data["trans"])
    assert np.allclose(pos, motion.positions() @ smpl.A.T, atol=1e-6)
    assert pos[0, 0, 1] > 0.8  # pelvis height is +Y
    head, pelvis = pos[0, JOINT_NAMES.index("head")], pos[0, 0]
    assert head[1] > pelvis[1] and pos[0, JOINT_NAMES.index("left_hip"), 0] > 0  # up +Y, left +X


def test_default_translation_subtracts_the_smpl_pelvis():
    motion = wave(seconds=0.2)
    data = smpl.to_smpl(motion)
    assert np.allclose(data["trans"] + smpl.DEFAULT_PELVIS_REST, motion.root_translation @ smpl.A.T)


def test_bad_files(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, foo=np.zeros(3))
    with pytest.raises(smpl.SMPLError, match="not an SMPL motion"):
        smpl.read_smpl_npz(path)
    with pytest.raises(smpl.SMPLError, match="up axis"):
        smpl.to_smpl(walk(seconds=0.2), up="x")


def _synthetic_model(path, v=60, seed=0):
    """Arrays shaped like an SMPL model file: random geometry, rigid one-joint skin weights."""
    rng = np.random.default_rng(seed)
    template = rng.normal(scale=0.3, size=(v, 3))
    owner = rng.integers(0, 24, size=v)
    weights = np.eye(24)[owner]
    regressor = rng.random((24, v))
    regressor /= regressor.sum(1, keepdims=True)
    kintree = np.array([[2**32 - 1] + list(smpl.SMPL_PARENTS[1:]), list(range(24))], dtype=np.int64)
    np.savez(path, v_template=template, shapedirs=rng.normal(scale=0.01, size=(v, 3, 10)),
             posedirs=np.zeros((v, 3, 207)), J_regressor=regressor, weights=weights,
             f=rng.integers(0, v, size=(20, 3)), kintree_table=kintree)  # fmt: skip
    return owner


def test_meshes_from_a_synthetic_model(tmp_path):
    owner = _synthetic_model(tmp_path / "SMPL_NEUTRAL.npz")
    model = smpl.load_smpl_model(tmp_path / "SMPL_NEUTRAL.npz")
    motion = walk(seconds=0.5)
    data = smpl.to_smpl(motion, pelvis_rest=smpl.smpl_rest_joints(model)[0])
    verts = smpl.smpl_vertices(model, data["poses"], data["trans"])
    assert verts.shape == (motion.num_frames, 60, 3)
    # with rigid weights every vertex moves with its joint: check against FK on the model's own joints
    joints = smpl.smpl_rest_joints(model)
    t = motion.num_frames
    aa = np.zeros((t, 24, 3))
    aa[:, :22] = data["poses"].reshape(t, 22, 3)
    q = quat.from_axis_angle(aa)
    world = np.zeros_like(q)
    pos = np.zeros((t, 24, 3))
    for j, p in enumerate(smpl.SMPL_PARENTS):
        world[:, j] = q[:, j] if p < 0 else quat.multiply(world[:, p], q[:, j])
        pos[:, j] = joints[j] + data["trans"] if p < 0 else pos[:, p] + quat.rotate(world[:, p], joints[j] - joints[p])
    template = model["v_template"]
    want = pos[:, owner] + quat.rotate(world[:, owner], template - joints[owner])
    assert np.allclose(verts, want, atol=1e-6)
    # the pelvis lands where the motion's pelvis is, in SMPL axes
    assert np.allclose(pos[:, 0], motion.root_translation @ smpl.A.T, atol=1e-6)
    with pytest.raises(smpl.SMPLError, match="missing"):
        np.savez(tmp_path / "bad.npz", v_template=np.zeros((3, 3)))
        smpl.load_smpl_model(tmp_path / "bad.npz")
