"""The model manifest (exported_models/manifest.json) read once into a typed, validated object.

Everything the runtime needs to know about a model (frame rate, window
limits, default sampler settings, the feature and observation layouts it
was trained on, its files) comes from here; nothing else parses the JSON.
A manifest that the runtime cannot honour fails here, in one line that
names the file, the problem and how to restore it (ModelFilesError).
"""

from __future__ import annotations

import math
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelFilesError
from .features import FEATURE_DIM
from .io.json_input import read_json_file
from .limits import as_int
from .observations import OBS_DIM
from .sampling.ddim import DEFAULT_SPACING, SPACINGS
from .skeleton import CANONICAL

RESTORE_HINT = "restore it with `git checkout -- exported_models` or retrain with `python -m engine.training.train`"
FORMAT_VERSIONS = (1,)
FILE_KEYS = ("denoiser", "text_encoder", "tokenizer", "stats")


@dataclass(frozen=True)
class ModelManifest:
    """A model's description; `directory` holds the files it names."""

    model_version: str
    fps: float
    frames_per_token: int
    max_frames: int
    default_steps: int
    default_guidance: float
    step_spacing: str = DEFAULT_SPACING  # engine.sampling.ddim.step_times
    feature_dim: int = FEATURE_DIM
    obs_dim: int = OBS_DIM
    diffusion_steps: int = 1000
    format_version: int = 1
    files: dict[str, str] = field(default_factory=lambda: {k: f"{k}.onnx" for k in FILE_KEYS})
    directory: Path = Path(".")
    details: dict[str, Any] = field(default_factory=dict, compare=False)  # config, training: for the model card

    @property
    def path(self) -> Path:
        return self.directory / "manifest.json"

    @property
    def max_seconds(self) -> float:
        """The longest motion one window holds (two frames kept spare for rounding)."""
        return (self.max_frames - 2) / self.fps

    def window_frames(self, seconds: float) -> int:
        """Model frames covering `seconds` inclusive of both ends, rounded up to whole tokens."""
        n = int(round(seconds * self.fps)) + 1
        return n + (-n) % self.frames_per_token

    def file(self, key: str) -> Path:
        return self.directory / self.files[key]

    def fail(self, problem: str, path: Path | None = None) -> ModelFilesError:
        return ModelFilesError(f"model {'file' if path else 'manifest'} {path or self.path}: {problem}; {RESTORE_HINT}")


