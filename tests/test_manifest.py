"""The typed model manifest: every broken manifest or statistics file is one ModelFilesError naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ModelFilesError
from engine.manifest import ModelManifest, check_denoiser_inputs, parse_manifest, read_manifest
from engine.runtime import load_models
from engine.skeleton import CANONICAL

MODEL_DIR = Path(__file__).resolve().parent.parent / "exported_models"
GOOD = {
    "format_version": 1, "model_version": "m1", "fps": 20.0, "feature_dim": 203, "obs_dim": 207,
    "frames_per_token": 2, "max_frames": 320, "diffusion_steps": 1000, "schedule": "cosine", "prediction": "x0",
    "default_steps": 10, "default_guidance": 2.5,
    "skeleton": {"names": list(CANONICAL.names), "parents": list(CANONICAL.parents)},
    "files": {"denoiser": "denoiser.onnx", "text_encoder": "t.onnx", "tokenizer": "tok.json", "stats": "stats.npz"},
}  # fmt: skip


def test_a_good_manifest_is_typed():
    m = parse_manifest(GOOD, Path("/models"))
    assert isinstance(m, ModelManifest) and m.fps == 20.0 and m.frames_per_token == 2
    assert m.file("stats") == Path("/models/stats.npz")
    assert m.window_frames(6.0) == 122 and m.max_seconds == pytest.approx(15.9)
    assert m.step_spacing == "trailing"  # absent: the engine's default
    assert parse_manifest({**GOOD, "step_spacing": "linspace"}, Path("/models")).step_spacing == "linspace"


@pytest.mark.parametrize(("change", "words"), [
    ({"fps": "20"}, ["'fps'", "number"]),
    ({"fps": 0}, ["'fps'", "> 0"]),
    ({"fps": float("nan")}, ["'fps'"]),
    ({"max_frames": "320"}, ["'max_frames'", "int"]),
    ({"default_steps": True}, ["'default_steps'"]),
    ({"format_version": 7}, ["unknown format_version 7"]),
    ({"feature_dim": 200}, ["feature_dim 200"]),
    ({"files": {"denoiser": "d.onnx"}}, ["files.text_encoder"]),
    ({"skeleton": {"names": ["pelvis"], "parents": [-1]}}, ["canonical"]),
    ({"max_frames": 321}, ["multiple of frames_per_token"]),
    ({"step_spacing": "leading"}, ["'step_spacing'", "trailing, linspace"]),
])  # fmt: skip
def test_bad_manifests_name_the_file_and_the_fix(change, words):
    data = {**GOOD, **change}
    with pytest.raises(ModelFilesError) as err:
        parse_manifest(data, Path("/models"))
    msg = str(err.value)
    assert "/models/manifest.json" in msg and "git checkout -- exported_models" in msg and "\n" not in msg
    for w in words:
        assert w in msg, msg


def test_missing_key_and_corrupt_json(tmp_path):
    data = dict(GOOD)
    del data["model_version"]
    with pytest.raises(ModelFilesError, match="'model_version' is missing"):
        parse_manifest(data, tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ModelFilesError, match="corrupt"):
        read_manifest(tmp_path)
    with pytest.raises(ModelFilesError, match="missing"):
        read_manifest(tmp_path / "nowhere")


@pytest.mark.parametrize(("mean", "std", "words"), [
    (np.zeros(5), np.ones(5), "shape (5,)"),
    (np.zeros(203), np.r_[np.ones(202), 0.0], "std is zero"),
    (np.full(203, np.nan), np.ones(203), "NaN"),
])  # fmt: skip
def test_bad_statistics_fail_at_load(tmp_path, mean, std, words):
    (tmp_path / "manifest.json").write_text(json.dumps(GOOD))
    np.savez(tmp_path / "stats.npz", mean=mean, std=std)
    with pytest.raises(ModelFilesError) as err:
        load_models(tmp_path, "cpu")
    assert str(tmp_path / "stats.npz") in str(err.value) and words in str(err.value)


def test_network_inputs_must_match_the_manifest():
    m = parse_manifest(GOOD, Path("/models"))
    check_denoiser_inputs(m, {"x_t": ["B", "T", 203], "obs": ["B", "T", 207], "obs_mask": ["B", "T", 207]})
    with pytest.raises(ModelFilesError, match="input 'obs' takes 200 values per frame"):
        check_denoiser_inputs(m, {"x_t": ["B", "T", 203], "obs": ["B", "T", 200], "obs_mask": ["B", "T", 207]})


@pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(), reason="needs the trained model")
def test_the_shipped_model_loads_with_a_typed_manifest(tmp_path):
    models = load_models(MODEL_DIR, "cpu")
    assert models.manifest.model_version == models.version and models.fps > 0
    copy = tmp_path / "m"
    shutil.copytree(MODEL_DIR, copy, ignore=shutil.ignore_patterns("*.onnx"))
    data = json.loads((copy / "manifest.json").read_text())
    data["obs_dim"] = 99
    (copy / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelFilesError, match="obs_dim 99"):
        load_models(copy, "cpu")
