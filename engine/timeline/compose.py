"""One window of a timeline as a `denoise(x_t, t) -> x0` function for the DDIM sampler.

Every step makes one batched network call: one row per active track (its
crop, shifted to the row's start and padded with valid = 0, as in
training), an optional fill-text row and the unconditional row (the whole
window) last. When crops differ much in length the batch is split by length
into at most MAX_CALLS calls, so short crops do not pay for the window's
length (padded frames cost as much as real ones). Each track row is guided
against the unconditional row on the same frames (classifier-free
guidance), then the rows are painted onto the fill in the order of
`plan.layers`. Inside its interval a track's row sees the shared sample on
its own body parts only, and its own private sample elsewhere. An observed prefix (the previous
window's last frames) conditions every row through obs/obs_mask and is
blended into the prediction so windows join without a seam. An `Observer`
(constraints, engine.constraints.windows) adds observations at every step,
to every row on its own crop, where the prefix does not observe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..observations import path_of_features
from ..sampling.cfg import guide
from ..skeleton import BODY_PART_NAMES
from . import plan
from .parts import columns_mask

MAX_CALLS = 3  # network calls per step at most: rows of very different lengths go in separate calls
CALL_OVERHEAD_FRAMES = 24  # the fixed cost of one more call, in padded frames (measured ~1 ms on 2 threads)

#: network(x_t, t, text, obs, obs_mask, valid) -> x0, all batched (the ONNX denoiser's signature)
Network = Callable[..., np.ndarray]


class Observer(Protocol):
    def crop_observations(
        self, starts: Iterable[int], t: int | None = None
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per crop start a: obs and obs_mask for window frames [a, T), root path relative to frame a, for the
        network call at diffusion time t."""
        ...


@dataclass
class Prefix:
    """The observed first frames of a window: normalised features and their raw (decodable) values."""

    norm: np.ndarray  # (P, F)
    raw: np.ndarray  # (P, F)


def prefix_keep(length: int) -> np.ndarray:
    """(P,) how much of the observed prefix replaces the prediction: 1 for the first half, then a ramp to 0."""
    i = (np.arange(length) + 0.5) / max(length, 1)
    return np.clip(2.0 * (1.0 - i), 0.0, 1.0).astype(np.float32)


