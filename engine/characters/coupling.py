"""Interaction guidance: contacts, `apart` and `face` acting on every character involved, every step.

Contacts split the remaining gap between the two joints: each side is aimed
at its share of the way to the other (half each; all of it when the partner
is fixed), so both bodies adapt, and a partner beyond comfortable reach makes
the root walk over (the Guide's root-excess rule). A character that `stays`
reaches with the arm for a point within its reach and the partner walks
over to it; a character's own joint target on a contact joint sets the
meeting point. `face` aims a look-at term at the other character's pelvis.
`apart` pushes the roots of two bodies that come closer than min_distance
away from each other, smoothed in time so paths bend instead of jumping.
Used by lockstep sampling (model frames) and by clean-up (output frames)
alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kinematics.contact import contact_runs
from ..kinematics.filters import minimum_jerk
from ..kinematics.reach import WINDOW_S as REACH_WINDOW_S
from .bodies import SEGMENTS, body_distance, body_radius, limb_bones
from .interactions import Apart, Contact, Face, Interaction
from .terms import APPROACH_S, RELEASE_S, ContactTrack, FaceTrack, HoldTrack, contact_reach

PUSH_SPREAD = 0.4  # s: a push is held this long around the frames that need it, then smoothed


@dataclass
class ContactLink:
    """A contact's two joint terms (eased in before the contact and out after it: terms.ContactTrack), the
    contact's own frames, where the terms are aimed and the contact is measured, and where and how much a
    character's own joint targets pin its contact joint on those frames ((S, 4): position, weight)."""

    contact: Contact
    term_a: ContactTrack
    term_b: ContactTrack
    frames: np.ndarray
    pin_a: np.ndarray
    pin_b: np.ndarray

    @classmethod
    def of(cls, it: Contact, fps: float, num_frames: int, pins: dict[str, list]) -> ContactLink:
        ta = ContactTrack(it.a.joint, it.start, it.end, it.weight, f"{it.label} ({it.a})")
        tb = ContactTrack(it.b.joint, it.start, it.end, it.weight, f"{it.label} ({it.b})")
        ta.frames(fps, num_frames)  # sets each term's weights on this clock
        tb.frames(fps, num_frames)
        frames = ta.span_index
        pin_a, pin_b = (pinned(pins.get(r.character, ()), r.joint, frames, fps) for r in (it.a, it.b))
        return cls(it, ta, tb, frames, pin_a, pin_b)


def pinned(targets, joint: int, frames: np.ndarray, fps: float) -> np.ndarray:
    """(len(frames), 4): where a character's own joint targets (constraints.types.JointTarget) put `joint`
    on those frames and how much (1 on a target's frames, falling along minimum-jerk curves over
    kinematics.reach.WINDOW_S around them, as the target itself is reached; 0 where none is near)."""
    out = np.zeros((len(frames), 4))
    window = max(1, int(round(REACH_WINDOW_S * fps)))
    for t in (t for t in targets if t.joint == joint and t.weight > 0):
        a, b = round(t.start * fps), round(t.end * fps)
        dist = np.maximum(np.maximum(a - frames, frames - b), 0)
        w = minimum_jerk(1.0 - dist / (window + 1))
        take = w > out[:, 3]
        out[take, :3], out[take, 3] = t.position, w[take]
    return out


