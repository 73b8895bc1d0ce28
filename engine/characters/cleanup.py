"""Cast clean-up: after each character's own clean-up, make the interactions exact on the final motions.

1. `apart`: roots of bodies still too close are pushed away (a smoothed
   detour), then those characters' feet are re-planted.
2. `face` and contacts: every contact joint is aimed at the shared meeting
   point (each side takes half the remaining gap, so the correction is
   shared) and reached with IK on both sides (engine.constraints.cleanup:
   two-bone arms and legs, CCD elsewhere, each fix faded over 0.3 s), so the
   joints meet exactly wherever both limbs reach.
"""

from __future__ import annotations

from dataclasses import replace

from ..constraints.cleanup import cleanup
from ..constraints.types import ConstraintSet, JointTarget
from ..motion import Motion
from .coupling import Coupling
from .interactions import Interaction
from .terms import JointTrack

PASSES = 3  # apart pushes: a push can bring a body near a third one, and feet re-planting moves limbs
ROUNDS = 2


def clean_cast(motions: list[Motion], names: list[str], interactions: list[Interaction],
               fixed: frozenset[str] = frozenset()) -> list[Motion]:  # fmt: skip
    """The motions with apart, face and contact interactions met (fixed characters are left as they are)."""
    if not interactions:
        return motions
    coupling = Coupling(interactions, names, motions[0].fps, motions[0].num_frames, fixed)
    motions = list(motions)
    for _ in range(ROUNDS):  # a contact's root assist can bring two bodies close again: push, reach, once more
        motions = _push_apart(motions, coupling)
        motions = _meet(motions, names, coupling, fixed)
    return motions


def _push_apart(motions: list[Motion], coupling: Coupling) -> list[Motion]:
    """Roots of bodies closer than their `apart` distance moved away (smoothed), feet planted again."""
    for _ in range(PASSES if coupling.aparts else 0):
        pushes = coupling.pushes([m.positions() for m in motions])
        for k, push in enumerate(pushes):
            if push.any():
                root = motions[k].root_translation.copy()
                root[:, :2] += push
                moved = replace(motions[k], root_translation=root)
                motions[k] = replace(cleanup(moved, ConstraintSet(), feet=True, root_assist=False),
                                     metadata=motions[k].metadata)  # fmt: skip
    return motions


def _meet(motions: list[Motion], names: list[str], coupling: Coupling, fixed) -> list[Motion]:
    """Contacts exact by IK on both sides at the shared meeting point, faces turned."""
    if not (coupling.contacts or coupling.faces):
        return motions
    coupling.aim([m.positions() for m in motions])
    for k, name in enumerate(names):
        terms = [t for t in coupling.terms[name] if t.weight > 0]
        if not terms or name in fixed:
            continue
        # contacts as joint targets: a partner the arm cannot reach moves the root over (root assist)
        joints = [JointTarget(t.joint, t.start, t.end, t.position, t.weight, t.label) for t in terms
                  if isinstance(t, JointTrack)]  # fmt: skip
        faces = [t for t in terms if not isinstance(t, JointTrack)]
        out = cleanup(motions[k], ConstraintSet(joints=joints, functions=faces), feet=False)
        if joints:  # a root that moved must not drag the feet: plant them again (legs only)
            out = cleanup(out, ConstraintSet(), feet=True, root_assist=False)
        motions[k] = replace(out, metadata=motions[k].metadata)
    return motions
