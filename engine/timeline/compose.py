"""One window of a timeline as a `denoise(x_t, t) -> x0` function for the DDIM sampler.

Every step makes one batched network call: one row per active track (its
crop, shifted to the row's start and padded with valid = 0, as in
training), an optional fill-text row and the unconditional row (the whole
window) last. When crops differ much in length the batch is split by length
into at most MAX_CALLS calls, so short crops do not pay for the window's
length (padded frames cost as much as real ones). Each track row is guided against the unconditional row on the
same frames (classifier-free guidance), then the rows are painted onto the
fill in the order of `plan.layers`. An observed prefix (the previous
window's last frames) conditions every row through obs/obs_mask and is
blended into the prediction so windows join without a seam.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import features as feat
from . import plan

ROOT_PATH_SCALE = 3.0  # metres per unit in the observed root-path channels (as in training)
MAX_CALLS = 3  # network calls per step at most: rows of very different lengths go in separate calls
CALL_OVERHEAD_FRAMES = 24  # the fixed cost of one more call, in padded frames (measured ~1 ms on 2 threads)

#: network(x_t, t, text, obs, obs_mask, valid) -> x0, all batched (the ONNX denoiser's signature)
Network = Callable[..., np.ndarray]


@dataclass
class Prefix:
    """The observed first frames of a window: normalised features and their raw (decodable) values."""

    norm: np.ndarray  # (P, F)
    raw: np.ndarray  # (P, F)


def root_path(raw: np.ndarray, fps: float) -> np.ndarray:
    """(P, 4) root x/3, y/3, sin(yaw), cos(yaw) relative to the first frame (the model's obs channels)."""
    motion = feat.decode(raw, fps)
    yaw = feat.heading(motion.rotations[:, 0])
    xy = motion.root_translation[:, :2] / ROOT_PATH_SCALE
    return np.concatenate([xy, np.sin(yaw)[:, None], np.cos(yaw)[:, None]], axis=-1).astype(np.float32)


def prefix_keep(length: int) -> np.ndarray:
    """(P,) how much of the observed prefix replaces the prediction: 1 for the first half, then a ramp to 0."""
    i = (np.arange(length) + 0.5) / max(length, 1)
    return np.clip(2.0 * (1.0 - i), 0.0, 1.0).astype(np.float32)


class WindowComposer:
    """Denoise function for the window [lo, hi) of the timeline (frames at the model rate)."""

    def __init__(self, network: Network, embeddings: dict[str, np.ndarray], spans: list[plan.TrackSpan],
                 lo: int, hi: int, *, last: float, fps: float, guidance: float, frames_per_token: int,
                 obs_dim: int, prefix: Prefix | None = None, fill_text: str | None = None):  # fmt: skip
        self.network, self.guidance, self.lo = network, guidance, lo
        n = hi - lo
        frames = np.arange(lo, hi, dtype=np.float32)
        rows: list[tuple[int, int]] = []  # crop [a, b) in window frames per track row
        self.row_of: dict[int, int] = {}
        weights: dict[int, np.ndarray] = {}
        for span in spans:
            c = plan.crop(span, lo, hi, fps, frames_per_token)
            if c is None:
                continue
            w = plan.track_weight(span, frames, last, fps)
            if not w[c[0] - lo : c[1] - lo].any():
                continue
            self.row_of[span.index] = len(rows)
            weights[span.index] = w
            rows.append((c[0] - lo, c[1] - lo))
        texts = [s.text for s in spans if s.index in self.row_of]
        self.fill_row = None
        if fill_text:
            self.fill_row = len(rows)
            rows.append((0, n))
            texts.append(fill_text)
        rows.append((0, n))  # unconditional, last
        texts.append("")
        self.rows = rows
        b = len(rows)
        self.text = np.stack([embeddings[t] for t in texts]).astype(np.float32)
        self.valid = np.zeros((b, n), np.float32)
        for r, (a, e) in enumerate(rows):
            self.valid[r, : e - a] = 1.0
        self.obs = np.zeros((b, n, obs_dim), np.float32)
        self.obs_mask = np.zeros((b, n, obs_dim), np.float32)
        self.prefix = prefix
        if prefix is not None:
            self._observe(prefix, fps)
        self.groups = length_groups([e - a for a, e in rows])
        self.paints = []  # (row, a, b, weight (b-a, F)) in paint order
        for layer in plan.layers([s for s in spans if s.index in self.row_of]):
            r = self.row_of[layer.span.index]
            a, e = rows[r]
            self.paints.append((r, a, e, weights[layer.span.index][a:e, None] * layer.columns[None, :]))

    def _observe(self, prefix: Prefix, fps: float) -> None:
        p = len(prefix.norm)
        f = prefix.norm.shape[1]
        for r, (a, _) in enumerate(self.rows):
            if a >= p:
                continue
            k = p - a
            self.obs[r, :k, :f] = prefix.norm[a:]
            self.obs[r, :k, f : f + 4] = root_path(prefix.raw[a:], fps) if k > 1 else (0, 0, 0, 1)
            self.obs_mask[r, :k, : f + 4] = 1.0
        self.keep = prefix_keep(p)[:, None]

    def __call__(self, x_t: np.ndarray, t: int) -> np.ndarray:
        """x_t (1, T, F) -> composed x0 (1, T, F)."""
        pred: list[np.ndarray] = [None] * len(self.rows)  # type: ignore[list-item]
        for group, length in self.groups:
            x = np.zeros((len(group), length, x_t.shape[-1]), np.float32)
            for i, r in enumerate(group):
                a, e = self.rows[r]
                x[i, : e - a] = x_t[0, a:e]
            g = np.asarray(group)
            out = self.network(x, np.full(len(group), t), self.text[g], self.obs[g, :length],
                               self.obs_mask[g, :length], self.valid[g, :length])  # fmt: skip
            for i, r in enumerate(group):
                pred[r] = out[i, : self.rows[r][1] - self.rows[r][0]]
        g = self.guidance
        uncond = pred[-1]
        out = uncond if self.fill_row is None else uncond + g * (pred[self.fill_row] - uncond)
        out = np.array(out, dtype=np.float32)
        for r, a, e, w in self.paints:
            u = uncond[a:e]
            guided = u + g * (pred[r] - u)
            out[a:e] = out[a:e] * (1.0 - w) + guided * w
        if self.prefix is not None:
            p = len(self.prefix.norm)
            out[:p] = self.keep * self.prefix.norm + (1.0 - self.keep) * out[:p]
        return out[None]


def length_groups(lengths: list[int], max_calls: int = MAX_CALLS, overhead: int = CALL_OVERHEAD_FRAMES):
    """Rows grouped by length into at most `max_calls` network calls, minimising padded frames.

    Returns [(row indices, call length)]. One call whenever padding costs
    less than an extra call: a batch is as long as its longest row.
    """
    order = sorted(range(len(lengths)), key=lambda r: (-lengths[r], r))
    best = None
    n = len(order)
    for cuts in _cut_sets(n, max_calls):
        bounds = [0, *cuts, n]
        groups = [order[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
        cost = sum(len(gr) * lengths[gr[0]] + overhead for gr in groups)
        if best is None or cost < best[0]:
            best = (cost, groups)
    return [(sorted(gr), lengths[gr[0]]) for gr in best[1]]


def _cut_sets(n: int, max_calls: int):
    yield ()
    for i in range(1, n):
        yield (i,)
        if max_calls >= 3:
            for j in range(i + 1, n):
                yield (i, j)
