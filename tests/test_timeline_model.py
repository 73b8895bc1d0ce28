"""Timelines with the shipped model (skipped when exported_models/manifest.json is absent).

MC_TEST_MODEL_DIR points these tests at another model folder (e.g. a
mid-training export). Everything runs at the model rate (20 fps), on 2 threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import features as feat
from engine.pipeline import generation
from engine.pipeline.sample import Conditions, sample_windows
from engine.pipeline.settings import PostProcessing, SamplerSettings
from engine.request import GenerationRequest
from engine.runtime import load_models
from engine.sampling import DDIMSampler, classifier_free
from engine.skeleton import JOINT_NAMES
from engine.timeline import plan

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = Path(os.environ.get("MC_TEST_MODEL_DIR", ROOT / "exported_models"))
pytestmark = pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(), reason="needs the trained model")
FPS = 20.0


def gen(job: dict):
    req = GenerationRequest.from_dict({"fps": FPS, "seed": 0, **job})
    return generation.generate(req, model_dir=MODEL_DIR, provider="cpu", threads=2)


def speeds(positions: np.ndarray) -> np.ndarray:
    """(T-1,) the fastest joint's speed per frame step, m/s."""
    return np.linalg.norm(np.diff(positions, axis=0), axis=-1).max(axis=1) * FPS


def test_a_single_prompt_is_the_one_track_one_window_case_of_the_general_sampler():
    """The per-window sampler with one whole-body track gives what plain classifier-free DDIM gives."""
    req = GenerationRequest.from_dict({"text": "a person walks forward", "seconds": 6.0, "fps": FPS, "seed": 3})
    models = load_models(MODEL_DIR, "cpu", 2)
    settings = SamplerSettings.resolve(models.manifest, None, None)
    total = models.manifest.window_frames(req.seconds)
    text = models.encode([req.tracks[0].text, ""])
    zeros = np.zeros((2, total, models.obs_dim), np.float32)

    def network(x2: np.ndarray, t: int) -> np.ndarray:
        return models.denoise(x2, np.full(2, t), text, zeros, zeros, np.ones((2, total), np.float32))

    noise = np.random.default_rng(req.seed).standard_normal((1, total, len(models.mean))).astype(np.float32)
    plain = DDIMSampler(settings.steps).sample(classifier_free(network, settings.guidance), noise)[0]
    window, overlap = generation.window_plan(models)
    cond = Conditions(plan.spans_from_tracks(req.tracks, models.fps), last=req.seconds * models.fps)
    composed = sample_windows(cond, total, models, settings, req.seed, window=window, overlap=overlap)
    np.testing.assert_allclose(composed, plain, atol=1e-5)


def test_walk_with_a_right_hand_wave_moves_the_root_and_raises_the_right_wrist_in_its_interval():
    motion = gen({"seconds": 8.0, "tracks": [
        {"text": "a person walks forward", "start": 0.0, "end": 8.0, "body_parts": ["legs"]},
        {"text": "a person waves the right hand", "start": 2.0, "end": 5.0, "body_parts": ["right_arm"]}]})  # fmt: skip
    pos = motion.positions()
    travel = np.linalg.norm(motion.root_translation[-1, :2] - motion.root_translation[0, :2])
    assert travel > 1.0, f"the walk covers only {travel:.2f} m"
    wrist = pos[:, JOINT_NAMES.index("right_wrist"), 2] - pos[:, 0, 2]
    t = np.arange(len(wrist)) / FPS
    inside = wrist[(t >= 2.5) & (t <= 4.5)].mean()
    outside = wrist[(t <= 1.5) | (t >= 6.0)].mean()
    assert inside > outside + 0.15, f"right wrist {inside:.2f} m above the pelvis in the wave, {outside:.2f} outside"
    speed = np.linalg.norm(np.diff(motion.root_translation[:, :2], axis=0), axis=-1) * FPS
    during, around = speed[(t[1:] >= 2.5) & (t[1:] <= 4.5)].mean(), speed[(t[1:] <= 1.5) | (t[1:] >= 6.0)].mean()
    assert during > 0.6 * around, f"the walk slows from {around:.2f} to {during:.2f} m/s during the wave"


