"""Transitions no jerkier than the actions they join.

Where one track hands over to the next, the sampler is shown a cross-fade of
two predictions and may settle on one or the other within a few frames
instead of blending over the ramp: a hand the next track raises flicks up in
0.25 s at 7.7 m/s (timeline suite, "a person raises the right hand up" then
"the person raises the left hand up"; in the test split's real raises the
wrists peak at 1.4 m/s in the median clip, 6.8 at most). Each border whose
peak joint jerk or peak joint speed (relative to the pelvis, within FLAT_S)
exceeds what the segments on either side reach in most of their half-second
windows (the upper quartile, away from any cross-fade) is low-passed around
it with the gentlest cutoff of CUTOFFS_HZ that brings it within both (SLACK
over them), fading in and out over FADE_S; where none does, the lowest
cutoff is kept, so a change of pose between two holds is spread over the
fade (the raise above: 3.5 m/s at most, over about 0.4 s). A quick action
that is as quick through its segment (a run, a wave) sets a high budget and
is left as it is. Jerk alone let the raise through at 5.5 m/s: a 3 Hz
low-pass brought its jerk within budget and left the flick.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..kinematics.filters import minimum_jerk
from ..kinematics.smoothing import joint_jerk, low_pass, mix
from ..motion import Motion
from .plan import RAMP_S

FLAT_S = 0.25  # s: around a border, where its peak is measured and the easing is whole
FADE_S = 0.5  # s: beyond that the easing fades out over this
BUDGET_PERCENTILE = 75  # of the segments' 0.5 s peaks: a segment's own worst snap does not license one at a border
CUTOFFS_HZ = (4.0, 3.0, 2.0, 1.5, 1.0)  # tried in turn; the last is kept if none brings the border within budget
SLACK = 1.1  # a border up to this much over budget is as quick as its segments (a steady swing varies this much)
MARGIN_S = 0.5  # s: the stretch filtered reaches this far beyond the fade (the filter's own ends are held)


def transition_times(tracks, seconds: float) -> list[float]:
    """Times (s) where a track starts or ends inside the clip, those closer than FLAT_S to the previous merged."""
    out: list[float] = []
    for t in sorted({float(x) for tr in tracks for x in (tr.start, tr.end) if 0.0 < x < seconds}):
        if not out or t - out[-1] > FLAT_S:
            out.append(t)
    return out


def peaks(motion: Motion) -> tuple[np.ndarray, np.ndarray]:
    """(T,) the largest joint jerk (m/s^3; each third difference placed on its middle frames) and the largest
    joint speed relative to the pelvis (m/s) at each frame."""
    pos = motion.positions()
    jerk = joint_jerk(pos, motion.fps).max(axis=1)
    jerk = np.pad(jerk, (1, 2), mode="edge") if len(jerk) else np.zeros(motion.num_frames)
    rel = pos[:, 1:] - pos[:, :1]
    speed = np.linalg.norm(np.diff(rel, axis=0), axis=-1).max(axis=1) * motion.fps
    return jerk, np.pad(speed, (0, 1), mode="edge")


def window_peaks(values: np.ndarray, half: float) -> np.ndarray:
    """(T,) the largest of `values` within `half` frames of each frame."""
    h = max(int(round(half)), 0)
    padded = np.pad(values, h, mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * h + 1).max(axis=1)


def _within(motion: Motion, flat: np.ndarray, budget: tuple[float, float]) -> bool:
    return all(p[flat].max() <= SLACK * b for p, b in zip(peaks(motion), budget, strict=True))


def ease_transitions(motion: Motion, times: list[float]) -> Motion:
    """`motion` with each border in `times` (s) eased to the jerk and speed of the segments beside it (module
    docstring)."""
    if not times or motion.num_frames < 8:
        return motion
    t = np.arange(motion.num_frames) / motion.fps
    near = np.abs(t[:, None] - np.asarray(times)[None, :]).min(axis=1) <= 0.5 * RAMP_S + FLAT_S  # fades, windows
    out = motion
    for i, b in enumerate(times):
        lo = times[i - 1] if i else 0.0
        hi = times[i + 1] if i + 1 < len(times) else t[-1]
        beside = (t >= lo) & (t <= hi) & ~near
        if not beside.any():
            continue  # no segment interior to compare with
        half = FLAT_S * out.fps
        budget = tuple(float(np.percentile(window_peaks(p, half)[beside], BUDGET_PERCENTILE)) for p in peaks(out))
        # the border's neighbourhood alone is filtered: a short stretch keeps the filter cheap for any clip length
        part = np.flatnonzero(np.abs(t - b) <= FLAT_S + FADE_S + MARGIN_S)
        a, e = part[0], part[-1] + 1
        piece = out[a:e]
        flat = np.abs(t[part] - b) <= FLAT_S
        if _within(piece, flat, budget):
            continue
        share = minimum_jerk(np.clip((FLAT_S + FADE_S - np.abs(t[part] - b)) / FADE_S, 0.0, 1.0))
        for cutoff in CUTOFFS_HZ:
            eased = mix(piece, low_pass(piece, cutoff), share)
            if _within(eased, flat, budget):
                break
        rotations, root = out.rotations.copy(), out.root_translation.copy()
        rotations[a:e], root[a:e] = eased.rotations, eased.root_translation
        out = replace(out, rotations=rotations, root_translation=root)
    return out
