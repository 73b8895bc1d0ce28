"""Constraints on timelines: tracks per body part, partial tracks and multi-window sequences with constraints.

The first part needs no model: how constraints are split per window
(engine.constraints.windows), where each window starts in the world, the
observations every row of a window's batch gets, and the contract between
the timeline sampler and its guides. The second part uses the shipped model
(skipped when exported_models/manifest.json is absent; MC_TEST_MODEL_DIR
points it at another model folder), at the model rate (20 fps) on 2 threads.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from engine import features as feat
from engine import quaternion as quat
from engine.constraints import parse_constraints
from engine.constraints.coordinates import WindowFrame
from engine.constraints.trajectory import Trajectory
from engine.constraints.windows import TimelineGuides, WindowGuide, window_constraints
from engine.errors import RequestError
from engine.motion import Motion
from engine.observations import PATH_COS, PATH_SIN, PATH_X, PATH_Y, ROOT_PATH_SCALE
from engine.pipeline import PostProcessing, generation
from engine.pipeline.sample import Conditions, sample_windows
from engine.pipeline.settings import SamplerSettings
from engine.request import GenerationRequest, Track
from engine.runtime import load_models
from engine.skeleton import CANONICAL
from engine.timeline import compose, plan

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = Path(os.environ.get("MC_TEST_MODEL_DIR", ROOT / "exported_models"))
needs_model = pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(), reason="needs the trained model")
FPS = 20.0
F = feat.FEATURE_DIM
RW = CANONICAL.index("right_wrist")
WINDOWS = [(0, 202), (162, 364), (324, 402)]  # a 20 s timeline at 20 fps: 10 s windows overlapping by 2 s


def turning_walk(seconds: float) -> Motion:
    """A T-posed body walking at 1 m/s on a circle of radius 5 m, turning with it."""
    t = np.arange(int(round(seconds * FPS)) + 1) / FPS
    yaw = 0.2 * t  # rad, 0 faces -Y; moving along the facing direction (-sin yaw, -cos yaw) turned by yaw
    root = np.stack([5.0 * (1 - np.cos(yaw)), -5.0 * np.sin(yaw), np.full(len(t), 0.9)], -1)
    rot = quat.identity((len(t), CANONICAL.num_joints))
    rot[:, 0] = quat.about_z(yaw)
    return Motion(FPS, root, rot)


# ---------------------------------------------------------------- splitting per window (no model)


def test_constraints_are_split_per_window_in_window_time():
    cset = parse_constraints([
        {"type": "keyframe", "time": 13.0, "pose": {"rotations": quat.identity((22,)).tolist()}},
        {"type": "joint", "joint": "right_wrist", "start": 9.0, "end": 11.0, "position": [0.0, -1.0, 1.5]},
        {"type": "root_path", "points": [[0, 0, 0], [5, 0, -5], [12, 2, -10], [20, 6, -14]]},
        {"type": "root_path", "curve": [[0, 0], [0, -20]], "facing": [[8.5, 10.0]]},
        {"type": "foot_plant", "foot": "left", "time": 19.0},
    ], 20.0, FPS)  # fmt: skip
    parts = [window_constraints(cset, lo, hi, FPS) for lo, hi in WINDOWS]
    assert [[round(k.time, 9) for k in p.keyframes] for p in parts] == [
        [],
        [4.9],
        [],
    ]  # 13 s is in the second window only
    assert [[(round(j.start, 9), round(j.end, 9)) for j in p.joints] for p in parts] == [
        [(9.0, 10.05)],
        [(0.9, 2.9)],
        [],
    ]
    assert [len(p.plants) for p in parts] == [0, 0, 1] and parts[2].plants[0].start == pytest.approx(2.8)
    sparse = [p.paths[0] for p in parts]
    # waypoints inside each window, plus the path's point where the window ends (interpolated, height free)
    np.testing.assert_allclose(sparse[0].times, [0, 5, 10.05])
    np.testing.assert_allclose(sparse[0].points[-1], [2 * 5.05 / 7, -5 - 5 * 5.05 / 7])
    assert np.isnan(sparse[0].heights[-1])
    np.testing.assert_allclose(sparse[1].times, [3.9, 10.05])
    np.testing.assert_allclose(sparse[2].times, [3.8])
    curve = parts[1].paths[1]  # a curve is cut exactly at the window's first and last frames
    assert curve.dense and curve.times[0] == 0.0 and curve.times[-1] == pytest.approx(10.05)
    np.testing.assert_allclose(curve.at(np.array([0.0, 10.05]))[0], [[0, -8.1], [0, -18.15]], atol=1e-9)
    np.testing.assert_allclose(curve.facing, [[0.4, np.deg2rad(10.0)]])
    np.testing.assert_allclose(parts[0].paths[1].facing, [[8.5, np.deg2rad(10.0)]])  # in both windows
    assert not parts[2].paths[1].facing.size


def test_each_window_starts_where_the_features_before_it_put_it():
    motion = turning_walk(20.0)
    raw = feat.encode(motion).astype(np.float64)
    mean, std = raw.mean(0), raw.std(0) + 0.1
    norm = ((raw - mean) / std).astype(np.float32)
    start = WindowFrame((0.0, 0.0), 0.0)
    guides = TimelineGuides(parse_constraints([], 20.0, FPS), mean, std, FPS)
    assert guides.start == start
    yaw = feat.heading(motion.forward_kinematics()[1][:, 0])
    for lo, _ in WINDOWS:
        frame = guides.place(lo, norm)
        np.testing.assert_allclose(frame.origin, motion.root_translation[lo, :2], atol=2e-3)
        assert abs((frame.yaw - yaw[lo] + np.pi) % (2 * np.pi) - np.pi) < 1e-3


def test_a_late_crop_observes_the_root_path_from_its_own_first_frame():
    motion = turning_walk(6.0)
    raw = feat.encode(motion).astype(np.float64)
    traj = Trajectory.from_features(raw, FPS)
    times = np.arange(len(raw)) / FPS
    curve = [[float(x), float(y)] for x, y in traj.root]
    cset = parse_constraints([{"type": "root_path", "curve": curve}], 6.0, FPS)
    cset.paths[0].times = times  # exactly the walk's own path, frame by frame
    guide = WindowGuide(cset, np.zeros(F), np.ones(F), FPS, len(raw), WindowFrame())
    first = guide.crop_observations([0, 40])
    assert first[0][1][:, PATH_X].all() and not first[40][1][:, PATH_X:].any()  # no prediction yet: no late path
    guide.last = raw
    obs, mask = guide.crop_observations([0, 40])[40]
    assert obs.shape == (len(raw) - 40, F + 4) and mask[:, PATH_X].all()
    np.testing.assert_allclose(obs[0, [PATH_X, PATH_Y]], 0.0, atol=1e-9)
    d = (traj.root[70] - traj.root[40]) / ROOT_PATH_SCALE
    c, s = np.cos(-traj.yaw[40]), np.sin(-traj.yaw[40])
    np.testing.assert_allclose(obs[30, [PATH_X, PATH_Y]], [c * d[0] - s * d[1], s * d[0] + c * d[1]], atol=1e-6)
    whole = guide.crop_observations([0])[0][0]
    np.testing.assert_allclose(whole[70, [PATH_X, PATH_Y]], traj.root[70] / ROOT_PATH_SCALE, atol=1e-6)
    assert not mask[:, [PATH_SIN, PATH_COS]].any()  # no facing given: not observed


class RecordingNet:
    """x0 = 0; records the obs / obs_mask of every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, x_t, t, text, obs, obs_mask, valid):
        self.calls.append((obs.copy(), obs_mask.copy(), valid.copy()))
        return np.zeros_like(x_t)


