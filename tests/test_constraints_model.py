"""Constraints and editing on the shipped model (skipped when exported_models/manifest.json is absent).

Fixed cases, each checked against the issue's bounds: constrained joints
within 1 cm and root paths within 2 cm after clean-up, the model alone
within its own (looser) bound; edits keep the untouched frames bit-identical
with continuous borders; a user error function is honoured.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from engine import quaternion as quat
from engine.constraints import AboveHeight
from engine.constraints.guidance import GuideOptions
from engine.edits import parse_edit
from engine.errors import RequestError
from engine.pipeline import PostProcessing, generate, inbetween
from engine.pipeline.edit_ops import apply_edit
from engine.request import GenerationRequest
from engine.runtime import load_models
from engine.skeleton import CANONICAL

RAW = PostProcessing(adaptive_smoothing=False, clean_feet=False, exact_constraints=False)  # model + guidance

MODEL_DIR = Path(os.environ.get("MC_MODEL_DIR", Path(__file__).resolve().parent.parent / "exported_models"))
pytestmark = pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(),
                                reason="needs the trained model: exported_models/manifest.json is missing")  # fmt: skip
J = {n: i for i, n in enumerate(CANONICAL.names)}
CLEAN_CM, PATH_CM = 1.0, 2.0
MODEL_JOINT_CM = 5.0  # the bound for the model alone (mean over constraints)


def run(job: dict, **kwargs):
    return generate(GenerationRequest.from_dict(job), model_dir=MODEL_DIR, threads=2, **kwargs)


def edited(motion, **edit):
    """`motion` with one edit (job-file form) applied with the shipped model and default post-processing."""
    return apply_edit(motion, parse_edit(edit), load_models(MODEL_DIR, "auto", 2), PostProcessing())


@pytest.fixture(scope="module")
def walk():
    req = GenerationRequest.from_dict({"text": "a person walks forward", "seconds": 6.0, "fps": 30, "seed": 3})
    return generate(req, model_dir=MODEL_DIR, threads=2)


def rows(motion):
    return {r["type"] + ":" + r["label"]: r for r in motion.metadata["constraints"]}


@pytest.mark.parametrize("joint, time, position", [
    ("right_wrist", 2.0, [-0.35, -1.2, 1.45]),
    ("left_ankle", 1.5, [0.15, -1.0, 0.35]),
])  # fmt: skip
def test_joint_target(joint, time, position):
    m = run({"text": "a person walks forward", "seconds": 4.0, "fps": 30, "seed": 1, "constraints": [
        {"type": "joint", "joint": joint, "time": time, "position": position}]})  # fmt: skip
    (r,) = m.metadata["constraints"]
    assert r["max"] * 100 <= CLEAN_CM, r
    assert r["model_mean"] * 100 <= MODEL_JOINT_CM, r
    f = int(round(time * 30))
    assert np.linalg.norm(m.positions()[f, J[joint]] - position) * 100 <= CLEAN_CM


def test_root_path():
    points = [[0, 0, 0], [2, 0.4, -1.8], [4, 1.4, -3.2], [6, 2.8, -3.8]]
    m = run({"text": "a person walks", "seconds": 6.0, "fps": 30, "seed": 2, "constraints": [
        {"type": "root_path", "points": points}]})  # fmt: skip
    (r,) = m.metadata["constraints"]
    assert r["max"] * 100 <= PATH_CM, r
    assert r["model_mean"] * 100 <= 4 * PATH_CM, r  # learned path conditioning plus guidance


def test_keyframes_inbetween(walk):
    a, b = 15, 135  # 0.5 s and 4.5 s at 30 fps
    keys = [{"time": f / 30, "pose": {"rotations": walk.rotations[f].tolist(),
                                      "root_translation": walk.root_translation[f].tolist()}} for f in (a, b)]  # fmt: skip
    m = inbetween(keys, "a person walks forward", seconds=5.0, fps=30, model_dir=MODEL_DIR, threads=2)
    for r in m.metadata["constraints"]:
        assert r["max"] * 100 <= CLEAN_CM, r
    assert np.abs(m.positions()[b] - walk.positions()[b]).max() * 100 <= CLEAN_CM


def test_foot_plant():
    m = run({"text": "a person stands and looks around", "seconds": 3.0, "fps": 30, "seed": 4, "constraints": [
        {"type": "foot_plant", "foot": "left", "start": 0.5, "end": 2.5, "position": [0.1, 0.0]}]})  # fmt: skip
    (r,) = m.metadata["constraints"]
    assert r["max"] * 100 <= CLEAN_CM, r


def test_user_function_right_wrist_above():
    """The issue's example: the right wrist stays above 1.6 m over frames 20-60 (at 20 fps: 1 s to 3 s)."""
    term = AboveHeight("right_wrist", 1.6, start=1.0, end=3.0)
    m = run({"text": "a person walks forward", "seconds": 4.0, "fps": 20, "seed": 5}, terms=[term])
    (r,) = m.metadata["constraints"]
    z = m.positions()[20:61, J["right_wrist"], 2]
    assert z.min() >= 1.6 - 1e-3, z.min()
    assert r["model_mean"] < 0.1, r  # guidance alone gets most of the way


