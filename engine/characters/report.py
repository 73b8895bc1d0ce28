"""What is left of each interaction on the finished motions: the residuals every result carries.

contact: how far the two joints are from `distance` apart over the range
(metres); apart: the smallest distance between each pair of bodies outside
contacts (None when never within MEASURED_WITHIN) and how many frames are
below min_distance; face: how far the chest
is turned from the partner (radians, beyond the look-at tolerance); stays:
how far the pelvis of one who stays moves during a contact (metres).
"""

from __future__ import annotations

import numpy as np

from ..motion import Motion
from .coupling import ContactLink, Coupling
from .interactions import Contact, Face, Interaction

MEASURED_WITHIN = 1.5  # m: bodies farther apart than this at every frame read "closest: None" (not near)


def measure_interactions(motions: list[Motion], names: list[str], interactions: list[Interaction],
                         stays: frozenset[str] = frozenset()) -> list[dict]:  # fmt: skip
    """One row per contact and face, one per (apart, pair of characters), and one per contact of one who
    `stays` (how far its pelvis moves over the ground from the approach to the release)."""
    fps, n = motions[0].fps, motions[0].num_frames
    worlds = [m.positions() for m in motions]
    coupling = Coupling(interactions, names, fps, n, stays=stays)
    coupling.aim(worlds)
    index = coupling.index
    rows: list[dict] = []
    for link in coupling.contacts:
        it = link.contact
        rows.append(_row(it, contact_error(link, worlds, index), characters=[it.a.character, it.b.character]))
    for it, term, frames in coupling.faces:
        err = term.residual(worlds[index[it.a]][frames])
        rows.append(_row(it, err, characters=[it.a, it.b]))
    for name, term, frames in coupling.holds:
        pelvis = worlds[index[name]][frames, 0, :2]
        rows.append({"label": term.label, "type": "stays", "characters": [name], "start": term.start,
                     "end": term.end, **_spread(np.linalg.norm(pelvis - pelvis[0], axis=-1))})  # fmt: skip
    for ap in coupling.aparts:
        near = {(i, k): dist for i, k, dist, _ in coupling.pair_distances(worlds, MEASURED_WITHIN, ap)}
        for i, a in enumerate(names):
            for k in range(i + 1, len(names)):
                b = names[k]
                if not ap.applies(a, b):
                    continue
                dist = near.get((i, k), np.full(n, np.inf))
                closest = float(dist.min())
                rows.append({"label": ap.label, "type": "apart", "characters": [a, b], "min_distance": ap.min_distance,
                             "closest": closest if np.isfinite(closest) else None,
                             "frames_closer": int(np.sum(dist < ap.min_distance - 1e-3)),
                             "mean": float(np.mean(np.maximum(ap.min_distance - dist, 0.0))),
                             "max": float(np.max(np.maximum(ap.min_distance - dist, 0.0)))})  # fmt: skip
    return rows


def contact_error(link: ContactLink, worlds: list[np.ndarray], index: dict[str, int]) -> np.ndarray:
    """(frames,) how far a contact's two joints are from its `distance` apart over its range (m)."""
    it, frames = link.contact, link.frames
    pa = worlds[index[it.a.character]][frames, it.a.joint]
    pb = worlds[index[it.b.character]][frames, it.b.joint]
    return np.abs(np.linalg.norm(pa - pb, axis=-1) - it.distance)


def _row(it: Contact | Face, err: np.ndarray, characters: list[str]) -> dict:
    kind = "contact" if isinstance(it, Contact) else "face"
    return {"label": it.label, "type": kind, "characters": characters, "start": it.start, "end": it.end,
            **_spread(err)}  # fmt: skip


def _spread(err: np.ndarray) -> dict:
    return {"mean": float(np.mean(err)), "max": float(np.max(err))}


def merge_reports(model: list[dict], final: list[dict]) -> list[dict]:
    """Rows after clean-up, each with the sampling-alone error beside it (model_mean, model_max)."""
    out = []
    for before, after in zip(model, final, strict=True):
        row = dict(after, model_mean=before["mean"], model_max=before["max"])
        if "closest" in before:
            row["model_closest"] = before["closest"]
        out.append(row)
    return out
