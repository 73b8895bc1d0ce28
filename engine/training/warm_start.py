"""Initial weights for a run: from a training checkpoint or from an exported model's ONNX file.

Warm starting from the shipped model lets short fine-tunes and ablations
start where 180 CPU minutes of training left off; exported_models/ keeps
only the ONNX, so its weights are read back from the graph (Linear weights
are stored transposed as MatMul inputs named after the module).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import MotionComposerError


class WarmStartError(MotionComposerError):
    """The --init source cannot be loaded into this model."""


def onnx_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Parameter name -> tensor from a denoiser ONNX exported by engine.training.export."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = {name: torch.from_numpy(np.array(v)) for name, v in inits.items() if not name.startswith("onnx::")}
    for node in graph.node:
        if node.op_type == "MatMul" and node.name.endswith("/MatMul"):
            weights = [x for x in node.input if x in inits and x.startswith("onnx::")]
            if weights:
                state[f"{_module_path(node.name)}.weight"] = torch.from_numpy(np.array(inits[weights[0]]).T.copy())
    return state


def _module_path(node_name: str) -> str:
    """'/blocks.0/ff/ff.0/MatMul' -> 'blocks.0.ff.0' (ONNX scopes repeat a Sequential's own name)."""
    parts = node_name.strip("/").split("/")[:-1]
    name = parts[-1]
    for part in reversed(parts[:-1]):
        if not name.startswith(part + "."):
            name = f"{part}.{name}"
    return name


def load_initial_weights(model: nn.Module, source: str | Path) -> str:
    """Load `source` (model folder, denoiser .onnx, or a .pt checkpoint; its EMA weights when it has them)."""
    src = Path(source)
    if src.is_dir():
        src = src / "denoiser.onnx"
    if not src.exists():
        raise WarmStartError(f"--init {source}: no such model folder, .onnx or checkpoint file")
    if src.suffix == ".onnx":
        state = onnx_state_dict(src)
    else:
        ckpt = torch.load(src, map_location="cpu", weights_only=False)
        state = ckpt["ema"]["model"] if ckpt.get("ema") else ckpt["model"]
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    shapes = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or shapes:
        raise WarmStartError(f"--init {source} does not fit this configuration (missing {missing[:3]}, "
                             f"other shapes {shapes[:3]}); use the same --width/--layers/--heads/--ff")  # fmt: skip
    model.load_state_dict({k: state[k] for k in own})
    return str(src)