def test_regenerate_range(walk):
    out = edited(walk, op="regenerate_range", start=60, end=120, text="a person jumps", seed=1)
    for x, y in ((out.rotations, walk.rotations), (out.root_translation, walk.root_translation)):
        assert np.array_equal(x[:60], y[:60]) and np.array_equal(x[120:], y[120:])
    pos, orig = out.positions(), walk.positions()
    typical = np.linalg.norm(np.diff(orig, axis=0), axis=-1).max()
    for border in (59, 119):  # the step into and out of the new range
        jump = np.linalg.norm(pos[border + 1] - pos[border], axis=-1).max()
        assert jump <= 2 * typical + 0.02, (border, jump, typical)


def test_extend_keeps_frames(walk):
    out = edited(walk, op="extend", seconds=2.0, text="a person keeps walking")
    n = walk.num_frames
    assert out.num_frames == n + 60
    assert np.array_equal(out.rotations[:n], walk.rotations) and np.array_equal(out.root_translation[:n],
                                                                                walk.root_translation)  # fmt: skip
    pos = out.positions()
    typical = np.linalg.norm(np.diff(pos[:n], axis=0), axis=-1).max()
    assert np.linalg.norm(pos[n] - pos[n - 1], axis=-1).max() <= 2 * typical + 0.02


def test_restyle_keeps_root_path(walk):
    out = edited(walk, op="restyle", text="a person walks forward exhausted", strength=0.6)
    assert out.num_frames == walk.num_frames
    assert np.abs(out.root_translation[:, :2] - walk.root_translation[:, :2]).max() <= PATH_CM / 100
    with pytest.raises(RequestError, match="between 0 and 1"):
        edited(walk, op="restyle", text="x", strength=1.2)


def test_bad_constraints_fail_when_the_request_is_built():
    bad = [
        {"type": "joint", "joint": "head", "time": 9.0, "position": [0, 0, 1.6]},
        {"type": "root_path", "points": [[1.0, 0, 0]]},
        {"type": "joint", "joint": "head", "time": 1.0, "position": [0, float("inf"), 1.6]},
    ]
    for c in bad:
        with pytest.raises(RequestError):  # when the request is built, before any sampling
            GenerationRequest.from_dict({"text": "walk", "seconds": 4, "constraints": [c]})


