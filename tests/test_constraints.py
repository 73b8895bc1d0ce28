"""Constraints without the trained model: parsing and bad input, feature FK, guidance, IK and clean-up,
programmable error terms, and the editing operations' bookkeeping with a stand-in denoiser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import features as feat
from engine import quaternion as quat
from engine.constraints import (
    AboveHeight,
    BelowHeight,
    ConstraintSet,
    FunctionTerm,
    InsideBox,
    InsideCircle,
    LookAt,
    MinDistance,
    cleanup,
    measure,
    parse_constraints,
)
from engine.constraints.coordinates import WindowFrame, choose_frame, standing_root
from engine.constraints.corrections import bent_walk
from engine.constraints.guidance import Guide
from engine.constraints.programmable import finite_difference
from engine.constraints.trajectory import Trajectory
from engine.edits import parse_edit
from engine.errors import RequestError
from engine.kinematics import ik
from engine.manifest import ModelManifest
from engine.motion import Motion
from engine.observations import joint_position_columns
from engine.pipeline import PostProcessing, generation
from engine.pipeline.edit_ops import apply_edit
from engine.request import GenerationRequest
from engine.skeleton import CANONICAL

J = {n: i for i, n in enumerate(CANONICAL.names)}


def walk(seconds=4.0, fps=20.0, speed=1.0, phase=0.0) -> Motion:
    """A smooth, plausible walk-like motion along -Y: arms down, legs swinging."""
    n = int(round(seconds * fps)) + 1
    t = np.arange(n) / fps + phase
    rv = np.zeros((n, CANONICAL.num_joints, 3))
    swing = 0.4 * np.sin(2 * np.pi * t)
    rv[:, J["left_hip"], 0] = swing
    rv[:, J["right_hip"], 0] = -swing
    rv[:, J["left_knee"], 0] = -0.3 * (1 + np.sin(2 * np.pi * t + 1))
    rv[:, J["right_knee"], 0] = -0.3 * (1 - np.sin(2 * np.pi * t + 1))
    rv[:, J["left_shoulder"], 1] = 1.2
    rv[:, J["right_shoulder"], 1] = -1.2
    rv[:, J["left_elbow"], 1] = 0.3 + 0.2 * np.sin(2 * np.pi * t)
    rv[:, J["right_elbow"], 1] = -0.3 - 0.2 * np.sin(2 * np.pi * t)
    rv[:, 0, 2] = 0.1 * np.sin(np.pi * t)
    rot = quat.from_axis_angle(rv)
    h = standing_root(quat.identity((CANONICAL.num_joints,)))[2]
    root = np.stack([0.05 * np.sin(np.pi * t), -speed * (t - phase), h - 0.05 + 0.01 * np.sin(4 * np.pi * t)], -1)
    return Motion(fps, root, rot)


# ---------------------------------------------------------------- parsing and bad input


def parse(items, seconds=4.0, fps=30.0):
    return parse_constraints(items, seconds, fps)


def test_parse_all_types(tmp_path):
    pose = {"rotations": quat.identity((22,)).tolist(), "root_translation": [0, 0, 0.9]}
    (tmp_path / "pose.json").write_text(__import__("json").dumps(pose))
    cs = parse_constraints([
        {"type": "joint", "joint": "left_wrist", "time": 2.0, "position": [0.3, -0.2, 1.5], "weight": 0.5},
        {"type": "joint", "joint": "head", "start": 1.0, "end": 2.0, "position": [0, -1, 1.6]},
        {"type": "root_path", "points": [[0, 0, 0], [4, 0, -4, 0.9]] and [[0, 0, 0], [4, 0, -4]]},
        {"type": "root_path", "curve": [[0, 0, 0.9], [1, -1, 0.9], [2, -1, 0.9]], "start": 1, "end": 3,
         "facing": [[2, 90]]},
        {"type": "keyframe", "time": 3.0, "pose": "pose.json"},
        {"type": "keyframe", "time": 1.0, "pose": pose},
        {"type": "foot_plant", "foot": "left", "start": 0.5, "end": 1.0, "position": [0.1, -0.5]},
    ], 4.0, 30.0, base_dir=tmp_path)  # fmt: skip
    assert len(cs.joints) == 2 and cs.joints[0].joint == J["left_wrist"] and cs.joints[0].weight == 0.5
    assert cs.joints[1].start == 1.0 and cs.joints[1].end == 2.0
    assert not cs.paths[0].dense and cs.paths[1].dense and cs.paths[1].times[-1] == pytest.approx(3.0)
    assert cs.paths[1].facing[0, 1] == pytest.approx(np.pi / 2)
    assert len(cs.keyframes) == 2 and cs.keyframes[0].root[2] == 0.9
    assert cs.plants[0].side == "left" and np.allclose(cs.plants[0].position, [0.1, -0.5])


ID = quat.identity((22,)).tolist()


@pytest.mark.parametrize(
    "item, message",
    [
        ({"type": "joint", "joint": "left_wrist", "time": 5.0, "position": [0, 0, 1]}, "outside the clip"),
        ({"type": "joint", "joint": "left_wrist", "time": -1.0, "position": [0, 0, 1]}, "outside the clip"),
        ({"type": "joint", "joint": "left_wrist", "time": 1.0, "position": [0, float("nan"), 1]}, "NaN"),
        ({"type": "joint", "joint": "left_wrist", "time": float("inf"), "position": [0, 0, 1]}, "finite"),
        ({"type": "joint", "joint": "tail", "time": 1.0, "position": [0, 0, 1]}, "unknown joint"),
        ({"type": "joint", "joint": "head", "time": 1.0, "position": [0, 0, 1], "weight": -1}, "weight"),
        ({"type": "root_path", "points": [[0, 0, 0]]}, "at least two points"),
        ({"type": "root_path", "curve": [[0, 0]]}, "at least two points"),
        ({"type": "root_path", "points": [[1, 0, 0], [1, 1, 0]]}, "increase"),
        ({"type": "root_path", "points": [[0, 0, 0], [9, 1, 0]]}, "outside the clip"),
        ({"type": "keyframe", "time": 1.0, "pose": {"rotations": ID[:5]}}, "22 x 4"),
        ({"type": "keyframe", "time": 1.0, "pose": "missing.json"}, "does not exist"),
        ({"type": "foot_plant", "foot": "middle", "time": 1.0}, "left' or 'right"),
        ({"type": "teleport"}, "unknown type"),
        ({"type": "joint", "joint": "head", "time": 1, "position": [0, 0, 1], "colour": 1}, "unknown field"),
    ],
)
def test_bad_constraints(item, message):
    with pytest.raises(RequestError, match=message):
        parse([item])


def test_conflicting_keyframes():
    bent = quat.identity((22,))
    bent[J["left_elbow"]] = quat.from_axis_angle(np.array([0.0, 0.0, 1.0]))
    same = [{"type": "keyframe", "time": 1.0, "pose": {"rotations": ID}}] * 2
    assert len(parse(same).keyframes) == 1  # identical keys merge
    with pytest.raises(RequestError, match="different poses on frame 30"):
        parse([same[0], {"type": "keyframe", "time": 1.01, "pose": {"rotations": bent.tolist()}}])


def test_request_constraints_are_typed_when_the_request_is_built():
    job = {"text": "walk", "seconds": 2, "constraints": [{"type": "root_path", "points": [[0, 0, 0], [2, 0, -1]]}]}
    req = GenerationRequest.from_dict(job)
    assert type(req.constraints[0]).__name__ == "RootPath" and req.to_dict()["constraints"] == job["constraints"]
    job["constraints"][0]["points"][1][0] = 3
    with pytest.raises(RequestError, match="outside the clip"):  # before any model is loaded
        GenerationRequest.from_dict(job)


# ---------------------------------------------------------------- features FK and guidance


def test_trajectory_matches_fk_and_round_trips():
    m = walk()
    f = feat.encode(m).astype(np.float64)
    traj = Trajectory.from_features(f, m.fps)
    decoded = feat.decode(f, m.fps)
    assert np.abs(traj.world() - decoded.positions()).max() < 1e-4
    g = traj.to_features(f)
    assert np.abs(g[:-1] - f[:-1]).max() < 1e-4


def test_pullback_is_the_gradient():
    f = feat.encode(walk(2.0)).astype(np.float64)
    traj = Trajectory.from_features(f, 20.0)
    rng = np.random.default_rng(1)
    g = rng.normal(size=traj.world().shape)
    g_rel, g_root, g_yaw, g_h = traj.pullback(g)
    eps = 1e-6
    for name, grad, idx in (("yaw", g_yaw, (7,)), ("root", g_root, (5, 1)), ("rel", g_rel, (3, 20, 0))):
        t2 = traj.copy()
        getattr(t2, name)[idx] += eps
        numeric = np.sum(g * (t2.world() - traj.world())) / eps
        assert numeric == pytest.approx(grad[idx], rel=1e-4, abs=1e-6), name


def test_guidance_puts_joint_on_target():
    m = walk()
    cs = parse([{"type": "joint", "joint": "right_wrist", "time": 2.0, "position": [0.5, -2.2, 1.4]}], fps=20.0)
    f = feat.encode(m).astype(np.float64)
    guide = Guide(cs, np.zeros(203), np.ones(203), 20.0, len(f), WindowFrame())
    out = guide.guide_raw(f)
    world = Trajectory.from_features(out, 20.0).world()
    assert np.linalg.norm(world[40, J["right_wrist"]] - [0.5, -2.2, 1.4]) < 0.01
    # the learned conditioning: wrist relative to the root, in the heading frame, plus the root, over the reach
    # window (on the path guidance bends the wrist along); exactly the target on its frame
    guide.last = out
    obs, mask = guide.observations()
    (term,) = guide.terms
    window = guide.term_frames[0][term.weights > 0]
    assert mask[40].sum() == 5 and mask[window].sum() == 5 * len(window) and mask[window[0] - 1].sum() == 0
    cols = joint_position_columns(J["right_wrist"])
    traj = Trajectory.from_features(out, 20.0)
    rel = traj.rel[40, J["right_wrist"]]  # on target after guidance: observed where it is
    assert obs[40, cols] == pytest.approx(rel, abs=1e-6)
    guide.last = f  # before guidance: the wrist's observed path bends to the target on its frame, eased around it
    obs, _ = guide.observations()
    before = Trajectory.from_features(f, 20.0)
    d = np.array([0.5, -2.2]) - before.root[40]
    c, s_ = np.cos(-before.yaw[40]), np.sin(-before.yaw[40])
    assert obs[40, cols] == pytest.approx([c * d[0] - s_ * d[1], s_ * d[0] + c * d[1], 1.4], abs=1e-6)
    edge = window[0]
    assert np.abs(obs[edge, cols] - before.rel[edge, J["right_wrist"]]).max() < 0.02


def test_guidance_root_path_and_window_frame():
    cs = parse([{"type": "root_path", "points": [[0, 1, 1], [2, 3, 1], [4, 3, -1]]}], fps=20.0)
    frame = choose_frame(cs, 20.0)
    assert frame.origin == (1.0, 1.0) and frame.yaw == pytest.approx(np.pi / 2)  # facing +X, along the path
    f = feat.encode(walk()).astype(np.float64)
    guide = Guide(cs, np.zeros(203), np.ones(203), 20.0, len(f), frame)
    world = frame.points_to_world(Trajectory.from_features(guide.guide_raw(f), 20.0).world())
    assert np.abs(world[[0, 40, 80], 0, :2] - [[1, 1], [3, 1], [3, -1]]).max() < 1e-6
    obs, mask = guide.observations()
    assert mask[40, 203:205].all() and obs[80, 203] == pytest.approx(
        -2 / 3
    )  # window x/3: the last point is to the right


def test_a_root_path_is_also_observed_as_the_root_velocity_the_motion_is_decoded_from():
    cs = parse([{"type": "root_path", "points": [[0, 1, 1], [2, 3, 1], [4, 3, -1]]}], fps=20.0)
    frame = choose_frame(cs, 20.0)
    guide = Guide(cs, np.zeros(203), np.ones(203), 20.0, 81, frame)
    last = np.zeros((81, 203))
    last[:, 0] = 0.5  # the latest prediction turns at 0.5 rad/s: its heading at frame f is f / 40 rad
    guide.last = last
    obs, mask = guide.observations()
    window = frame.points_to_window(np.array([[1.0, 1.0, 0.0], [3.0, 1.0, 0.0], [3.0, -1.0, 0.0]]))[:, :2]
    for f, seg in ((10, 0), (39, 0), (40, 1), (79, 1)):
        v = (window[seg + 1] - window[seg]) / 2.0  # 2 m in 2 s between the points, in window coordinates
        c, s = np.cos(-f / 40), np.sin(-f / 40)
        assert obs[f, 1:3] == pytest.approx([c * v[0] - s * v[1], s * v[0] + c * v[1]])  # in that frame's heading
        assert mask[f, 1:3].all()
    assert not mask[80, 1:3].any()  # the velocity of the last frame leads nowhere


def test_bent_walk_meets_its_places_and_headings_from_an_unmoved_start():
    traj = Trajectory.from_features(feat.encode(walk()).astype(np.float64), 20.0)
    place = traj.root[40] + [1.0, 0.5]
    root, yaw = bent_walk(traj, [(np.array([40]), place[None])], [(np.array([60]), np.array([traj.yaw[60] + 1.0]))])
    assert np.abs(root[40] - place).max() < 1e-6 and yaw[60] == pytest.approx(traj.yaw[60] + 1.0)
    assert np.abs(root[0] - traj.root[0]).max() < 1e-9 and yaw[0] == pytest.approx(traj.yaw[0])
    # a heading alone turns the walk: its steps keep their length
    turned, _ = bent_walk(traj, headings=[(np.array([60]), np.array([traj.yaw[60] + 1.0]))])
    steps = np.linalg.norm(np.diff(turned, axis=0), axis=-1)
    assert steps == pytest.approx(np.linalg.norm(np.diff(traj.root, axis=0), axis=-1))
    assert np.linalg.norm(turned[80] - traj.root[80]) > 0.5


def test_a_far_joint_target_is_observed_as_the_root_velocities_that_carry_the_walk_there():
    f = feat.encode(walk()).astype(np.float64)
    traj = Trajectory.from_features(f, 20.0)
    head = traj.world()[40, J["head"]]
    for offset, far in (([2.0, 0.0, 0.0], True), ([0.1, 0.0, 0.0], False)):
        cs = parse([{"type": "joint", "joint": "head", "time": 2.0, "position": (head + offset).tolist()}], fps=20.0)
        guide = Guide(cs, np.zeros(203), np.ones(203), 20.0, len(f), WindowFrame())
        guide.last = f
        obs, mask = guide.observations()
        assert mask[:40, :3].all() == far and not mask[40:, :3].any()
        if far:  # the observed turn rates and velocities, integrated, put the root 2 m over by frame 40
            observed = f.copy()
            observed[:40, :3] = obs[:40, :3]
            moved = Trajectory.from_features(observed, 20.0)
            assert np.abs(moved.root[40] - (traj.root[40] + [2.0, 0.0])).max() < 1e-3
            cols = joint_position_columns(J["head"])
            assert obs[40, cols] == pytest.approx(f[40, cols], abs=1e-6)  # the head where the pose has it


# ---------------------------------------------------------------- IK and clean-up


def test_two_bone_reaches_and_reports_unreachable():
    m = walk(1.0)
    pos = m.positions()
    target = pos[:, J["left_wrist"]] + [0.1, -0.15, 0.2]
    rot = ik.two_bone(m.rotations, m.root_translation, J["left_wrist"], target)
    new = CANONICAL.forward_kinematics(rot, m.root_translation)[0]
    assert np.abs(new[:, J["left_wrist"]] - target).max() < 1e-6
    far = pos[:, J["left_shoulder"]] + [3.0, 0, 0]
    rot = ik.two_bone(m.rotations, m.root_translation, J["left_wrist"], far)
    new = CANONICAL.forward_kinematics(rot, m.root_translation)[0]
    reach = CANONICAL.bone_lengths()[[J["left_elbow"], J["left_wrist"]]].sum()
    short = (1 - ik.STRAIGHT_MARGIN) * reach  # a hair short of straight: the arm keeps its bend plane
    assert np.linalg.norm(new[:, J["left_wrist"]] - far, axis=-1) == pytest.approx(3.0 - short, abs=1e-6)
    line = new[:, J["left_wrist"]] - new[:, J["left_shoulder"]]
    elbow = new[:, J["left_elbow"]] - new[:, J["left_shoulder"]]
    off = np.linalg.norm(np.cross(elbow, line / np.linalg.norm(line, axis=-1, keepdims=True)), axis=-1)
    assert np.all((off > 0.005) & (off < 0.02))  # about a centimetre off the line


def test_cleanup_meets_every_constraint_exactly():
    m = walk(4.0, fps=30.0)
    pos = m.positions()
    key = quat.identity((22,))
    key[J["right_shoulder"]] = quat.from_axis_angle(np.array([0, 0, 0.5]))

    def near(joint, frame, offset):
        return (pos[frame, J[joint]] + offset).tolist()

    cs = parse([
        {"type": "joint", "joint": "right_wrist", "time": 1.0, "position": near("right_wrist", 30, [-0.1, -0.2, 0.3])},
        {"type": "joint", "joint": "head", "start": 2.1, "end": 2.2, "position": near("head", 64, [0.0, -0.1, -0.05])},
        {"type": "joint", "joint": "left_foot", "time": 3.0, "position": near("left_foot", 90, [0.05, -0.1, 0.1])},
        {"type": "root_path", "points": [[0, 0, 0], [2, 0.03, -2], [4, 0, -4.05]]},
        {"type": "keyframe", "time": 3.5, "pose": {"rotations": key.tolist(), "root_translation": [0, -3.4, 0.9]}},
        {"type": "foot_plant", "foot": "right", "start": 0.4, "end": 0.7},
    ])  # fmt: skip
    cs.functions.append(AboveHeight("left_wrist", 1.6, 1.5, 1.8))
    out = cleanup(m, cs)
    rows = measure(out, cs)
    assert all(r["max"] < 0.01 for r in rows), rows
    # bone lengths are untouched: only rotations and the root change
    pos = out.positions()
    for j, p in enumerate(CANONICAL.parents[1:], 1):
        assert np.allclose(np.linalg.norm(pos[:, j] - pos[:, p], axis=-1), CANONICAL.bone_lengths()[j])
    assert np.isfinite(out.rotations).all()


def test_cleanup_reports_unreachable_target():
    m = walk(2.0, fps=30.0)
    high = parse([{"type": "joint", "joint": "left_wrist", "time": 1.0, "position": [0.3, -1.0, 3.0]}])
    assert 1.0 < measure(cleanup(m, high), high)[0]["max"] < 1.5  # above any reach: reported, not looped on
    near = parse([{"type": "joint", "joint": "left_wrist", "time": 1.0, "position": [1.0, -1.0, 1.0]}])
    assert 0.3 < measure(cleanup(m, near, root_assist=False), near)[0]["max"] < 1.0
    assert measure(cleanup(m, near), near)[0]["max"] < 1e-3  # the root steps over to it
    far = parse([{"type": "joint", "joint": "left_wrist", "time": 1.0, "position": [5.0, 0.0, 1.0]}])
    assert 3.0 < measure(cleanup(m, far), far)[0]["max"] < 4.5  # at most 1 m of root help, then reported


# ---------------------------------------------------------------- programmable terms


@pytest.mark.parametrize(
    "term",
    [
        AboveHeight("right_wrist", 1.6),
        BelowHeight("head", 1.0),
        InsideCircle("pelvis", [3, 0], 0.5),
        InsideBox("left_wrist", [0.5, 0.5, 0.5], [1, 1, 1]),
        MinDistance("pelvis", [0.0, -0.5, 0.92], 1.0),
    ],
)
def test_ready_terms_gradient_and_step(term):
    pos = walk(1.0).positions()
    r = term.residual(pos)
    assert (r > 0).all()
    analytic = term.gradient(pos)
    assert np.allclose(analytic, finite_difference(term.residual, pos), atol=1e-3)
    assert term.residual(pos + term.step(pos)).max() < 1e-6


def test_user_function_with_finite_differences_and_look_at():
    term = FunctionTerm(lambda p: np.maximum(1.6 - p[:, J["right_wrist"], 2], 0), start=1.0, end=3.0)
    pos = walk(1.0).positions()
    assert term.residual(pos + term.step(pos)).max() < 1e-6
    look = LookAt([3.0, 0.0])
    assert look.residual(pos).min() > 1.0  # the walker faces -Y, the point is to its left
    bad = FunctionTerm(lambda p: np.zeros(3))
    with pytest.raises(RequestError, match="finite residuals"):
        bad.residual(pos)
    with pytest.raises(RequestError, match="unknown joint"):
        AboveHeight("tail", 1.0)


# ---------------------------------------------------------------- editing with a stand-in denoiser


class FakeText:
    def encode(self, texts):
        return np.zeros((len(texts), 384), np.float32)


class InpaintingModels:
    """Returns the observed features where observed and a reference walk elsewhere (a perfect inpainter)."""

    fps, version = 20.0, "fake"
    device_note = None  # runs where it was asked to (runtime.Models)
    directory = Path("/nonexistent/fake-model")  # no vocabulary: prompt help stays quiet
    manifest = ModelManifest("fake", 20.0, frames_per_token=2, max_frames=320, default_steps=4, default_guidance=1.0)

    frames_per_token, obs_dim = 2, feat.FEATURE_DIM + 4

    def __init__(self):
        ref = feat.encode(walk(16.0, phase=0.3, speed=1.3)).astype(np.float32)
        self.mean = ref.mean(0)
        self.std = ref.std(0) + 0.1
        self.ref = (ref - self.mean) / self.std
        self.text = FakeText()

    def denoise(self, x_t, t, text, obs, obs_mask, valid):
        n = x_t.shape[1]
        m, o = obs_mask[..., :203], obs[..., :203]
        return (m * o + (1 - m) * self.ref[None, :n]).astype(np.float32)

    def encode(self, texts):
        return self.text.encode(texts)


@pytest.fixture
def fake_models(monkeypatch):
    models = InpaintingModels()
    monkeypatch.setattr(generation, "load_models", lambda *a, **k: models)
    return models


def edited(motion, models, **edit):
    """`motion` with one edit (job-file form) applied on the pipeline's sampler, default post-processing."""
    return apply_edit(motion, parse_edit(edit), models, PostProcessing())