class FrameObserver:
    """Observes column 0 = the window frame index, on every frame."""

    def crop_observations(self, starts, t=None):
        return {a: (np.arange(a, 200.0)[:, None] * np.ones(F + 4), np.ones((200 - a, F + 4))) for a in starts}


def test_every_row_observes_its_own_crop_and_the_prefix_wins():
    tracks = [Track("a person walks", 0.0, 10.0, ["legs"]), Track("a person waves", 4.0, 6.0)]
    spans = plan.spans_from_tracks(tracks, FPS)
    net = RecordingNet()
    embeddings = {"a person walks": np.zeros(384), "a person waves": np.zeros(384), "": np.zeros(384)}
    prefix = compose.Prefix(norm=np.full((40, F), 7.0, np.float32), raw=np.zeros((40, F)))
    composer = compose.WindowComposer(net, embeddings, spans, 0, 200, last=400, fps=FPS, guidance=2.0,
                                      frames_per_token=2, obs_dim=F + 4, prefix=prefix, observer=FrameObserver())  # fmt: skip
    composer(np.zeros((1, 200, F), np.float32), 999)
    for obs, mask, valid in net.calls:
        for r in range(len(obs)):
            n = int(valid[r].sum())
            a = next(a for a, e in composer.rows if e - a == n)
            k = max(40 - a, 0)
            assert (obs[r, :k, 0] == 7.0).all()  # the observed prefix
            np.testing.assert_array_equal(obs[r, k:n, 0], np.arange(a + k, a + n))  # the observer, on the crop
            assert mask[r, :n].all()
    assert any(a > 40 for a, _ in composer.rows)  # the wave's crop starts after the prefix


