"""TMR-style retrieval evaluator: a text projection and a motion encoder into one 256-d unit sphere.

Text side: the frozen MiniLM sentence embedding (the one the generator also
uses) plus a small MLP. Motion side: a 1D convolution stack over the raw
per-frame features (normalised inside the network with the corpus
statistics, so the ONNX file takes features as they are), masked mean+max
pooling over time. Small on purpose: it trains in minutes on two CPU cores
and ships in a few MB. Both export to ONNX; the benchmark only needs those.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..features import FEATURE_DIM
from ..text_encoder import EMBED_DIM as TEXT_DIM
from .embedder import MOTION_FILE, TEXT_FILE


@dataclass
class EvaluatorConfig:
    width: int = 128  # motion channels
    blocks: int = 3  # residual dilated convolutions (dilation 1, 2, 4, ...)
    text_hidden: int = 256
    dim: int = 256  # joint embedding size
    temperature: float = 0.1

    def to_dict(self) -> dict:
        return asdict(self)


class TextProjection(nn.Module):
    def __init__(self, cfg: EvaluatorConfig):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(TEXT_DIM, cfg.text_hidden), nn.GELU(), nn.Linear(cfg.text_hidden, cfg.dim))

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        """(B, 384) MiniLM embeddings -> (B, dim) unit vectors."""
        return F.normalize(self.net(text), dim=-1)


class MotionEncoder(nn.Module):
    def __init__(self, cfg: EvaluatorConfig, mean: np.ndarray, std: np.ndarray):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        w = cfg.width
        self.inp = nn.Conv1d(FEATURE_DIM, w, kernel_size=4, stride=2, padding=1)  # 20 fps -> 10 fps tokens
        self.blocks = nn.ModuleList(
            nn.Conv1d(w, w, kernel_size=5, padding=2 * 2**i, dilation=2**i) for i in range(cfg.blocks)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(w) for _ in range(cfg.blocks))  # per token: padding-proof
        self.out = nn.Linear(2 * w, cfg.dim)

    def forward(self, features: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """features (B, T, 203) raw, valid (B, T) 1/0 -> (B, dim) unit vectors."""
        x = (features - self.mean) / self.std * valid[..., None]
        h = F.gelu(self.inp(x.transpose(1, 2)))
        v = F.max_pool1d(valid[:, None], kernel_size=2, stride=2)  # (B, 1, T/2) token validity
        for conv, norm in zip(self.blocks, self.norms, strict=True):
            h = h + F.gelu(conv(norm(h.transpose(1, 2)).transpose(1, 2) * v))
        h = h * v
        count = v.sum(-1).clamp(min=1.0)
        mean = h.sum(-1) / count
        peak = (h - (1.0 - v) * 1e4).amax(-1)
        return F.normalize(self.out(torch.cat([mean, peak], dim=-1)), dim=-1)


def info_nce(text: torch.Tensor, motion: torch.Tensor, groups: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE; other items of the same label group are not used as negatives."""
    logits = motion @ text.T / temperature
    same = groups[:, None] == groups[None, :]
    same.fill_diagonal_(False)
    logits = logits.masked_fill(same, float("-inf"))
    target = torch.arange(len(text))
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def export_onnx(text_proj: TextProjection, motion_enc: MotionEncoder, out: Path) -> dict[str, float]:
    """Write both encoders with dynamic batch and length; returns the max abs difference to torch."""
    out.mkdir(parents=True, exist_ok=True)
    text_proj.eval()
    motion_enc.eval()
    g = torch.Generator().manual_seed(0)
    text = torch.randn(3, TEXT_DIM, generator=g)
    feats = torch.randn(3, 50, FEATURE_DIM, generator=g) * motion_enc.std + motion_enc.mean
    valid = torch.ones(3, 50)
    valid[1, 31:] = 0.0
    torch.onnx.export(text_proj, (text,), str(out / TEXT_FILE), input_names=["text"], output_names=["embedding"],
                      dynamic_axes={"text": {0: "batch"}, "embedding": {0: "batch"}}, opset_version=17,
                      dynamo=False)  # fmt: skip
    torch.onnx.export(motion_enc, (feats, valid), str(out / MOTION_FILE), input_names=["features", "valid"],
                      output_names=["embedding"], opset_version=17, dynamo=False,
                      dynamic_axes={"features": {0: "batch", 1: "frames"}, "valid": {0: "batch", 1: "frames"},
                                    "embedding": {0: "batch"}})  # fmt: skip
    import onnxruntime as ort

    def run(name, feeds):
        sess = ort.InferenceSession(str(out / name), providers=["CPUExecutionProvider"])
        return sess.run(None, {k: v.numpy() for k, v in feeds.items()})[0]

    # check on another batch size and length than the export used
    text2 = torch.randn(5, TEXT_DIM, generator=g)
    feats2 = torch.randn(2, 77, FEATURE_DIM, generator=g) * motion_enc.std + motion_enc.mean
    valid2 = torch.ones(2, 77)
    valid2[0, 40:] = 0.0
    with torch.no_grad():
        ref_t = text_proj(text2).numpy()
        ref_m = motion_enc(feats2, valid2).numpy()
    diffs = {
        "text": float(np.abs(run(TEXT_FILE, {"text": text2}) - ref_t).max()),
        "motion": float(np.abs(run(MOTION_FILE, {"features": feats2, "valid": valid2}) - ref_m).max()),
    }
    if max(diffs.values()) > 1e-4:
        raise RuntimeError(f"ONNX evaluator differs from torch: {diffs}")
    return diffs