class WindowComposer:
    """Denoise function for the window [lo, hi) of the timeline (frames at the model rate)."""

    def __init__(self, network: Network, embeddings: dict[str, np.ndarray], spans: list[plan.TrackSpan],
                 lo: int, hi: int, *, last: float, fps: float, guidance: float, frames_per_token: int,
                 obs_dim: int, prefix: Prefix | None = None, fill_text: str | None = None,
                 step: Callable | None = None, redone_tail: int = 0,
                 observer: Observer | None = None, obs_guidance: float = 1.0):  # fmt: skip
        self.network, self.guidance, self.lo, self.step = network, guidance, lo, step
        self.obs_guidance = obs_guidance
        self.observer = observer
        n = hi - lo
        frames = np.arange(lo, hi, dtype=np.float32)
        # frames whose result is used: not the observed prefix's first half (replaced by the
        # observation) nor the last `redone_tail` frames (the next window generates them again)
        useful = np.ones(n, bool)
        useful[: 0 if prefix is None else len(prefix.norm) // 2] = False
        if redone_tail:
            useful[n - redone_tail :] = False
        rows: list[tuple[int, int]] = []  # crop [a, b) in window frames per track row
        self.row_of: dict[int, int] = {}
        weights: dict[int, np.ndarray] = {}
        for span in spans:
            c = plan.crop(span, lo, hi, fps, frames_per_token)
            if c is None:
                continue
            w = plan.track_weight(span, frames, last, fps)
            if not (w[c[0] - lo : c[1] - lo] > 0)[useful[c[0] - lo : c[1] - lo]].any():
                continue  # off, or only where this window's result is not used
            self.row_of[span.index] = len(rows)
            weights[span.index] = w
            rows.append((c[0] - lo, c[1] - lo))
        active = [s for s in spans if s.index in self.row_of]
        texts = [s.text for s in active]
        # Where a body-part track is fully on, its row sees the shared sample only on its own parts and
        # its own (private) sample elsewhere, so a walk on the legs is not slowed down by a wave it
        # cannot see; where it fades out (context, ramps) it sees the shared sample everywhere. Such a
        # row gets its own unconditional row on the same input, so guidance compares like with like.
        self.shared: dict[int, np.ndarray] = {}
        self.uncond_of: dict[int, int] = {}
        if step is not None:
            for span in active:
                if not _needs_private(span, active, weights):
                    continue
                r = self.row_of[span.index]
                a, e = rows[r]
                own = columns_mask(span.parts)
                self.shared[r] = np.maximum(own[None, :], 1.0 - weights[span.index][a:e, None])
                self.uncond_of[r] = len(rows)
                rows.append((a, e))
                texts.append("")
        self.private: dict[int, tuple[np.ndarray, np.ndarray, int]] = {}  # row -> (x_t, x0, t) of the last step
        self.fill_row = None
        if fill_text:
            self.fill_row = len(rows)
            rows.append((0, n))
            texts.append(fill_text)
        self.plain_row = None  # no text, no observations: only when observations get their own weight
        if obs_guidance != 1.0:
            self.plain_row = len(rows)
            rows.append((0, n))
            texts.append("")
        rows.append((0, n))  # unconditional (observations, no text), last
        texts.append("")
        self.rows = rows
        self.input_of = {u: r for r, u in self.uncond_of.items()}
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
        for layer in plan.layers(active):
            r = self.row_of[layer.span.index]
            a, e = rows[r]
            self.paints.append((r, a, e, weights[layer.span.index][a:e, None] * layer.columns[None, :]))

    def _observe(self, prefix: Prefix, fps: float) -> None:
        p = len(prefix.norm)
        f = prefix.norm.shape[1]
        for r, (a, _) in enumerate(self.rows):
            if a >= p or r == self.plain_row:
                continue
            k = p - a
            self.obs[r, :k, :f] = prefix.norm[a:]
            self.obs[r, :k, f : f + 4] = path_of_features(prefix.raw[a:], fps) if k > 1 else (0, 0, 0, 1)
            self.obs_mask[r, :k, : f + 4] = 1.0
        self.keep = prefix_keep(p)[:, None]

    def _observations(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """The prefix's observations plus the observer's for this step, each row on its crop."""
        crops = self.observer.crop_observations({a for a, _ in self.rows}, t)
        obs, mask = self.obs.copy(), self.obs_mask.copy()
        p = 0 if self.prefix is None else len(self.prefix.norm)
        for r, (a, e) in enumerate(self.rows):
            if r == self.plain_row:
                continue
            o, m = crops[a]
            k = max(p - a, 0)  # the observed prefix wins on its frames
            obs[r, k : e - a] = o[k : e - a]
            mask[r, k : e - a] = m[k : e - a]
        return obs, mask

    def row_input(self, r: int, x_t: np.ndarray, t: int) -> np.ndarray:
        """Track row r's (crop_len, F) input: the shared x_t, mixed with the track's private sample."""
        a, e = self.rows[r]
        shared = x_t[a:e]
        if r not in self.shared or r not in self.private:  # at the first step all rows share the noise
            return shared
        prev_x, prev_x0, prev_t = self.private[r]
        own = self.step(prev_x, prev_x0, prev_t, t)  # the same DDIM update the sampler applies
        return (shared * self.shared[r] + own * (1.0 - self.shared[r])).astype(np.float32)

    def __call__(self, x_t: np.ndarray, t: int) -> np.ndarray:
        """x_t (1, T, F) -> composed x0 (1, T, F)."""
        pred: list[np.ndarray] = [None] * len(self.rows)  # type: ignore[list-item]
        obs, obs_mask = (self.obs, self.obs_mask) if self.observer is None else self._observations(t)
        inputs: dict[int, np.ndarray] = {}  # by track row: a track's own unconditional row shares it
        for group, length in self.groups:
            x = np.zeros((len(group), length, x_t.shape[-1]), np.float32)
            for i, r in enumerate(group):
                src = self.input_of.get(r, r)
                if src not in inputs:
                    inputs[src] = self.row_input(src, x_t[0], t)
                x[i, : len(inputs[src])] = inputs[src]
            g = np.asarray(group)
            out = self.network(x, np.full(len(group), t), self.text[g], obs[g, :length], obs_mask[g, :length],
                               self.valid[g, :length])  # fmt: skip
            for i, r in enumerate(group):
                pred[r] = out[i, : self.rows[r][1] - self.rows[r][0]]
        g = self.guidance
        uncond = pred[-1]
        plain = None if self.plain_row is None else pred[self.plain_row]
        # the observations' own guidance term (zero with the default weight 1), shared by every row
        extra = 0.0 if plain is None else guide(uncond, plain, self.obs_guidance) - uncond
        fill = uncond if self.fill_row is None else guide(pred[self.fill_row], uncond, g)
        out = np.array(fill + extra, dtype=np.float32)
        guided = {}
        for r, a, e, w in self.paints:
            if r not in guided:
                u = pred[self.uncond_of[r]] if r in self.uncond_of else uncond[a:e]
                guided[r] = guide(pred[r], u, g) + (extra if plain is None else extra[a:e])
            out[a:e] = out[a:e] * (1.0 - w) + guided[r] * w
        for r in self.shared:  # the private sample follows the row's own (unguided) prediction
            self.private[r] = (inputs[r], pred[r], t)
        if self.prefix is not None:
            p = len(self.prefix.norm)
            out[:p] = self.keep * self.prefix.norm + (1.0 - self.keep) * out[:p]
        return out[None]


def _needs_private(span: plan.TrackSpan, active: list[plan.TrackSpan], weights: dict) -> bool:
    """A body-part track while another track is on.

    Both directions matter (measured): with a shared sample a wave slows a
    walk on the legs, and a walk turns a wave on the arm into an arm swing.
    """
    return len(span.parts) < len(BODY_PART_NAMES) and _overlaps_another(span, active, weights)


def _overlaps_another(span: plan.TrackSpan, active: list[plan.TrackSpan], weights: dict) -> bool:
    """Whether another track is on at some frame where this one is (only then can contexts differ)."""
    on = weights[span.index] > 0
    return any((weights[o.index][on] > 0).any() for o in active if o.index != span.index)


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