class RecordingGuides:
    """Returns no guide; records the features handed over for each window."""

    def __init__(self):
        self.seen = []

    def window(self, lo, hi, features):
        self.seen.append((lo, hi, features[:lo].copy()))
        return None


def test_windows_ask_for_their_guide_in_order_with_the_final_features_before_them():
    spans = plan.spans_from_tracks([Track("a person walks", 0.0, 20.0)], FPS)
    guides = RecordingGuides()

    def net(x_t, t, text, obs, obs_mask, valid):
        return (x_t * 0.5 + 0.1).astype(np.float32)

    model = SimpleNamespace(denoise=net, encode=lambda texts: np.zeros((len(texts), 384)), mean=np.zeros(F),
                            std=np.ones(F), fps=FPS, frames_per_token=2, obs_dim=F + 4)  # fmt: skip
    out = sample_windows(Conditions(spans, last=400.0, guides=guides), 402, model, SamplerSettings(3, 2.0), 0,
                         window=202, overlap=40)  # fmt: skip
    assert [(lo, hi) for lo, hi, _ in guides.seen] == WINDOWS
    for lo, _, before in guides.seen:
        np.testing.assert_array_equal(before, out[:lo])


def test_bad_constraints_with_tracks_stop_when_the_request_is_built():
    with pytest.raises(RequestError, match=r"constraint 0 \(joint\): time 9 s is outside the clip"):
        GenerationRequest.from_dict({"seconds": 8.0, "tracks": [
            {"text": "a person walks", "start": 0.0, "end": 8.0, "body_parts": ["legs"]},
            {"text": "a person waves", "start": 2.0, "end": 5.0, "body_parts": ["right_arm"]}],
            "constraints": [{"type": "joint", "joint": "right_wrist", "time": 9.0, "position": [0, 0, 1]}]})  # fmt: skip


# ---------------------------------------------------------------- the shipped model


def gen(job: dict, **kwargs):
    req = GenerationRequest.from_dict({"fps": FPS, "seed": 0, **job})
    return generation.generate(req, model_dir=MODEL_DIR, provider="cpu", threads=2, **kwargs)


WALK_WAVE = [{"text": "a person walks forward", "start": 0.0, "end": 8.0, "body_parts": ["legs", "torso"]},
             {"text": "a person waves the right hand", "start": 2.0, "end": 5.0, "body_parts": ["right_arm"]}]  # fmt: skip


