"""Loaded models: the typed manifest (engine.manifest), onnxruntime sessions (created once, reused) and statistics."""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelFilesError, RequestError
from .manifest import RESTORE_HINT, ModelManifest, check_denoiser_inputs, check_model_file, check_stats, read_manifest
from .text_encoder import TextEncoder

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "exported_models"
PROVIDERS = ("auto", "cpu", "cuda")
SPIN_STOP = "session.force_spinning_stop"  # onnxruntime session option: idle pool threads after each run


def choose_providers(provider: str) -> list[str]:
    """onnxruntime execution providers: CUDA when asked for or available (auto), else CPU."""
    import onnxruntime as ort

    if provider not in PROVIDERS:
        raise RequestError(f"unknown provider {provider!r}; use one of: {', '.join(PROVIDERS)}")
    available = ort.get_available_providers()
    if provider == "cuda":
        if "CUDAExecutionProvider" not in available:
            raise RequestError("provider 'cuda' needs onnxruntime-gpu and an NVIDIA GPU; use 'cpu' or 'auto'")
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if provider == "auto" and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


@dataclass
class Models:
    directory: Path
    manifest: ModelManifest
    denoiser: object
    text: TextEncoder
    mean: np.ndarray
    std: np.ndarray
    #: one line when CUDA was available to onnxruntime but could not load, so this runs on the CPU; else None
    device_note: str | None = None

    @property
    def version(self) -> str:
        return self.manifest.model_version

    @property
    def fps(self) -> float:
        return self.manifest.fps

    @property
    def frames_per_token(self) -> int:
        return self.manifest.frames_per_token

    @property
    def obs_dim(self) -> int:
        return self.manifest.obs_dim

    def encode(self, texts: list[str]) -> np.ndarray:
        """Text embeddings (N, D) of prompts."""
        return self.text.encode(texts)

    def denoise(self, x_t: np.ndarray, t: np.ndarray, text: np.ndarray, obs: np.ndarray, obs_mask: np.ndarray,
                valid: np.ndarray) -> np.ndarray:  # fmt: skip
        feeds = {"x_t": x_t, "t": t.astype(np.int64), "text": text, "obs": obs, "obs_mask": obs_mask, "valid": valid}
        feeds = {k: v if k == "t" else v.astype(np.float32) for k, v in feeds.items()}
        return self.denoiser.run(None, feeds)[0]


_cache: dict[tuple, Models] = {}
_lock = threading.Lock()


def load_models(
    model_dir: str | os.PathLike | None = None, provider: str = "auto", threads: int | None = None
) -> Models:
    """Load (once per directory, provider and thread count) and return the models."""
    directory = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    key = (str(directory.resolve()), provider, threads)
    with _lock:
        if key not in _cache:
            _cache[key] = _load(directory, provider, threads)
        return _cache[key]


def _load(directory: Path, provider: str, threads: int | None) -> Models:
    import onnxruntime as ort

    providers = choose_providers(provider)
    manifest = read_manifest(directory)
    if "CUDAExecutionProvider" in providers:  # a CUDA that cannot load is said in one line (cuda_fallback_note),
        ort.set_default_logger_severity(4)  # not in onnxruntime's multi-line error log

    def session(path: Path):
        check_model_file(path)
        opts = ort.SessionOptions()
        # the pool's threads stop spinning when a run returns: left spinning, they held the cores for milliseconds
        # after the last network call and the post-processing that follows took 36 ms instead of 22 (10 s motion)
        opts.add_session_config_entry(SPIN_STOP, "1")
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Specified provider", category=UserWarning)
                return ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        except Exception as exc:
            raise ModelFilesError(
                f"model file {path} is corrupt ({str(exc).splitlines()[0][:120]}); {RESTORE_HINT}"
            ) from None

    stats_path = check_model_file(manifest.file("stats"))
    try:
        stats = np.load(stats_path)
        mean, std = stats["mean"].astype(np.float32), stats["std"].astype(np.float32)
    except Exception as exc:
        raise ModelFilesError(f"model file {stats_path} is missing or corrupt ({exc}); {RESTORE_HINT}") from None
    check_stats(manifest, mean, std)
    text = TextEncoder(manifest.file("text_encoder"), manifest.file("tokenizer"), session)
    denoiser = session(manifest.file("denoiser"))
    check_denoiser_inputs(manifest, {i.name: list(i.shape) for i in denoiser.get_inputs()})
    note = cuda_fallback_note(providers, denoiser.get_providers(), ort.__version__)
    if note and provider == "cuda":
        raise RequestError(f"{note.split(';')[0]}; use provider 'cpu' or 'auto'")
    return Models(directory, manifest, denoiser, text, mean, std, note)


def cuda_fallback_note(asked: list[str], got: list[str], ort_version: str) -> str | None:
    """onnxruntime-gpu lists CUDA even where its libraries cannot load and then quietly runs on the CPU: say so."""
    if "CUDAExecutionProvider" not in asked or "CUDAExecutionProvider" in got:
        return None
    return (f"CUDA could not be loaded by onnxruntime-gpu {ort_version} (it needs an NVIDIA driver and the CUDA and "
            "cuDNN 9 libraries it was built for, see docs/blender.md 'GPU'); running on the CPU")  # fmt: skip