class Coupling:
    """The interactions of a cast on a clock of `num_frames` frames at `fps`, characters in `names` order.

    `fixed`: characters already generated (they do not move); `stays`: characters that stand where they are
    while a moving partner comes to them (the job's `stays`); `pins`: each character's own joint targets
    (a contact joint that one of them pins meets its partner there).
    """

    def __init__(self, interactions: list[Interaction], names: list[str], fps: float, num_frames: int,
                 fixed: set[str] | frozenset = frozenset(), stays: set[str] | frozenset = frozenset(),
                 pins: dict[str, list] | None = None) -> None:  # fmt: skip
        self.names, self.fps, self.num_frames = list(names), fps, num_frames
        self.index = {n: i for i, n in enumerate(self.names)}
        self.fixed = set(fixed)
        self.stays: set[str] = set()
        self.terms: dict[str, list] = {n: [] for n in self.names}
        self.contacts: list[ContactLink] = []
        self.faces: list[tuple[Face, FaceTrack, np.ndarray]] = []
        self.aparts = [it for it in interactions if isinstance(it, Apart)]
        for it in interactions:
            if isinstance(it, Contact):
                link = ContactLink.of(it, fps, num_frames, pins or {})
                self.contacts.append(link)
                self.terms[it.a.character].append(link.term_a)
                self.terms[it.b.character].append(link.term_b)
            elif isinstance(it, Face):
                term = FaceTrack(it.start, it.end, it.weight, it.label)
                self.faces.append((it, term, term.frames(fps, num_frames)))
                self.terms[it.a].append(term)
        self.skips = contact_skips([c.contact for c in self.contacts], fps, num_frames)
        self.stays = set(stays) - self.fixed
        self.holds: list[tuple[str, HoldTrack, np.ndarray]] = []
        for link in self.contacts:  # one who stays: arm only, and the pelvis held where it is as the arm comes in
            for term, name in ((link.term_a, link.contact.a.character), (link.term_b, link.contact.b.character)):
                if name in self.stays:
                    term.moves_root, term.shares = False, (1.0, 0.0, 0.0)
                    hold = HoldTrack(link.contact.start - APPROACH_S, link.contact.end + RELEASE_S,
                                     label=f"{link.contact.label} ({name} stays)")  # fmt: skip
                    self.holds.append((name, hold, hold.frames(fps, num_frames)))
                    self.terms[name].append(hold)

    def mobile(self, name: str) -> bool:
        return name not in self.fixed and name not in self.stays

    def share(self, name: str, partner: str) -> float:
        """How much of a shared root correction `name` takes: half; all of it next to a partner that is fixed
        or stays; none if it is fixed or stays itself."""
        if not self.mobile(name):
            return 0.0
        return 0.5 if self.mobile(partner) else 1.0

    def aim(self, worlds: list[np.ndarray], hold=()) -> None:
        """Re-aim the contact and face terms from the characters' current world positions (T, J, 3) each;
        the joints of characters in `hold` are taken as they are (their partners take the whole gap)."""
        for link in self.contacts:
            it, frames = link.contact, link.frames
            wa, wb = worlds[self.index[it.a.character]][frames], worlds[self.index[it.b.character]][frames]
            pa, pb = wa[:, it.a.joint], wb[:, it.b.joint]
            if it.a.character in hold:
                ta, tb = pa, contact_targets(pb, pa, it.distance, 1.0)
            elif it.b.character in hold:
                ta, tb = contact_targets(pa, pb, it.distance, 1.0), pb
            else:
                ta, tb = self.meeting(link, wa, wb)
            link.term_a.aim(ta)
            link.term_b.aim(tb)
        for it, term, frames in self.faces:
            term.aim(worlds[self.index[it.b]][frames, 0])
        for name, term, frames in self.holds:
            term.aim(worlds[self.index[name]][frames, 0])

    def meeting(self, link: ContactLink, wa: np.ndarray, wb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Targets (F, 3) of the contact's two joints from both bodies' positions (F, J, 3) on its frames.

        Two movers meet halfway; next to a fixed partner the other takes the whole gap; one who stays
        reaches for a meeting point within its contact reach, and a mover comes to it (two who stay reach
        for the midpoint with their arms). Where a character's own joint target pins its contact joint, the
        meeting moves there (eased in and out as the target is reached) and the partner takes the gap."""
        it = link.contact
        a, b = it.a.character, it.b.character
        pa, pb = wa[:, it.a.joint], wb[:, it.b.joint]
        if a in self.stays and self.mobile(b):
            ta, tb = anchored_targets(pa, pb, wa[:, 0], contact_reach(it.a.joint), it.distance)
        elif b in self.stays and self.mobile(a):
            tb, ta = anchored_targets(pb, pa, wb[:, 0], contact_reach(it.b.joint), it.distance)
        else:
            ta = contact_targets(pa, pb, it.distance, self.arm_share(a, b))
            tb = contact_targets(pb, pa, it.distance, self.arm_share(b, a))
        for pin, own, other in ((link.pin_a, ta, tb), (link.pin_b, tb, ta)):
            w = pin[:, 3:]
            on = w[:, 0] > 0
            own[on] += w[on] * (pin[on, :3] - own[on])
            other[on] = contact_targets(other[on], own[on], it.distance, 1.0)  # `distance` from it, same side
        return ta, tb

    def arm_share(self, name: str, partner: str) -> float:
        """How much of the gap between two contact joints `name`'s joint covers: none if it is fixed, all of
        it next to a fixed partner, else half (two who stay reach for the midpoint with their arms)."""
        if name in self.fixed:
            return 0.0
        return 1.0 if partner in self.fixed else 0.5

    def pushes(self, worlds: list[np.ndarray], margin: float = 0.0) -> list[np.ndarray]:
        """Per character, the (T, 2) world ground shift that keeps every `apart` pair at its distance (plus
        `margin` where they are closer than it)."""
        out = [np.zeros((len(w), 2)) for w in worlds]
        for ap in self.aparts:
            for i, k, dist, away in self.pair_distances(worlds, ap.min_distance, ap, only_below=True):
                a, b = self.names[i], self.names[k]
                short = np.isfinite(dist) & (dist < ap.min_distance)
                deficit = np.where(short, ap.min_distance + margin - dist, 0.0)
                if not deficit.any():
                    continue
                push = ap.weight * deficit[:, None] * steady_directions(away, deficit, worlds[i], worlds[k])
                out[i] += self.share(a, b) * push
                out[k] -= self.share(b, a) * push
        return [smooth_push(p, self.fps) for p in out]

    def pair_distances(
        self, worlds: list[np.ndarray], within: float, apart: Apart | None = None, only_below: bool = False
    ):
        """(i, k, distance (T,), away (T, 2)) for each pair of characters (i < k) that comes within `within`
        (frames farther read inf), contact limbs left out; pairs that never come that close are skipped
        after one cheap check of their bounding cylinders; `only_below`: see bodies.body_distance."""
        radii = [body_radius(w) for w in worlds]
        reach = np.array([r.max() for r in radii])
        pelvis = np.stack([w[:, 0, :2] for w in worlds])  # (N, T, 2)
        for i, a in enumerate(self.names):
            gaps = np.linalg.norm(pelvis[i + 1 :] - pelvis[i], axis=-1).min(
                axis=1
            )  # closest approach of each later one
            for k in np.flatnonzero(gaps - reach[i] - reach[i + 1 :] < within) + i + 1:
                b = self.names[k]
                if apart is not None and not apart.applies(a, b):
                    continue
                skip_a, skip_b = self.skips.get((a, b), (None, None))
                dist, away = body_distance(
                    worlds[i], worlds[k], skip_a, skip_b, within, (radii[i], radii[k]), only_below
                )
                yield i, int(k), dist, away


def contact_targets(mine: np.ndarray, theirs: np.ndarray, distance: float, share: float) -> np.ndarray:
    """Where a contact joint should be (F, 3): `share` of the way to the partner's joint, `distance` short of it.

    With the partner aimed by the same rule at share 1 - share, the two targets
    are exactly `distance` apart along the line between the joints.
    """
    gap = mine - theirs
    norm = np.linalg.norm(gap, axis=-1, keepdims=True)
    u = np.where(norm > 1e-6, gap / np.maximum(norm, 1e-9), np.array([1.0, 0.0, 0.0]))
    meet = mine + share * (theirs - mine)
    return meet + share * distance * u


def anchored_targets(mine: np.ndarray, theirs: np.ndarray, pelvis: np.ndarray, reach: float,
                     distance: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(own, partner's) targets (F, 3) for one who stays: the two joints' midpoint, pulled over the ground to
    within `reach` of the pelvis (the arm reaches it without a step), the joints `distance` apart across it."""
    meet = 0.5 * (mine + theirs)
    out = meet[:, :2] - pelvis[:, :2]
    far = np.linalg.norm(out, axis=-1, keepdims=True)
    meet[:, :2] = pelvis[:, :2] + out * np.minimum(1.0, reach / np.maximum(far, 1e-9))
    gap = mine - theirs
    norm = np.linalg.norm(gap, axis=-1, keepdims=True)
    u = np.where(norm > 1e-6, gap / np.maximum(norm, 1e-9), np.array([1.0, 0.0, 0.0]))
    return meet + 0.5 * distance * u, meet - 0.5 * distance * u


def contact_skips(contacts: list[Contact], fps: float, num_frames: int) -> dict[tuple[str, str], tuple]:
    """(a, b) -> (skip_a, skip_b): (T, 21) bones of each side's contact limb, on the contact's frames and while
    the limb comes in (APPROACH_S) and goes back (RELEASE_S)."""
    out: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for c in contacts:
        lo = max(0, int(round((c.start - APPROACH_S) * fps)))
        hi = min(num_frames, int(round((c.end + RELEASE_S) * fps)) + 1)
        for (x, jx), (y, jy) in (((c.a.character, c.a.joint), (c.b.character, c.b.joint)),
                                 ((c.b.character, c.b.joint), (c.a.character, c.a.joint))):  # fmt: skip
            sx, sy = out.setdefault((x, y), (np.zeros((num_frames, len(SEGMENTS)), bool),
                                             np.zeros((num_frames, len(SEGMENTS)), bool)))  # fmt: skip
            sx[lo:hi, limb_bones(jx)] = True
            sy[lo:hi, limb_bones(jy)] = True
    return out


def steady_directions(away: np.ndarray, deficit: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """One push direction per run of too-close frames (the run's deficit-weighted mean), so two bodies walking
    into each other sidestep one way instead of being pushed back and forth; where the directions cancel
    (passing straight through), sideways to the line between the pelvises."""
    out = np.zeros_like(away)
    for a, b in contact_runs(deficit > 0):
        mean = np.sum(away[a:b] * deficit[a:b, None], axis=0)
        if np.linalg.norm(mean) < 0.5 * deficit[a:b].sum():
            gap = pa[a, 0, :2] - pb[a, 0, :2]
            mean = np.array([-gap[1], gap[0]])
        out[a:b] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return out


def smooth_push(push: np.ndarray, fps: float) -> np.ndarray:
    """Hold each push over PUSH_SPREAD around its frames (largest wins), then smooth: a gentle detour."""
    if not push.any():
        return push
    r = max(1, int(round(PUSH_SPREAD * fps / 2)))
    mag = np.linalg.norm(push, axis=-1)
    padded = np.pad(mag, r)
    held_idx = np.stack([np.arange(len(mag)) + k for k in range(2 * r + 1)], 0)
    pick = held_idx[np.argmax(padded[held_idx], axis=0), np.arange(len(mag))] - r
    pick = np.clip(pick, 0, len(mag) - 1)
    held = push[pick]
    kernel = np.exp(-0.5 * (np.arange(-r, r + 1) / max(r / 2, 1.0)) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(held, ((r, r), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, a], kernel, mode="valid") for a in range(2)], -1)