def test_regenerate_range_keeps_outside_frames(fake_models):
    m = walk(6.0, fps=30.0)
    out = edited(m, fake_models, op="regenerate_range", start=60, end=120, text="a person jumps")
    assert out.num_frames == m.num_frames
    for a, b in ((out.rotations, m.rotations), (out.root_translation, m.root_translation)):
        assert np.array_equal(a[:60], b[:60]) and np.array_equal(a[120:], b[120:])
    step = np.linalg.norm(np.diff(out.root_translation, axis=0), axis=-1)
    assert step.max() < 0.1  # no root jump at the borders
    with pytest.raises(RequestError, match="not inside"):
        edited(m, fake_models, op="regenerate_range", start=100, end=500, text="x")


def test_extend_keeps_original_frames(fake_models):
    m = walk(3.0, fps=30.0)
    fwd = edited(m, fake_models, op="extend", seconds=2.0, text="a person keeps walking")
    assert fwd.num_frames == m.num_frames + 60
    assert np.array_equal(fwd.rotations[: m.num_frames], m.rotations)
    assert np.array_equal(fwd.root_translation[: m.num_frames], m.root_translation)
    assert np.linalg.norm(fwd.root_translation[m.num_frames] - m.root_translation[-1]) < 0.1
    back = edited(m, fake_models, op="extend", seconds=1.0, text="a person walks", direction="backward")
    assert back.num_frames == m.num_frames + 30
    assert np.array_equal(back.root_translation[30:], m.root_translation)
    assert np.linalg.norm(back.root_translation[29] - m.root_translation[0]) < 0.1
    with pytest.raises(RequestError, match="finite"):
        edited(m, fake_models, op="extend", seconds=float("nan"), text="x")
    with pytest.raises(RequestError, match="positive"):
        edited(m, fake_models, op="extend", seconds=0, text="x")
    with pytest.raises(RequestError, match="forward"):
        edited(m, fake_models, op="extend", seconds=1.0, text="x", direction="up")


