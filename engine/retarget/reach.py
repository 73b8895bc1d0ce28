"""Joint targets met on the rig itself, not only on the canonical skeleton.

The engine meets a target (e.g. "right wrist here at 2 s") on the canonical
skeleton; the rig's arms and legs have other proportions, so after
retargeting its wrist would miss by the difference. Here each target is taken
into armature space through the rest alignment (the inverse of the way the
scene position came in) and the limb's own two bones turn to reach it, the
correction fading in and out around the target's frames. An elbow target
turns the upper arm alone, the forearm and hand riding along (an elbow target
6 cm aside missed by 6.4 cm on a test rig with shorter arms, now 1.4; what
is left is the arm's length). A knee target turns the leg about its
hip-to-ankle line instead, so a planted foot stays where it is. A head, neck or
upper spine target is reached by tilting the rig's spine bones below it,
each a share, so the bones above keep their orientation (the rig's torso and
neck have other proportions too: a head target beside a walk missed by
3.5 cm on the Rigify rig). Pelvis targets need nothing here: the rig's
pelvis follows the canonical one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..constraints.types import JointTarget, frame_at
from ..skeleton import JOINT_NAMES
from .rest import RestAlignment

#: end joint -> its limb (upper, middle, end)
LIMBS: dict[str, tuple[str, str, str]] = {
    f"{side}_{end}": (f"{side}_{upper}", f"{side}_{mid}", f"{side}_{end}")
    for side in ("left", "right")
    for upper, mid, end in (("shoulder", "elbow", "wrist"), ("hip", "knee", "ankle"))
}
#: middle joint (elbow, knee) -> its limb
MIDDLES: dict[str, tuple[str, str, str]] = {limb[1]: limb for limb in LIMBS.values()}
#: the torso joints a target tilts the spine for, bottom to top (the joints below each, from spine1, tilt)
TILTED = ("spine2", "spine3", "neck", "head")
#: fade in / out around a target (seconds)
BLEND_SECONDS = 0.3
#: reaches beyond this fraction of the limb's length ease in instead of snapping straight
SOFT_REACH = 0.995


def blend_frames(fps: float) -> int:
    return max(1, int(round(BLEND_SECONDS * fps)))


def bend_direction(limb: tuple[str, str, str]) -> np.ndarray:
    """Which way the middle joint goes in the canonical T-pose frame: knees forward (-Y), elbows back (+Y)."""
    return np.array([0.0, -1.0, 0.0]) if limb[1].endswith("knee") else np.array([0.0, 1.0, 0.0])


def limb_goals(
    targets: Sequence[JointTarget], al: RestAlignment, fps: float, num_frames: int
) -> dict[tuple[str, str, str], np.ndarray]:
    """Per limb, armature-space positions (T,3) its end must reach (NaN on free frames).

    Elbows, knees and the torso have their own (`joint_goals`); the pelvis
    follows the canonical one, and collars and feet are met by the canonical
    motion only (their misses are reported).
    """
    return {LIMBS[end]: goal for end, goal in joint_goals(targets, tuple(LIMBS), al, fps, num_frames).items()}


def joint_goals(
    targets: Sequence[JointTarget], joints: Sequence[str], al: RestAlignment, fps: float, num_frames: int
) -> dict[str, np.ndarray]:
    """Per targeted joint among `joints`, in their order, the armature-space positions (T,3) it must reach (NaN
    on free frames)."""
    out: dict[str, np.ndarray] = {}
    for name in joints:
        for t in targets:
            if JOINT_NAMES[t.joint] == name:
                _put(out.setdefault(name, np.full((num_frames, 3), np.nan)), t, al, fps)
    return out


def _put(goal: np.ndarray, t: JointTarget, al: RestAlignment, fps: float) -> None:
    n = len(goal)
    first = min(max(frame_at(t.start, fps), 0), n - 1)
    last = min(max(frame_at(t.end, fps), first), n - 1)
    goal[first : last + 1] = al.to_armature(np.asarray(t.position, dtype=np.float64))


def rig_misses(targets: Sequence[JointTarget], joint_positions: dict, al: RestAlignment, fps: float,
               world_scale: float) -> dict[str, float]:  # fmt: skip
    """Per target label, how far (m) the rig's own bone for the joint ends from the target at its frames.

    `joint_positions` are the retarget's armature-space positions per canonical joint (RetargetResult); what
    the rig cannot reach for its proportions (a head too high for its neck) shows here and nowhere else.
    """
    out: dict[str, float] = {}
    for t in targets:
        have = joint_positions.get(JOINT_NAMES[t.joint])
        if have is None:
            continue
        goal = np.full((len(have), 3), np.nan)
        _put(goal, t, al, fps)
        on = ~np.isnan(goal[:, 0])
        miss = float(np.linalg.norm(have[on] - goal[on], axis=-1).max()) * world_scale
        out[t.label] = max(out.get(t.label, 0.0), miss)
    return out
