"""Issue #17: damaged model folders end in one ModelFilesError naming the file and how to restore it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import runtime
from engine.errors import ModelFilesError, RequestError
from engine.pipeline import generate
from engine.request import GenerationRequest

SHIPPED = Path(__file__).resolve().parent.parent / "exported_models"
MODEL_PRESENT = (SHIPPED / "manifest.json").exists()
pytestmark = pytest.mark.skipif(not MODEL_PRESENT, reason="needs the trained model in exported_models/")
MANIFEST = json.loads((SHIPPED / "manifest.json").read_text()) if MODEL_PRESENT else {}


@pytest.fixture(autouse=True)
def no_model_cache(monkeypatch):
    """Each damaged folder loads afresh, and its sessions are freed after the test."""
    monkeypatch.setattr(runtime, "_cache", {})


def model_copy(folder: Path, manifest=None, stats=None) -> Path:
    """A model folder: the shipped ONNX and tokenizer files linked, manifest and statistics written."""
    folder.mkdir(exist_ok=True)
    for name in ("denoiser.onnx", "text_encoder.onnx", "tokenizer.json"):
        (folder / name).symlink_to(SHIPPED / name)
    if stats is None:
        shutil.copy(SHIPPED / "stats.npz", folder / "stats.npz")
    else:
        np.savez(folder / "stats.npz", **stats)
    text = manifest if isinstance(manifest, (str, bytes)) else json.dumps(MANIFEST if manifest is None else manifest)
    (folder / "manifest.json").write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


def without(key: str) -> dict:
    return {k: v for k, v in MANIFEST.items() if k != key}


def shipped_stats() -> dict:
    with np.load(SHIPPED / "stats.npz") as f:
        return {k: f[k] for k in f.files}


def swap_denoiser(folder: Path) -> None:
    (folder / "denoiser.onnx").unlink()
    (folder / "denoiser.onnx").symlink_to(SHIPPED / "text_encoder.onnx")


CASES = {
    "manifest of random bytes": dict(manifest=bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8))),
    "manifest is a list": dict(manifest="[1, 2, 3]"),
    "no model_version": dict(manifest=without("model_version")),
    "no fps": dict(manifest=without("fps")),
    "fps of the wrong type": dict(manifest=dict(MANIFEST, fps="thirty")),
    "fps 0": dict(manifest=dict(MANIFEST, fps=0)),
    "unknown format_version": dict(manifest=dict(MANIFEST, format_version=99)),
    "wrong feature_dim": dict(manifest=dict(MANIFEST, feature_dim=MANIFEST.get("feature_dim", 0) + 5)),
    "no skeleton": dict(manifest=without("skeleton")),
    "no files table": dict(manifest=without("files")),
    "statistics of the wrong shape": dict(stats={"mean": np.zeros(7), "std": np.ones(7)}),
    "zero standard deviation": dict(
        stats=dict(shipped_stats(), std=np.zeros(MANIFEST.get("feature_dim", 1))) if MODEL_PRESENT else None
    ),  # fmt: skip
    "the wrong ONNX file as the denoiser": dict(swap=True),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_damaged_model_folder_is_one_line_error(tmp_path, case):
    spec = dict(CASES[case])
    folder = model_copy(tmp_path / "model", spec.get("manifest"), spec.get("stats"))
    if spec.get("swap"):
        swap_denoiser(folder)
    with pytest.raises(ModelFilesError) as err:
        runtime.load_models(folder, "cpu", 1)
    message = str(err.value)
    assert str(folder) in message and "\n" not in message, message


@pytest.mark.timeout(600)
def test_mutated_manifests(tmp_path):
    """Property: a manifest with one value replaced or removed loads, or fails with ModelFilesError."""
    values = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
                       st.text(max_size=8), st.lists(st.integers(), max_size=3), st.just({}))  # fmt: skip
    counter = iter(range(10**6))

    @settings(derandomize=True, max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(st.sampled_from(sorted(MANIFEST)), st.one_of(st.just("<delete>"), values))
    def check(key, value):
        manifest = without(key) if value == "<delete>" else dict(MANIFEST, **{key: value})
        folder = model_copy(tmp_path / f"m{next(counter)}", manifest)
        runtime._cache.clear()
        try:
            runtime.load_models(folder, "cpu", 1)
        except ModelFilesError as exc:
            assert "\n" not in str(exc)

    check()


def test_a_cuda_that_cannot_load_falls_back_to_the_cpu_with_one_line(monkeypatch, capfd):
    """onnxruntime-gpu lists CUDA even where its libraries cannot load: auto runs on the CPU and says so once
    (CLI warning, provenance); an explicit 'cuda' is refused with the same reason."""
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    models = runtime.load_models(SHIPPED, "auto", 1)
    assert models.device_note.startswith("CUDA could not be loaded") and models.device_note.endswith("on the CPU")
    assert models.denoiser.get_providers() == ["CPUExecutionProvider"]
    motion = generate(GenerationRequest.from_text("a person walks forward", seconds=1.0, steps=2), model_dir=SHIPPED,
                      provider="auto", threads=1)  # fmt: skip
    assert motion.metadata["warnings"] == [models.device_note]
    with pytest.raises(RequestError, match=r"^CUDA could not be loaded .*; use provider 'cpu' or 'auto'$"):
        runtime.load_models(SHIPPED, "cuda", 1)
    assert "Specified provider" not in capfd.readouterr().err


def test_sessions_let_their_threads_rest_after_each_run():
    """The post-processing runs right after the last network call; spinning pool threads slowed it by ~60 %."""
    models = runtime.load_models(runtime.DEFAULT_MODEL_DIR, threads=2)
    for session in (models.denoiser, models.text.session):
        assert session.get_session_options().get_session_config_entry(runtime.SPIN_STOP) == "1"