def test_with_guidance_off_the_network_meets_far_joint_targets_and_keyframes():
    """A target 1.5 m beside a walk and an end pose 1.5 m over and turned 90 degrees: observed only as places the
    network walked past them (1.2-1.8 m off when measured); observed as the root velocities that carry the walk
    there (GuideOptions.observe_root_moves), it meets them (2.4-3.5 cm)."""
    base = {"text": "a person walks forward", "seconds": 4.0, "fps": 20, "seed": 1}
    free = run(base, post=RAW)
    end = free.num_frames - 1
    rot = free.rotations[end].copy()
    rot[0] = quat.multiply(quat.from_axis_angle(np.array([0.0, 0.0, np.pi / 2])), rot[0])
    cases = [
        {"type": "joint", "joint": "head", "time": 3.0, "position": (free.positions()[60, J["head"]] + [1.5, 0, 0])},
        {"type": "keyframe", "time": 4.0, "pose": {"rotations": rot, "root_translation": free.root_translation[end] + [1.5, 0, 0]}},
    ]  # fmt: skip
    for item in cases:
        item = json.loads(json.dumps(item, default=np.ndarray.tolist))
        errors = [run({**base, "constraints": [item]}, post=RAW, guide_options=GuideOptions(strength=0.0,
                      observe_root_moves=on)).metadata["constraints"][0]["model_mean"] for on in (True, False)]  # fmt: skip
        assert errors[0] < 0.1 and errors[1] > 0.5, (item["type"], errors)


def test_with_guidance_off_the_network_meets_joint_targets_its_motion_misses_observed_as_rotations():
    """A wrist or ankle 30-40 cm from where the free motion has it at 2 s: observed as positions only, the network
    kept its own pose (21-38 cm off when measured); with the reaching chain's rotations observed on the last call
    (GuideOptions.observe_target_pose) it meets them (0.5-5.6 cm)."""
    for text, joint, offset in (("a person waves the right hand", "left_wrist", [0.0, -0.3, 0.3]),
                                ("a person walks forward", "right_wrist", [0.0, -0.3, 0.2]),
                                ("a person raises both hands", "right_ankle", [0.0, -0.25, 0.2])):  # fmt: skip
        base = {"text": text, "seconds": 4.0, "fps": 20, "seed": 1}
        target = (run(base, post=RAW).positions()[40, J[joint]] + offset).tolist()
        job = {**base, "constraints": [{"type": "joint", "joint": joint, "time": 2.0, "position": target}]}
        errors = [run(job, post=RAW, guide_options=GuideOptions(strength=0.0, observe_target_pose=on))
                  .metadata["constraints"][0]["model_mean"] for on in (True, False)]  # fmt: skip
        assert errors[0] < 0.08 and errors[1] > 0.15, (text, errors)


def test_a_far_target_walks_the_body_over_instead_of_whipping_the_pelvis():
    """A head target 1.5 m beside a walk at 3 s, default settings: the root's share went over and came back
    within the reach window (pelvis at 5.6 m/s when measured); now one walk over, eased in from the start."""
    base = {"text": "a person walks forward", "seconds": 4.0, "fps": 20, "seed": 1}
    target = run(base).positions()[60, J["head"]] + [1.5, 0.0, 0.0]
    out = run({**base, "constraints": [{"type": "joint", "joint": "head", "time": 3.0, "position": target.tolist()}]})
    pelvis = out.positions()[:, 0, :2]
    assert out.metadata["constraints"][0]["mean"] < 0.01
    assert np.linalg.norm(np.diff(pelvis, axis=0), axis=-1).max() * out.fps < 2.0


def test_a_standing_body_reaches_up_for_a_target_above_its_reach_on_its_feet():
    """'a person stands still' with a left-wrist target 2.5 m up (73 cm beyond the raised arm): unheld, the model
    dove head first at seed 0 (head 12 cm above the floor at 1 s) and missed it all the same; held in place, the
    body stands (head 1.38 m), the arm goes up and the residual is reported (72.6 cm when measured)."""
    m = run({"text": "a person stands still", "seconds": 4, "fps": 20, "seed": 0,
             "constraints": [{"type": "joint", "joint": "left_wrist", "time": 2.0, "position": [0.3, 0.0, 2.5]}]})  # fmt: skip
    pos = m.positions()
    (row,) = [r for r in m.metadata["constraints"] if r["type"] == "JointTarget"]
    assert pos[:, J["head"], 2].min() > 1.3 and pos[:, [J["left_ankle"], J["right_ankle"]], 2].max() < 0.2
    assert 0.6 < row["mean"] < 0.8 and pos[40, J["left_wrist"], 2] > 1.7
