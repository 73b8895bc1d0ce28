"""Cast clean-up: after each character's own clean-up, make the interactions exact on the final motions.

1. `apart`: roots of bodies still too close are pushed away (a smoothed
   detour), feet planted again.
2. `face` and contacts: every contact joint is aimed at the shared meeting
   point (each side takes half the remaining gap, so the correction is
   shared) and reached with IK on both sides (engine.constraints.cleanup:
   two-bone arms and legs, CCD elsewhere, each fix faded over 0.3 s), so the
   joints meet exactly wherever both limbs reach; then each contact joint's
   way in and out becomes one smooth reach (reach_path).
3. Both again until no pair is too close (ROUNDS; the last round's reach
   moves the arms alone, since a root assist after the last push steps the
   bodies back in, unless the arms miss a contact by more than
   REACH_TOLERANCE: then touching wins over spacing), then the feet of every
   character whose root a reach moved are planted again, once; if the
   planted legs came too close, all of it once more (PLANTINGS).
4. Each contact arm's elbow turned back to the model's own side
   (kinematics.swivel), the wrists unmoved.

Wherever feet are planted again, the character's own keyframes (`poses`:
a keyframe, the standing start and end) are kept exact with them: planting
may lower the pelvis and bend the knees, which would undo a pose.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import quaternion as quat
from ..constraints.cleanup import cleanup
from ..constraints.types import ConstraintSet, JointTarget
from ..kinematics.filters import gaussian
from ..kinematics.swivel import keep_elbow_side
from ..motion import Motion
from ..skeleton import CANONICAL
from .coupling import Coupling
from .interactions import Interaction
from .reach_path import contact_path
from .report import contact_error
from .terms import ContactTrack

ARM_MARGIN_S = 0.3  # s before the approach and after the release where the arm is low-passed too
ARM_SIGMA_S = 0.1  # s: Gaussian sigma over a contact arm's rotations while it comes in, holds and goes back
PASSES = 6  # apart pushes at most: a push can bring a body near a third one, and feet re-planting moves limbs
PUSH_MARGIN = 0.01  # m beyond min_distance: a push overshoots a little, since re-planted feet give some back
APART_TOLERANCE = 0.0002  # m: pushes (and root moves) smaller than this are not worth another pass
PLANTINGS = 2  # feet planted again at most this often (each time the legs move, apart is checked again)
REACH_TOLERANCE = 0.005  # m: a contact the last round's arms miss by more than this gets its root assist back
MIN_ROUNDS, ROUNDS = 2, 4  # push-and-meet rounds: the handshake's 3rd and 4th took its closest bodies 24 -> 30 cm
SWIVEL_ARMS = (
    CANONICAL.index("left_wrist"),
    CANONICAL.index("right_wrist"),
)  # contact joints whose elbow side is kept


def clean_cast(motions: list[Motion], names: list[str], interactions: list[Interaction],
               fixed: frozenset[str] = frozenset(), stays: frozenset[str] = frozenset(),
               pins: dict[str, list] | None = None, poses: dict[str, list] | None = None) -> list[Motion]:  # fmt: skip
    """The motions with apart, face and contact interactions met (fixed characters are left as they are;
    those that stay move their arms only; a contact joint pinned by its own joint target meets there; each
    character's own keyframes, `poses` by name, kept where its feet are planted again)."""
    if not interactions:
        return motions
    coupling = Coupling(interactions, names, motions[0].fps, motions[0].num_frames, fixed, stays, pins)
    own = [ConstraintSet(keyframes=list((poses or {}).get(n, []))) for n in names]
    model = list(motions)
    motions = _ease_arms(list(motions), names, coupling)
    measured = Measured(coupling)
    planted = [m.root_translation for m in motions]  # each root where its feet were last planted
    for _ in range(PLANTINGS):
        for done in range(1, ROUNDS + 1):  # a contact's root assist can bring two bodies close again: push, reach
            before = list(motions)
            motions = _push_apart(motions, measured, own, lift=done == ROUNDS)  # plants the feet of those it pushes
            planted = [m.root_translation if m is not b else p for m, b, p in zip(motions, before, planted,
                                                                                  strict=True)]  # fmt: skip
            motions = _meet(motions, names, measured, fixed, assist=done < ROUNDS)
            if done == ROUNDS and measured.contact_gap(motions) > REACH_TOLERANCE:
                motions = _meet(motions, names, measured, fixed)  # the arms alone cannot close it: contact wins
            if done >= MIN_ROUNDS and measured.pushes(motions) is None:
                break
        motions = [_replant(m, root, c) for m, root, c in zip(motions, planted, own, strict=True)]
        planted = [m.root_translation for m in motions]
        if measured.pushes(motions) is None:  # planted legs can come closer than the reaching ones were
            break
    return _keep_elbows(motions, model, names, coupling)


def _replant(motion: Motion, root: np.ndarray, own: ConstraintSet) -> Motion:
    """Feet planted again (legs only) if a contact's reach moved the root from `root`: once, after the last
    reach, not after each, since each planting of feet already planted lets them slip a little more (the high
    five's 1.6 % skating became 3.4 % in three plantings). The start or end of a plant the leg cannot reach from
    where the reach left the pelvis is lifted, not slid (cam's reach to 1.75 m stands it up: its toe-off foot slid
    3 frames). The apart pushes plant without that: a lifted foot stays behind where a push moved the body away
    from (the crowd needed 8 pushes instead of 5, 6.5 cm further off its planned path)."""
    if np.abs(motion.root_translation - root).max() <= APART_TOLERANCE:
        return motion
    out = cleanup(motion, own, feet=True, root_assist=False, lift_out_of_reach=True)
    return replace(out, metadata=motion.metadata)


def _ease_arms(motions: list[Motion], names: list[str], coupling: Coupling) -> list[Motion]:
    """The contact arms low-passed (ARM_SIGMA_S) while they come in, hold and go back: few-step sampling can
    leave a one-frame pop or a snap in an arm that guidance leads somewhere new, and that is a whip. The
    contacts are reached exactly again afterwards (_meet)."""
    for link in coupling.contacts:
        for ref, term in ((link.contact.a, link.term_a), (link.contact.b, link.term_b)):
            k = names.index(ref.character)
            if ref.character in coupling.fixed:
                continue
            m = motions[k]
            chain = arm_chain(ref.joint)
            on = np.flatnonzero(term.weights > 0)  # the whole approach, hold and release, and a margin ...
            margin = int(round(ARM_MARGIN_S * m.fps))
            weight = np.zeros(m.num_frames)
            weight[max(0, on[0] - margin) : on[-1] + margin + 1] = 1.0
            weight = gaussian(weight, ARM_SIGMA_S * m.fps)  # ... faded in and out
            rot = m.rotations.copy()
            smooth = quat.normalize(gaussian(quat.continuous(rot[:, chain]), ARM_SIGMA_S * m.fps))
            rot[:, chain] = quat.slerp(rot[:, chain], smooth, weight[:, None, None])
            motions[k] = replace(m, rotations=rot)
    return motions


def _keep_elbows(motions: list[Motion], model: list[Motion], names: list[str], coupling: Coupling) -> list[Motion]:
    """Each contact arm's elbow turned back to the model's own side (kinematics.swivel): the reaches move the
    wrists, and where one handed the IK an elbow on the far side of the new arm line it swung round in a frame.
    The wrists stay exactly where the contacts put them."""
    motions = list(motions)
    for link in coupling.contacts:
        for ref in (link.contact.a, link.contact.b):
            k = names.index(ref.character)
            if ref.character in coupling.fixed or ref.joint not in SWIVEL_ARMS:
                continue
            m, own = motions[k], model[k]
            rotations = keep_elbow_side(m.rotations, m.root_translation, ref.joint, own.rotations,
                                        own.root_translation)  # fmt: skip
            motions[k] = replace(m, rotations=rotations)
    return motions


def arm_chain(joint: int) -> list[int]:
    """The joint and its ancestors up to the collar (a wrist: wrist, elbow, shoulder, collar), below the spine."""
    chain = [joint]
    while CANONICAL.parents[chain[-1]] >= 0 and not CANONICAL.names[CANONICAL.parents[chain[-1]]].startswith(
        ("spine", "neck", "pelvis")
    ):
        chain.append(CANONICAL.parents[chain[-1]])
    return chain


def _push_apart(
    motions: list[Motion], measured: Measured, own: list[ConstraintSet], lift: bool = False
) -> list[Motion]:
    """Roots of bodies closer than their `apart` distance moved away (smoothed), feet planted again (a foot
    planted over pushed and unpushed frames comes back in between, so the legs must be measured as planted);
    repeated (at most PASSES) while any pair is too close (smoothing and re-planted feet shave each push)."""
    for _ in range(PASSES):
        pushes = measured.pushes(motions)
        if pushes is None:
            break
        for k, push in enumerate(pushes):
            if push.any():
                root = motions[k].root_translation.copy()
                root[:, :2] += push
                moved = replace(motions[k], root_translation=root)
                motions[k] = replace(cleanup(moved, own[k], feet=True, root_assist=False, lift_out_of_reach=lift),
                                     metadata=motions[k].metadata)  # fmt: skip
    return motions


class Measured:
    """Each motion's world joint positions and each set of motions' apart pushes, computed once: clean-up
    replaces motions (never changes one in place) and asks for both again and again (a crowd without contacts
    measured the same pushes four times)."""

    def __init__(self, coupling: Coupling) -> None:
        self.coupling = coupling
        self._positions: dict[int, tuple[Motion, np.ndarray]] = {}  # the motion is kept, so its id stays its own
        self._pushes: dict[tuple[int, ...], tuple[list[Motion], list[np.ndarray] | None]] = {}

    def positions(self, motion: Motion) -> np.ndarray:
        if id(motion) not in self._positions:
            self._positions[id(motion)] = (motion, motion.positions())
        return self._positions[id(motion)][1]

    def pushes(self, motions: list[Motion]) -> list[np.ndarray] | None:
        """Each character's push away from bodies closer than their `apart` distance (PUSH_MARGIN beyond it),
        or None when no pair is too close (by more than APART_TOLERANCE)."""
        key = tuple(id(m) for m in motions)
        if key not in self._pushes:
            self._pushes[key] = (list(motions), self._measure(motions))
        return self._pushes[key][1]

    def contact_gap(self, motions: list[Motion]) -> float:
        """The largest distance of any contact's joints from their `distance` apart (m; 0 without contacts)."""
        worlds = [self.positions(m) for m in motions]
        index = self.coupling.index
        return max((float(contact_error(link, worlds, index).max()) for link in self.coupling.contacts), default=0.0)

    def _measure(self, motions: list[Motion]) -> list[np.ndarray] | None:
        if not self.coupling.aparts:
            return None
        pushes = self.coupling.pushes([self.positions(m) for m in motions], PUSH_MARGIN)
        return pushes if max(float(np.abs(p).max()) for p in pushes) > APART_TOLERANCE else None


def _meet(motions: list[Motion], names: list[str], measured: Measured, fixed, assist: bool = True) -> list[Motion]:
    """Contacts exact by IK on both sides at the shared meeting point, faces turned. Those who stay reach
    first (arms only); their partners are then aimed at where those hands got to. Without `assist` no root
    moves (the last round: a root assist after the last push would bring the bodies close again)."""
    coupling = measured.coupling
    if not (coupling.contacts or coupling.faces):
        return motions
    motions = list(motions)
    first = [k for k, n in enumerate(names) if n in coupling.stays]
    for group in (first, [k for k in range(len(names)) if k not in first]):
        coupling.aim(
            [measured.positions(m) for m in motions], hold={names[k] for k in first} if group is not first else ()
        )
        for k in group:
            if names[k] not in fixed:
                motions[k] = _reach(motions[k], coupling.terms[names[k]], assist)
    return motions


def _reach(motion: Motion, terms: list, assist: bool = True) -> Motion:
    """One character's contact joints on their targets (reached over a window around them) and faces turned;
    unless it stays, a partner the arm cannot reach moves the root over (root assist; feet: _replant).
    Then each contact joint's way in and out is made one smooth reach (reach_path), the arm alone."""
    terms = [t for t in terms if t.weight > 0]
    if not terms:
        return motion
    tracks = [t for t in terms if isinstance(t, ContactTrack)]
    joints = [JointTarget(t.joint, t.start, t.end, t.position, t.weight, t.label) for t in tracks]
    faces = [t for t in terms if not isinstance(t, ContactTrack)]
    steps = assist and all(t.moves_root for t in tracks)
    out = cleanup(motion, ConstraintSet(joints=joints, functions=faces), feet=False, root_assist=steps)
    paths = []
    for t in tracks:
        frames, path = contact_path(out, t)
        paths.append(JointTarget(t.joint, frames[0] / out.fps, frames[-1] / out.fps, path, t.weight, t.label))
    out = cleanup(out, ConstraintSet(joints=paths), feet=False, root_assist=False)
    return replace(out, metadata=motion.metadata)