def report(motion) -> dict:
    return {r["type"]: r for r in motion.metadata["constraints"]}


@pytest.fixture(scope="module")
def wrist_job():
    """The walk + wave timeline with the right wrist 20 cm higher and 15 cm further out at 5 s than it was."""
    plain = gen({"seconds": 8.0, "tracks": WALK_WAVE}, post=PostProcessing(clean_feet=False))
    target = plain.positions()[100, RW] + [-0.15, 0.0, 0.2]
    job = {"seconds": 8.0, "tracks": WALK_WAVE, "constraints": [
        {"type": "joint", "joint": "right_wrist", "time": 5.0, "position": target.round(3).tolist()}]}  # fmt: skip
    return job, gen(job)


@needs_model
def test_body_part_tracks_with_a_wrist_target(wrist_job):
    job, motion = wrist_job
    target = job["constraints"][0]["position"]
    row = report(motion)["JointTarget"]
    assert row["max"] * 100 < 1.0, row  # after clean-up
    assert row["model_max"] * 100 < 15.0, row  # model + guidance (includes the 1-frame output smoothing)
    assert np.linalg.norm(motion.positions()[100, RW] - target) * 100 < 1.0
    travel = np.linalg.norm(motion.root_translation[-1, :2] - motion.root_translation[0, :2])
    assert travel > 3.0, f"the walk covers only {travel:.2f} m"


@needs_model
def test_same_seed_same_frames(wrist_job):
    job, motion = wrist_job
    again = gen(job)
    np.testing.assert_array_equal(again.rotations, motion.rotations)
    np.testing.assert_array_equal(again.root_translation, motion.root_translation)


def quarter_circle_path() -> list[list[float]]:
    """Waypoints every second on a quarter circle, 20 s at 1 m/s, starting at the origin facing -Y."""
    t = np.arange(21.0)
    a = t / 20 * np.pi / 2
    r = 20 / (np.pi / 2)
    return np.stack([t, r * (1 - np.cos(a)), -r * np.sin(a)], -1).round(4).tolist()


@needs_model
def test_a_20_s_timeline_follows_a_root_path_and_a_keyframe_in_the_second_window():
    pose = quat.identity((CANONICAL.num_joints,))
    pose[0] = quat.about_z(np.array(13.0 / 20 * np.pi / 2))  # a T-pose, facing along the path at 13 s
    tracks = [
        {"text": "a person walks forward", "start": 0.0, "end": 20.0, "body_parts": ["legs", "torso"]},
        {"text": "a person waves the right hand", "start": 4.0, "end": 7.0, "body_parts": ["right_arm"]},
    ]
    models = load_models(MODEL_DIR, "cpu", 2)
    window, overlap = generation.window_plan(models)
    windows = plan.windows(models.manifest.window_frames(20.0), window, overlap, 2)
    assert len(windows) >= 3 and windows[0][1] < 13 * models.fps < windows[2][0]  # 13 s: the second window only
    motion = gen({"seconds": 20.0, "tracks": tracks, "constraints": [
        {"type": "root_path", "points": quarter_circle_path()},
        {"type": "keyframe", "time": 13.0, "pose": {"rotations": pose.tolist()}}]})  # fmt: skip
    rows = report(motion)
    assert rows["RootPath"]["max"] * 100 < 2.0, rows
    assert rows["KeyframePose"]["max"] * 100 < 1.0, rows
    assert rows["RootPath"]["model_mean"] * 100 < 10.0 and rows["KeyframePose"]["model_mean"] * 100 < 10.0, rows
    f = int(13 * FPS)
    want, _ = CANONICAL.forward_kinematics(pose, motion.root_translation[f])
    assert np.abs(motion.positions()[f] - want).max() * 100 < 1.0
    speed = np.linalg.norm(np.diff(motion.root_translation[:, :2], axis=0), axis=-1) * FPS
    assert speed.max() < 3.0, f"the root jumps ({speed.max():.2f} m/s)"