def test_restyle_keeps_root_path_and_checks_strength(fake_models):
    m = walk(4.0, fps=30.0)
    out = edited(m, fake_models, op="restyle", text="an exhausted walk", strength=0.6)
    assert out.num_frames == m.num_frames
    assert np.abs(out.root_translation[:, :2] - m.root_translation[:, :2]).max() < 0.02
    assert np.array_equal(edited(m, fake_models, op="restyle", text="x", strength=0.0).rotations, m.rotations)
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(RequestError, match="between 0 and 1|finite"):
            edited(m, fake_models, op="restyle", text="x", strength=bad)


def test_constrained_generation_plumbing(fake_models):
    req = GenerationRequest.from_dict({"text": "walk", "seconds": 4, "fps": 30, "constraints": [
        {"type": "joint", "joint": "left_wrist", "time": 2.0, "position": [0.4, -2.0, 1.2]},
        {"type": "root_path", "points": [[0, 0, 0], [4, 0, -4]]}]})  # fmt: skip
    out = generation.generate(req, terms=[AboveHeight("right_wrist", 1.6, 1.0, 3.0)])
    rows = out.metadata["constraints"]
    assert [r["type"] for r in rows] == ["JointTarget", "RootPath", "AboveHeight"]
    assert all(r["max"] < 0.01 for r in rows), rows


