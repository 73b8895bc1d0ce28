"""Benchmark metrics in plain numpy, so they run anywhere the engine runs.

Distribution metrics (FID, diversity, multimodality, R-precision) take
evaluator embeddings; physical metrics take world joint positions (T,J,3)
in metres at a known frame rate, Z up, floor at z = 0.
"""

from __future__ import annotations

import numpy as np

from ..kinematics import contact
from ..kinematics.smoothing import joint_jerk
from ..skeleton import FOOT_INDICES, JOINT_NAMES

FOOT_COLUMNS = list(FOOT_INDICES)
FOOT_REST = contact.FOOT_REST


# ---- distribution metrics over embeddings -------------------------------------------------------


def fid(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two embedding sets (N,D) and (M,D).

    tr(sqrt(S_a S_b)) is computed as the trace of sqrt(sqrt(S_a) S_b sqrt(S_a)),
    a symmetric PSD matrix, so only eigh is needed (no scipy).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    cross = np.sqrt(np.clip(middle, 0.0, None)).sum()
    value = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross
    return float(max(value, 0.0))


def _mean_pair_distance(x: np.ndarray) -> tuple[float, int]:
    n = len(x)
    if n < 2:
        return 0.0, 0
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    iu = np.triu_indices(n, 1)
    return float(d[iu].mean()), len(iu[0])


def diversity(x: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs of embeddings (all pairs, so no sampling noise)."""
    return _mean_pair_distance(np.asarray(x, np.float64))[0]


def multimodality(x: np.ndarray, groups) -> float:
    """Mean pairwise distance among embeddings that share a group (same text / label), averaged over groups."""
    x = np.asarray(x, np.float64)
    groups = np.asarray(groups)
    values = []
    for g in np.unique(groups):
        members = x[groups == g]
        if len(members) >= 2:
            values.append(_mean_pair_distance(members)[0])
    return float(np.mean(values)) if values else float("nan")


def r_precision(text: np.ndarray, motion: np.ndarray, groups=None, batch_size: int = 32, top_k: int = 3,
                seed: int = 0) -> np.ndarray:  # fmt: skip
    """Top-1..top_k retrieval accuracy of each motion's own text among the texts of its batch.

    Items are shuffled with `seed` into batches of `batch_size` (the remainder
    is dropped, as in the usual protocol); one true text among the batch's
    texts. Texts of other items in the same group (e.g. the same content and
    style label) are left out of the candidates: they describe the motion
    equally well, so ranking them first is not a mistake.
    Embeddings are compared by cosine similarity.
    """
    text = _unit(text)
    motion = _unit(motion)
    n = len(text)
    groups = np.arange(n) if groups is None else np.asarray(groups)
    size = min(batch_size, n)
    order = np.random.default_rng(seed).permutation(n)
    hits = np.zeros(top_k)
    count = 0
    for start in range(0, n - size + 1, size):
        idx = order[start : start + size]
        sim = motion[idx] @ text[idx].T
        same = groups[idx][:, None] == groups[idx][None, :]
        np.fill_diagonal(same, False)
        sim = np.where(same, -np.inf, sim)
        rank = (sim > np.diag(sim)[:, None]).sum(1)
        hits += (rank[:, None] < np.arange(1, top_k + 1)[None]).sum(0)
        count += size
    return hits / max(count, 1)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


# ---- physical metrics over joint positions -------------------------------------------------------


def foot_skate_counts(positions: np.ndarray, fps: float) -> tuple[int, int]:
    """(skating, grounded) counts of foot-joint frame steps in one motion.

    A step t -> t+1 of a foot joint is grounded when the joint is low (the
    contact definition's height, kinematics.contact) at both frames, and
    skating when it is grounded and moves faster than the contact speed.
    """
    p = np.asarray(positions)
    if len(p) < 2:
        return 0, 0
    grounded = contact.grounded_steps(p)
    speed = contact.horizontal_speed(p[:, FOOT_COLUMNS], fps)
    return int((grounded & (speed > contact.SPEED)).sum()), int(grounded.sum())


def foot_skate_ratio(motions: list[np.ndarray], fps: float) -> float:
    """Share of grounded foot-joint steps that skate, pooled over motions (0 when never grounded)."""
    counts = np.array([foot_skate_counts(p, fps) for p in motions]).reshape(-1, 2)
    skating, grounded = counts.sum(0)
    return float(skating / grounded) if grounded else 0.0


def floor_penetration(motions: list[np.ndarray]) -> float:
    """Mean depth (m) of the foot joints below their standing height, over all foot-joint frames (0 above)."""
    depth = [np.clip(FOOT_REST - np.asarray(p)[:, FOOT_COLUMNS, 2], 0.0, None).ravel() for p in motions]
    return float(np.concatenate(depth).mean()) if depth else 0.0


jerk = joint_jerk  # (T-3, J) m/s^3: the engine's own measure (kinematics.smoothing), so the benchmark and the
# transitions' easing (timeline.transitions) agree on it


def mean_jerk(motions: list[np.ndarray], fps: float) -> float:
    """Mean jerk over all joints and frames of all motions (m/s^3)."""
    values = np.concatenate([jerk(p, fps).ravel() for p in motions])
    return float(values.mean()) if len(values) else 0.0


def joint_speed(positions: np.ndarray, fps: float) -> np.ndarray:
    """(T-1, J) speed of every joint between consecutive frames, m/s."""
    p = np.asarray(positions, np.float64)
    return np.linalg.norm(np.diff(p, axis=0), axis=-1) * fps


def mean_joint_speed(positions: np.ndarray, fps: float) -> float:
    """Mean speed over all joints and frames of one motion (m/s): how much it moves, whatever the action."""
    speed = joint_speed(positions, fps)
    return float(speed.mean()) if speed.size else 0.0


WRISTS = [JOINT_NAMES.index("left_wrist"), JOINT_NAMES.index("right_wrist")]


def wrist_speed(positions: np.ndarray, fps: float) -> float:
    """Mean speed of the faster wrist relative to the pelvis (m/s): a gesture's energy, wherever the body goes."""
    rel = positions[:, WRISTS] - positions[:, :1]
    return float(np.linalg.norm(np.diff(rel, axis=0), axis=-1).mean(axis=0).max() * fps)


def peak_speed_near(positions: np.ndarray, fps: float, joint: int, time: float, window: float = 0.5) -> float:
    """Highest speed of `joint` over the frame steps whose midpoint lies within `window` seconds of `time`."""
    speed = joint_speed(positions, fps)[:, joint]
    centre = (np.arange(len(speed)) + 0.5) / fps
    near = speed[np.abs(centre - time) <= window]
    return float(near.max()) if near.size else 0.0


def per_label_ratio(values, reference, labels, reference_labels=None) -> dict[str, float]:
    """For each label: mean of `values` with that label / mean of `reference` with it (labels in both only)."""
    labels = np.asarray(labels)
    ref_labels = labels if reference_labels is None else np.asarray(reference_labels)
    values, reference = np.asarray(values, np.float64), np.asarray(reference, np.float64)
    out = {}
    for label in sorted(set(labels.tolist()) & set(ref_labels.tolist())):
        ref = reference[ref_labels == label].mean()
        if ref > 0:
            out[str(label)] = float(values[labels == label].mean() / ref)
    return out