def test_transitions_have_no_velocity_spikes():
    motion = gen({"seconds": 8.0, "tracks": [
        {"text": "a person walks forward", "start": 0.0, "end": 6.0, "body_parts": ["legs", "torso"]},
        {"text": "a person waves the right hand", "start": 2.0, "end": 5.0},
        {"text": "a person bows", "start": 6.0, "end": 8.0}]})  # fmt: skip
    v = speeds(motion.positions())
    acc = np.abs(np.diff(v)) * FPS
    for values, offset, what in ((v, 0.5, "speed"), (acc, 1.0, "acceleration")):
        t = (np.arange(len(values)) + offset) / FPS
        near = np.zeros(len(values), bool)
        for border in (2.0, 5.0, 6.0):
            near |= np.abs(t - border) < 0.5
        peak, elsewhere = values[near].max(), values[~near].max()
        assert peak < 1.5 * elsewhere, f"peak {what} {peak:.2f} at a border, at most {elsewhere:.2f} elsewhere"


def test_a_60_s_timeline_runs_end_to_end_without_drift():
    tracks = [{"text": "a person walks forward", "start": 0.0, "end": 60.0, "body_parts": ["legs"]}]
    tracks += [{"text": t, "start": s, "end": s + 4.0} for s, t in
               [(5, "a person waves the right hand"), (20, "a person raises both hands"), (40, "a person bows")]]  # fmt: skip
    motion = gen({"seconds": 60.0, "tracks": tracks})
    assert motion.num_frames == 1201
    z = motion.root_translation[:, 2]
    assert 0.5 < z.min() and z.max() < 1.3, f"root height {z.min():.2f}-{z.max():.2f} m"
    yaw = np.unwrap(feat.heading(motion.forward_kinematics()[1][:, 0]))
    assert np.abs(np.diff(yaw)).max() < 0.3  # heading continuous across windows
    v = np.linalg.norm(np.diff(motion.root_translation, axis=0), axis=-1) * FPS
    assert v.max() < 4.0, f"root speed peaks at {v.max():.2f} m/s"


@pytest.mark.parametrize("example, frames", [("timeline.json", 241), ("timeline_constraints.json", 361)])
def test_cli_generates_the_example_timeline(tmp_path, example, frames):
    out = tmp_path / "x.bvh"
    cmd = [sys.executable, "-m", "engine", "generate", "--job", str(ROOT / "examples" / example),
           "--out", str(out), "--model-dir", str(MODEL_DIR), "--threads", "2"]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"Frames: {frames}" in out.read_text()


def test_a_hand_the_next_track_raises_does_not_flick_up():
    """'raises the right hand up' then '... the left hand up youthfully' at 3.7 s (the timeline suite's worst
    border, seed 13): the sampler settled on the raised hand within 0.25 s, the wrist at 7.7 m/s; eased
    (PostProcessing.ease_transitions) it rises over about 0.4 s, at 3.5 m/s at most."""
    tracks = [{"text": "a person raises the right hand up", "start": 0.0, "end": 3.7},
              {"text": "the person raises the left hand up youthfully", "start": 3.7, "end": 7.6}]  # fmt: skip
    req = GenerationRequest.from_dict({"fps": FPS, "seed": 13, "seconds": 7.6, "tracks": tracks})
    wrist = JOINT_NAMES.index("left_wrist")
    peak = {}
    for ease in (True, False):
        motion = generation.generate(req, model_dir=MODEL_DIR, provider="cpu", threads=2,
                                     post=PostProcessing(ease_transitions=ease))  # fmt: skip
        speed = np.linalg.norm(np.diff(motion.positions()[:, wrist], axis=0), axis=-1) * FPS
        peak[ease] = speed[int(2.7 * FPS) : int(4.7 * FPS)].max()
        assert motion.positions()[int(5 * FPS), wrist, 2] > 1.5  # raised either way
    assert peak[True] < 4.0 < 6.0 < peak[False], peak
