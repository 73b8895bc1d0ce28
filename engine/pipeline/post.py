"""Decode and post-process: the one place sampled features become a result.

Every request kind ends here with the same PostProcessing settings (its smoothing runs inside the sampler, on
each window's final prediction before the last guidance correction: sample.sample_windows): decoding from the
window's place in the world, then output smoothing of the decoded motion (kinematics.smoothing), timeline
borders that snap eased to the segments beside them (timeline.transitions), clean-up (constraints reached with
IK over a window around them, feet planted while in contact) and the per-constraint residuals before and after
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .. import features as feat
from ..constraints.cleanup import cleanup, measure
from ..constraints.coordinates import WindowFrame
from ..constraints.types import ConstraintSet
from ..kinematics import contact
from ..kinematics.smoothing import cutoff_for_steps, smooth_motion
from ..motion import Motion
from ..timeline.transitions import ease_transitions
from .settings import PostProcessing

#: constraint kinds whose residual is a distance in metres (LookAt is an angle, a FunctionTerm the user's unit)
METRE_RESIDUALS = frozenset({"JointTarget", "RootPath", "KeyframePose", "FootPlant", "JointPosition", "AboveHeight",
                             "BelowHeight", "InsideCircle", "InsideBox", "MinDistance"})  # fmt: skip
MISSED_M = 0.01  # a distance residual above this after clean-up is a missed constraint (CLI line, panel mark)


@dataclass(frozen=True)
class Residual:
    """One constraint's remaining error from the model alone and after clean-up (metres; radians for angles)."""

    label: str
    type: str
    model_mean: float
    model_max: float
    mean: float
    max: float


ORIGIN = WindowFrame()


def decode(x0: np.ndarray, mean: np.ndarray, std: np.ndarray, fps: float, frame: WindowFrame = ORIGIN) -> Motion:
    """Normalised sampled features -> Motion at the model rate, starting where `frame` puts it."""
    raw = x0.astype(np.float64) * std + mean
    return feat.decode(raw, fps, start_position=frame.origin, start_yaw=frame.yaw)


def finish(motion: Motion, cset: ConstraintSet, post: PostProcessing, steps: int | None = None,
           transitions: Sequence[float] = ()) -> tuple[Motion, list[Residual]]:  # fmt: skip
    """Clean-up as `post` asks, and each constraint's residual before and after it; `steps` (the sampler's, None:
    the default) sets the output smoothing's cutoff (kinematics.smoothing.cutoff_for_steps); `transitions` are
    the times (s) where timeline tracks hand over, eased after the smoothing (on the raw output the sampler's
    jitter hid which borders snap) and before the feet are planted."""
    before = measure(motion, cset)
    if post.adaptive_smoothing:
        motion = smooth_motion(motion, cutoff_for_steps(steps))
    if post.ease_transitions:
        motion = ease_transitions(motion, list(transitions))
    targets = cset if post.exact_constraints else ConstraintSet()
    if post.clean_feet or targets:
        motion = cleanup(motion, targets, feet=post.clean_feet)
    if post.clean_feet:
        motion = contacts_where_feet_stand(motion)
    changed = post.adaptive_smoothing or (post.ease_transitions and transitions) or post.clean_feet or targets
    after = measure(motion, cset) if changed else before
    return motion, [Residual(b["label"], b["type"], b["mean"], b["max"], a["mean"], a["max"])
                    for b, a in zip(before, after, strict=True)]  # fmt: skip


def contacts_where_feet_stand(motion: Motion) -> Motion:
    """`motion` with its contacts channel re-derived from its feet (kinematics.contact, the one definition): after
    a clean-up has planted, stepped or moved the feet, the model's own channels no longer say where they stand,
    and a retarget's foot lock pins what the channels say."""
    return replace(motion, contacts=contact.foot_contacts(motion.positions(), motion.fps))


def residual_line(row: dict) -> tuple[str, bool]:
    """(one line for people, met) for a provenance row of `metadata["constraints"]`: the largest error after
    clean-up (cm for distances, else the constraint's own unit) and the model's alone beside it."""
    if row.get("type") in METRE_RESIDUALS:
        text = f"{row['label']}: {100 * row['max']:.1f} cm (model alone {100 * row['model_max']:.1f} cm"
        if "rig_max" in row:  # retargeted onto a rig (the add-on): its own bone's miss, for its proportions
            return text + f"; on the rig {100 * row['rig_max']:.1f} cm)", max(row["max"], row["rig_max"]) <= MISSED_M
        return text + ")", row["max"] <= MISSED_M
    return f"{row['label']}: {row['max']:.3g} (model alone {row['model_max']:.3g})", row["max"] <= 1e-3
