"""Start training from an exported model folder (`--init exported_models`): manifest checks and ONNX weights.

A model folder ships ONNX, not torch checkpoints: the weights come back out
of the graph (engine/training/warm_start.py), the network's configuration and
feature statistics from the manifest. The loaded network is checked against
onnxruntime on a random batch, so a fine-tune starts exactly from the shipped
model or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import features as feat
from ..errors import MotionComposerError
from ..observations import OBS_DIM
from ..skeleton import CANONICAL
from .export import FORMAT_VERSION, check_onnx
from .model import Denoiser, ModelConfig
from .warm_start import load_initial_weights


class InitModelError(MotionComposerError):
    """An --init model folder that cannot be fine-tuned by this code (missing, or a different layout)."""


@dataclass
class InitModel:
    folder: Path
    manifest: dict
    stats: dict

    @property
    def version(self) -> str:
        return self.manifest.get("model_version", "?")

    def denoiser(self, impute: bool = False) -> Denoiser:
        """The model's network with its weights; checked against onnxruntime unless imputation is newly on."""
        known = self.manifest["config"]
        cfg = ModelConfig(**(known | {"impute": bool(known.get("impute")) or impute}))
        model = Denoiser(cfg)
        path = self.folder / self.manifest["files"]["denoiser"]
        load_initial_weights(model, path)
        model.eval()
        if cfg.impute == bool(known.get("impute")):
            try:
                check_onnx(model, path)
            except RuntimeError as exc:
                raise InitModelError(f"--init {self.folder}: its denoiser does not load into this code's network "
                                     f"({exc})") from None  # fmt: skip
        return model


def incompatibility(manifest: dict) -> str:
    """'' when this code can fine-tune a model with this manifest, else what differs."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return f"manifest format {manifest.get('format_version')} (this code writes {FORMAT_VERSION})"
    if manifest.get("feature_dim") != feat.FEATURE_DIM or manifest.get("obs_dim") != OBS_DIM:
        return (f"feature layout: the model has {manifest.get('feature_dim')} features / {manifest.get('obs_dim')} "
                f"observation channels per frame, this code {feat.FEATURE_DIM} / {OBS_DIM}")  # fmt: skip
    skeleton = manifest.get("skeleton", {})
    if list(skeleton.get("names", [])) != list(CANONICAL.names) or list(skeleton.get("parents", [])) != list(
        CANONICAL.parents
    ):
        return (
            f"skeleton: the model's joints are {skeleton.get('names')}, this code's canonical {list(CANONICAL.names)}"
        )
    if "config" not in manifest:
        return "the manifest has no network configuration ('config')"
    return ""


def load_init(folder: Path, corpus_fps: float) -> InitModel:
    """The model folder's manifest and statistics, checked; a one-line InitModelError otherwise."""
    folder = Path(folder)
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
        files = manifest["files"]
        stats_file = np.load(folder / files["stats"])
        stats = {"mean": stats_file["mean"].astype(np.float32), "std": stats_file["std"].astype(np.float32)}
    except FileNotFoundError as exc:
        raise InitModelError(f"--init {folder} is not a model folder: {Path(exc.filename).name} is missing") from None
    except (OSError, ValueError, KeyError) as exc:
        raise InitModelError(f"--init {folder}: its manifest or statistics cannot be read ({exc})") from None
    why = incompatibility(manifest)
    if not why and float(manifest.get("fps", 0)) != corpus_fps:
        why = f"frame rate: the model runs at {manifest.get('fps')} fps, the corpus at {corpus_fps:g}"
    if not why and stats["mean"].shape != (feat.FEATURE_DIM,):
        why = f"feature layout: its statistics have {stats['mean'].shape} values, this code {feat.FEATURE_DIM}"
    if why:
        raise InitModelError(f"--init {folder} ({manifest.get('model_version', '?')}) is incompatible: {why}")
    missing = [f for f in files.values() if not (folder / f).exists()]
    if missing:
        raise InitModelError(f"--init {folder} is incomplete: {', '.join(missing)} missing")
    return InitModel(folder, manifest, stats)