def check_model_file(path: Path) -> Path:
    """A model file that exists, is a regular file and is within the stated size limit (engine.limits)."""
    try:
        info = Path(path).stat()
    except OSError:
        raise ModelFilesError(f"model file {path} is missing; {RESTORE_HINT}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ModelFilesError(f"model file {path} is not a regular file; {RESTORE_HINT}")
    if info.st_size > as_int("model_file_bytes"):
        raise ModelFilesError(f"model file {path} is {info.st_size:,} bytes, more than the limit of "
                              f"{as_int('model_file_bytes'):,}; {RESTORE_HINT}")  # fmt: skip
    return Path(path)


def read_manifest(directory: Path) -> ModelManifest:
    """Read and validate `directory`/manifest.json."""
    path = Path(directory) / "manifest.json"
    if not path.exists():
        raise ModelFilesError(f"model manifest {path} is missing; {RESTORE_HINT}")
    data = read_json_file(path, "model manifest", ModelFilesError, as_int("manifest_bytes"), hint=RESTORE_HINT)
    return parse_manifest(data, Path(directory))


def parse_manifest(data: Any, directory: Path) -> ModelManifest:
    """Validate the manifest's JSON structure (see read_manifest)."""
    path = directory / "manifest.json"

    def bad(problem: str) -> ModelFilesError:
        return ModelFilesError(f"model manifest {path}: {problem}; {RESTORE_HINT}")

    if not isinstance(data, dict):
        raise bad("is not a JSON object")

    def get(key: str, kind: type, positive: bool = True):
        if key not in data:
            raise bad(f"'{key}' is missing")
        value = data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise bad(f"'{key}' must be {'a number' if kind is float else kind.__name__} (got {value!r})")
        if kind in (int, float) and (not math.isfinite(value) or (positive and value <= 0) or value < 0):
            raise bad(f"'{key}' must be {'> 0' if positive else '>= 0'} (got {value!r})")
        return value

    version = get("format_version", int)
    if version not in FORMAT_VERSIONS:
        raise bad(f"unknown format_version {version} (this engine reads {', '.join(map(str, FORMAT_VERSIONS))}); "
                  "update the add-on or use a model exported for it")  # fmt: skip
    files = get("files", dict)
    for key in FILE_KEYS:
        if not isinstance(files.get(key), str) or not files[key]:
            raise bad(f"files.{key} must name a file")
    m = ModelManifest(
        model_version=get("model_version", str),
        fps=get("fps", float),
        frames_per_token=get("frames_per_token", int),
        max_frames=get("max_frames", int),
        default_steps=get("default_steps", int),
        default_guidance=get("default_guidance", float, positive=False),
        step_spacing=get("step_spacing", str) if "step_spacing" in data else DEFAULT_SPACING,
        feature_dim=get("feature_dim", int),
        obs_dim=get("obs_dim", int),
        diffusion_steps=get("diffusion_steps", int),
        format_version=version,
        files={k: files[k] for k in FILE_KEYS},
        directory=directory,
        details={k: data[k] for k in ("config", "training") if k in data},
    )
    if m.step_spacing not in SPACINGS:
        raise bad(f"'step_spacing' must be one of {', '.join(SPACINGS)} (got {m.step_spacing!r})")
    if m.feature_dim != FEATURE_DIM or m.obs_dim != OBS_DIM:
        raise bad(f"feature_dim {m.feature_dim} / obs_dim {m.obs_dim} do not match this engine's layout "
                  f"({FEATURE_DIM} / {OBS_DIM}, engine.features and engine.observations)")  # fmt: skip
    if data.get("schedule", "cosine") != "cosine" or data.get("prediction", "x0") != "x0":
        raise bad("the engine samples cosine-schedule x0-prediction models only")
    if not m.default_steps <= m.diffusion_steps:
        raise bad(f"default_steps {m.default_steps} exceeds diffusion_steps {m.diffusion_steps}")
    if m.max_frames % m.frames_per_token or m.max_frames < 2 * m.frames_per_token:
        raise bad(f"max_frames {m.max_frames} must be a multiple of frames_per_token {m.frames_per_token}")
    skeleton = data.get("skeleton")  # required: a model for another skeleton must not load silently
    names = skeleton.get("names") if isinstance(skeleton, dict) else None
    parents = skeleton.get("parents") if isinstance(skeleton, dict) else None
    if names != list(CANONICAL.names) or parents != list(CANONICAL.parents):
        raise bad("its skeleton is missing or not the engine's canonical 22-joint skeleton")
    return m


def check_stats(manifest: ModelManifest, mean: np.ndarray, std: np.ndarray) -> None:
    """Feature statistics of the right shape, finite, and with a positive std (they divide every feature)."""
    path = manifest.file("stats")
    for name, a in (("mean", mean), ("std", std)):
        if a.shape != (manifest.feature_dim,):
            raise manifest.fail(f"{name} has shape {a.shape}, expected ({manifest.feature_dim},)", path)
        if not np.all(np.isfinite(a)):
            raise manifest.fail(f"{name} holds NaN or infinite values", path)
    if np.any(std <= 0):
        raise manifest.fail(f"std is zero or negative in {int(np.sum(std <= 0))} feature(s)", path)


def check_denoiser_inputs(manifest: ModelManifest, inputs: dict[str, list]) -> None:
    """The denoiser's ONNX input shapes (name -> shape, None where dynamic) against the manifest."""
    path = manifest.file("denoiser")
    want = {"x_t": manifest.feature_dim, "obs": manifest.obs_dim, "obs_mask": manifest.obs_dim}
    for name, dim in want.items():
        if name not in inputs:
            raise manifest.fail(f"the network has no input {name!r} (inputs: {', '.join(inputs)})", path)
        last = inputs[name][-1] if inputs[name] else None
        if isinstance(last, int) and last != dim:
            raise manifest.fail(f"input {name!r} takes {last} values per frame, the manifest says {dim}", path)