def test_constrained_timeline_plumbing(fake_models):
    """Body-part tracks over three windows with a joint target, a root path and a keyframe in the second window."""
    req = GenerationRequest.from_dict({"seconds": 20, "fps": 30, "tracks": [
        {"text": "a person walks", "start": 0, "end": 20, "body_parts": ["legs", "torso"]},
        {"text": "a person waves", "start": 12, "end": 15, "body_parts": ["right_arm"]}], "constraints": [
        {"type": "joint", "joint": "right_wrist", "time": 14.0, "position": [0.0, -14.0, 1.6]},
        {"type": "root_path", "points": [[0, 0, 0], [10, 0.5, -10], [20, 0, -20]]},
        {"type": "keyframe", "time": 13.0, "pose": {"rotations": ID}}]})  # fmt: skip
    out = generation.generate(req)
    assert out.num_frames == 601
    rows = out.metadata["constraints"]
    assert [r["type"] for r in rows] == ["KeyframePose", "JointTarget", "RootPath"]
    assert all(r["max"] < 0.01 for r in rows), rows


@pytest.mark.parametrize("start, end", [(0, 30), (150, 181), (0, 181)])
def test_regenerate_range_at_the_ends(fake_models, start, end):
    m = walk(6.0, fps=30.0)
    out = edited(m, fake_models, op="regenerate_range", start=start, end=end, text="a person turns")
    keep = np.ones(m.num_frames, bool)
    keep[start:end] = False
    assert np.array_equal(out.rotations[keep], m.rotations[keep])
    assert np.array_equal(out.root_translation[keep], m.root_translation[keep])
    assert np.isfinite(out.rotations).all() and np.isfinite(out.root_translation).all()


