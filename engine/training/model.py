"""The denoiser: a small transformer over 2-frame tokens, predicting clean features (x0).

Inputs per frame: the noisy features, the observed values (features plus the
window-relative root path) and their mask, so keyframes, joint targets and
paths are conditions the network learned. With `impute` (CondMDI), observed
feature values also replace the noisy input and the prediction where they are
observed, inside the graph: the network cannot ignore them, and training and
every runtime caller impute the same way without a runtime change.
The text embedding and the diffusion time enter as two prefix tokens and as a bias on every token.
Attention is written out with plain matmuls so the ONNX graph stays simple.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..features import FEATURE_DIM
from ..observations import OBS_DIM

TEXT_DIM = 384


@dataclass
class ModelConfig:
    width: int = 256
    layers: int = 6
    heads: int = 4
    ff: int = 1024
    frames_per_token: int = 2
    max_tokens: int = 160
    dropout: float = 0.1
    impute: bool = False  # observed feature values overwrite x_t and x0 where observed (CondMDI)

    def to_dict(self) -> dict:
        return asdict(self)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.heads = cfg.heads
        self.norm1 = nn.LayerNorm(cfg.width)
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width)
        self.proj = nn.Linear(cfg.width, cfg.width)
        self.norm2 = nn.LayerNorm(cfg.width)
        self.ff = nn.Sequential(nn.Linear(cfg.width, cfg.ff), nn.GELU(), nn.Linear(cfg.ff, cfg.width))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, h, d // h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d // h)) + key_bias
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, d)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.ff(self.norm2(x)))


class Denoiser(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        p, w = cfg.frames_per_token, cfg.width
        self.inp = nn.Linear(p * (FEATURE_DIM + 2 * OBS_DIM), w)
        self.text = nn.Sequential(nn.Linear(TEXT_DIM, w), nn.SiLU(), nn.Linear(w, w))
        self.time = nn.Sequential(nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w))
        self.pos = nn.Parameter(torch.randn(cfg.max_tokens + 2, w) * 0.02)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.layers)])
        self.norm = nn.LayerNorm(w)
        self.out = nn.Linear(w, p * FEATURE_DIM)

    def forward(self, x_t, t, text, obs, obs_mask, valid):
        """x_t (B,T,F), t (B,), text (B,384), obs/obs_mask (B,T,OBS_DIM), valid (B,T) float 1/0.

        T must be a multiple of frames_per_token. Returns x0 (B,T,F).
        """
        b, frames, _ = x_t.shape
        p = self.cfg.frames_per_token
        n = frames // p
        if self.cfg.impute:
            x_t = impute(x_t, obs, obs_mask)
        tokens = torch.cat([x_t, obs * obs_mask, obs_mask], dim=-1).reshape(b, n, -1)
        cond_text = self.text(text)
        cond_time = self.time(timestep_embedding(t, self.cfg.width))
        h = self.inp(tokens) + (cond_text + cond_time)[:, None]
        h = torch.cat([cond_text[:, None], cond_time[:, None], h], dim=1) + self.pos[: n + 2][None]
        token_valid = valid.reshape(b, n, p).amax(dim=-1)
        keep = torch.cat([torch.ones(b, 2, dtype=token_valid.dtype), token_valid], dim=1)
        key_bias = ((1.0 - keep) * -1e9)[:, None, None, :]
        for block in self.blocks:
            h = block(h, key_bias)
        x0 = self.out(self.norm(h[:, 2:])).reshape(b, frames, FEATURE_DIM)
        return impute(x0, obs, obs_mask) if self.cfg.impute else x0


def impute(x: torch.Tensor, obs: torch.Tensor, obs_mask: torch.Tensor) -> torch.Tensor:
    """x with the observed feature values written in where the mask says they are observed."""
    m = obs_mask[..., :FEATURE_DIM]
    return x + m * (obs[..., :FEATURE_DIM] - x)
