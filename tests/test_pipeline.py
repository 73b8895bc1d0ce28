"""engine.pipeline: every request kind takes the one path and honours the same post-processing settings;
provenance round-trips; the sampler can be driven step by step from outside."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_constraints import ID, InpaintingModels

from engine.errors import RequestError
from engine.io.smpl import read_smpl_npz, write_smpl_npz
from engine.pipeline import PostProcessing, Provenance, generation, post, sample
from engine.pipeline.provenance import sampling_changes
from engine.request import GenerationRequest
from engine.sampling import DDIMSampler, guide, guide_text_and_observations
from engine.sampling.ddim import step_times

WALK = {"text": "a person walks", "seconds": 4.0, "fps": 30, "seed": 1}
KINDS = {
    "single prompt": WALK,
    "tracks per body part": {"seconds": 4.0, "fps": 30, "tracks": [
        {"text": "a person walks", "start": 0, "end": 4, "body_parts": ["legs", "torso"]},
        {"text": "a person waves", "start": 1, "end": 3, "body_parts": ["right_arm"]}]},
    "constraints": {**WALK, "constraints": [
        {"type": "joint", "joint": "left_wrist", "time": 2.0, "position": [0.3, -2.0, 1.2]},
        {"type": "keyframe", "time": 3.0, "pose": {"rotations": ID}}]},
    "long sequence": {**WALK, "seconds": 24.0},
    "regenerate range": {**WALK, "edits": [{"op": "regenerate_range", "start": 30, "end": 60, "text": "a jump"}]},
    "extend": {**WALK, "edits": [{"op": "extend", "seconds": 1.0, "text": "a person stops"}]},
    "restyle": {**WALK, "edits": [{"op": "restyle", "text": "a tired walk", "strength": 0.5}]},
}  # fmt: skip
OFF = PostProcessing(smoothing=0.0, clean_feet=False, exact_constraints=False)
ON = PostProcessing(smoothing=1.5, clean_feet=True, exact_constraints=True)


@pytest.fixture
def spied(monkeypatch):
    """Stand-in models; records every clean-up (its `feet` flag) and every smoothing (its sigma)."""
    models = InpaintingModels()
    monkeypatch.setattr(generation, "load_models", lambda *a, **k: models)
    calls = {"feet": [], "sigma": []}
    real_cleanup, real_gaussian = post.cleanup, sample.gaussian

    def cleanup(motion, cset, **kw):
        calls["feet"].append(kw.get("feet", True))
        return real_cleanup(motion, cset, **kw)

    def gaussian(x, sigma):
        calls["sigma"].append(sigma)
        return real_gaussian(x, sigma)

    monkeypatch.setattr(post, "cleanup", cleanup)
    monkeypatch.setattr(sample, "gaussian", gaussian)
    return calls


@pytest.mark.parametrize("kind", KINDS)
def test_every_request_kind_honours_the_post_processing_settings(spied, kind):
    request = GenerationRequest.from_dict(KINDS[kind])
    results = {}
    for name, settings in (("off", OFF), ("on", ON)):
        spied["feet"].clear()
        spied["sigma"].clear()
        motion = generation.generate(request, post=settings)
        results[name] = motion
        assert motion.metadata["post_processing"] == settings.to_dict()
        assert all(f is settings.clean_feet for f in spied["feet"]), (kind, name, spied["feet"])
        if settings.smoothing:  # once per sampled window (edits sample one more), always with the setting
            assert len(spied["sigma"]) >= 1 + len(request.edits) and set(spied["sigma"]) == {settings.smoothing}
        else:
            assert spied["sigma"] == []
        if settings.clean_feet or (request.constraints and settings.exact_constraints):
            assert len(spied["feet"]) >= 1, kind
    assert not np.allclose(results["on"].rotations, results["off"].rotations), kind


def test_provenance_round_trips_through_dicts_json_and_npz(spied, tmp_path):
    request = GenerationRequest.from_dict({**KINDS["constraints"], "edits": KINDS["extend"]["edits"]})
    motion = generation.generate(request, post=ON)
    prov = Provenance.from_dict(motion.metadata)
    assert prov.to_request() == request and prov.post == ON and prov.seed == 1
    assert [r.type for r in prov.residuals] == ["KeyframePose", "JointTarget"]  # by kind, as ConstraintSet.all()
    assert Provenance.from_json(prov.to_json()) == prov
    write_smpl_npz(tmp_path / "m.npz", motion)
    assert Provenance.from_dict(read_smpl_npz(tmp_path / "m.npz").metadata) == prov
    again = generation.generate(prov.to_request(), post=prov.post)  # what Regenerate does
    assert np.array_equal(again.rotations, motion.rotations) and again.metadata == motion.metadata
    assert motion.metadata["step_spacing"] == prov.sampler.spacing == "trailing"
    before = {k: v for k, v in motion.metadata.items() if k != "step_spacing"}  # stored before spacings had names
    assert Provenance.from_dict(before).sampler.spacing == "linspace"
    with pytest.raises(RequestError, match="damaged"):
        Provenance.from_dict({"request": {}})


def test_a_request_with_pose_files_is_self_contained(tmp_path):
    (tmp_path / "pose.json").write_text(json.dumps({"rotations": ID}))
    job = {**WALK, "constraints": [{"type": "keyframe", "time": 1.0, "pose": "pose.json"}]}
    (tmp_path / "job.json").write_text(json.dumps(job))
    request = GenerationRequest.from_json_file(tmp_path / "job.json")
    stored = request.to_dict()
    assert stored["constraints"][0]["pose"] == {"rotations": ID}  # inlined: no file, no private base-dir key
    (tmp_path / "pose.json").unlink()
    assert GenerationRequest.from_dict(stored) == request


def test_the_sampler_steps_from_outside_and_in_lockstep():
    """Two samples driven step by step (as characters sharing one batched call) end where sample() ends."""
    sampler = DDIMSampler(4)
    rng = np.random.default_rng(0)
    noises = [rng.standard_normal((1, 6, 3)).astype(np.float32) for _ in range(2)]
    targets = [np.full((1, 6, 3), v, np.float32) for v in (0.5, -1.0)]

    def denoise(k):
        return lambda x, t: 0.5 * x + 0.5 * targets[k]

    alone = [sampler.sample(denoise(k), noises[k]) for k in range(2)]
    runs = [sampler.start(n) for n in noises]
    ts = []
    while not runs[0].done:
        batch = np.concatenate([r.x for r in runs])  # one call for both
        ts.append(runs[0].t)
        x0 = 0.5 * batch + 0.5 * np.concatenate(targets)
        for k, r in enumerate(runs):
            r.advance(x0[k : k + 1])
    assert ts == sampler.timesteps.tolist() and all(r.done for r in runs)
    for r, a in zip(runs, alone, strict=True):
        np.testing.assert_array_equal(r.x0, a)


def test_classifier_free_guidance_with_separate_text_and_observation_weights():
    full, obs_only, plain = np.array([3.0]), np.array([2.0]), np.array([0.0])
    assert guide(full, obs_only, 2.0)[0] == 4.0
    assert guide_text_and_observations(full, obs_only, None, 2.0)[0] == 4.0  # obs weight 1: no plain row needed
    assert guide_text_and_observations(full, obs_only, plain, 2.0, 0.5)[0] == 1.0 + 2.0


def test_trailing_steps_end_on_a_noisy_step_and_linspace_on_a_clean_one():
    """The default spends its last network call at T/n - 1 (a real denoising step), not at t = 0."""
    assert step_times(10).tolist() == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]
    assert step_times(10, spacing="linspace").tolist() == [999, 888, 777, 666, 555, 444, 333, 222, 111, 0]
    assert step_times(1).tolist() == [999] and step_times(50)[-1] == 19
    assert DDIMSampler(10).timesteps.tolist() == step_times(10).tolist()
    with pytest.raises(ValueError, match="trailing, linspace"):
        step_times(10, spacing="leading")


def test_the_model_picks_the_spacing_every_request_kind_samples_with(spied, monkeypatch):
    seen = []
    real = sample.DDIMSampler

    def spy(steps, **kw):
        seen.append(kw.get("spacing"))
        return real(steps, **kw)

    monkeypatch.setattr(sample, "DDIMSampler", spy)
    for kind in ("single prompt", "constraints", "regenerate range"):
        generation.generate(GenerationRequest.from_dict(KINDS[kind]), post=OFF)
    assert seen and set(seen) == {"trailing"}


def test_what_makes_a_regenerated_result_differ_is_named():
    made = {"model_version": "m2", "step_spacing": "trailing"}
    assert sampling_changes(dict(made), made) == []
    assert sampling_changes({"model_version": "m2"}, made) == [
        "the source Action was sampled with 'linspace' step spacing, this engine uses 'trailing'"
    ]
    assert sampling_changes({"model_version": "m1", "step_spacing": "trailing"}, made) == [
        "the source Action was made with model m1, this is m2"
    ]
    # a timeline made before its track borders were eased (no such setting stored); a single prompt has none
    eased = made | {"post_processing": {"ease_transitions": True}}
    timeline = {"request": {"tracks": [{"text": "a", "start": 0, "end": 2}, {"text": "b", "start": 2, "end": 4}]}}
    assert sampling_changes(made | timeline, eased) == [
        "the source Action's track borders were not eased, this engine's are (PostProcessing.ease_transitions)"
    ]
    assert sampling_changes(made | {"request": {"tracks": [{"text": "a", "start": 0, "end": 4}]}}, eased) == []