def test_foot_cleanup_reduces_skating():
    from engine.eval.metrics import foot_skate_ratio

    m = walk(4.0, fps=30.0, speed=0.3)
    for leg in ("left_hip", "right_hip", "left_knee", "right_knee"):
        m.rotations[:, J[leg]] = [1.0, 0.0, 0.0, 0.0]  # standing feet drifting with the root: pure skating
    m.contacts = np.ones((m.num_frames, 4))
    before = foot_skate_ratio([m.positions()], m.fps)
    after = foot_skate_ratio([cleanup(m, ConstraintSet()).positions()], m.fps)
    assert after < 0.5 * before, (before, after)


def test_weight_zero_turns_a_constraint_off():
    m = walk(2.0, fps=30.0)
    cs = parse([
        {"type": "joint", "joint": "left_wrist", "time": 1.0, "position": [0.5, -1.0, 1.5], "weight": 0},
        {"type": "root_path", "points": [[0, 0, 0], [2, 1, -2]], "weight": 0},
        {"type": "keyframe", "time": 1.0, "pose": {"rotations": ID}, "weight": 0},
    ])  # fmt: skip
    out = cleanup(m, cs, feet=False)
    assert np.array_equal(out.root_translation, m.root_translation)
    assert np.allclose(quat.angle_between(out.rotations, m.rotations), 0.0, atol=1e-6)
