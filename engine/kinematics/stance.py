"""Standing still means standing still: the body's slow glide while both feet are down is taken out.

The model sometimes lets the whole body drift while it stands on both feet
(a bow that travels 28 cm backwards in 4 s, feet gliding along). The glide
is slower than a contact moves, so it does not count as skating, but foot
planting then turns it into small shuffling steps. Here, over every stretch
of at least MIN_STANCE_S with both feet in contact (kinematics.feet's contact
model), the root is moved against the feet's common horizontal drift
(when it creeps slower than MAX_DRIFT over the stretch), easing in and out over EASE_S at the
stretch's ends; the offset built up is kept afterwards, so the rest of the
motion continues from where the body now stands. Turning on the spot or
shifting weight leaves the feet's centre in place and is untouched; steps
(single support) are untouched.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..motion import Motion
from ..skeleton import FOOT_INDICES
from . import contact
from .filters import minimum_jerk

MIN_STANCE_S = 1.0  # s of double support before a glide counts as drift (a slow walk's is shorter) ...
MAX_DRIFT = 0.12  # m/s: ... and no faster than this (a slow walk moves its body on; a standing body creeps)
EASE_S = 0.2  # s: the correction eases in and out at a stretch's ends


def anchor_stance(motion: Motion, contacts: np.ndarray, positions: np.ndarray | None = None) -> Motion:
    """A copy of `motion` without the horizontal glide of its double-support stretches.

    `contacts`: (T, 4) foot-joint contacts in FOOT_JOINTS order (left ankle, left ball, right ankle, right ball);
    `positions`: the motion's joint positions when the caller has them.
    """
    n, fps = motion.num_frames, motion.fps
    c = np.asarray(contacts, bool)
    both = (c[:, 0] | c[:, 1]) & (c[:, 2] | c[:, 3])
    runs = [(a, b) for a, b in contact.contact_runs(both) if b - a >= MIN_STANCE_S * fps]
    if n < 3 or not runs:
        return motion.copy()
    pos = motion.positions() if positions is None else positions
    centre = pos[:, list(FOOT_INDICES), :2].mean(axis=1)  # (T, 2)
    step = np.diff(centre, axis=0)  # (T-1, 2) the feet's common move between frames
    weight = np.zeros(n - 1)
    ease = max(1, int(round(EASE_S * fps)))
    for a, b in runs:
        if np.linalg.norm(centre[b - 1] - centre[a]) > MAX_DRIFT * (b - 1 - a) / fps:
            continue  # the body means to move (a slow walk's long double support)
        k = np.arange(a, b - 1)  # steps inside the stretch
        weight[k] = np.maximum(weight[k], minimum_jerk(np.minimum(k - a + 1, b - 1 - k) / (ease + 1)))
    shift = np.concatenate([np.zeros((1, 2)), np.cumsum(-step * weight[:, None], axis=0)])
    root = motion.root_translation.copy()
    root[:, :2] += shift
    return replace(motion, root_translation=root)
