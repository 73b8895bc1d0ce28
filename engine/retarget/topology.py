"""Bone mapping from the skeleton's shape when its names say nothing (bones named b01, b02, ...).

A standing humanoid's rest pose gives it away: the two lowest bone chains
that split at hip height are the legs, the highest point is the top of the
head, the pelvis is where legs and head meet, and the two chains that
branch off the spine and reach farthest sideways are the arms. In a limb the
two longest adjacent segments are the upper and lower arm (thigh and shin);
the toes point forward, which tells left from right. Nothing here reads a
bone's name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import JOINT_NAMES, standing_rest_positions
from .mapping import BoneMapping
from .target import TargetSkeleton

_STAND = standing_rest_positions()
#: canonical head joint height over hip height: which bone of the neck chain is the head
HEAD_OVER_HIP = float(_STAND[JOINT_NAMES.index("head"), 2] / _STAND[JOINT_NAMES.index("left_hip"), 2])
#: the other leg splits from the first at least this high (fraction of the body's height)
LEG_SPLIT_HEIGHT = 0.3
#: how many of the lowest bones are tried as the end of a leg
FOOT_CANDIDATES = 8


@dataclass(frozen=True)
class Body:
    """The rig's rest pose as a body: up, forward and left (armature space), floor and height."""

    up: np.ndarray
    forward: np.ndarray
    left: np.ndarray
    floor: float
    height: float

    def side(self, target: TargetSkeleton, bone: int, centre: np.ndarray) -> float:
        """How far the bone's head is to the character's left of `centre` (negative: right)."""
        return float(np.dot(target.heads[bone] - centre, self.left))


def body_frame(target: TargetSkeleton, toes: list[tuple[int, int]] = ()) -> Body:
    """Up from the object, forward from (ankle, toe) bone pairs when given, else Blender's -Y."""
    up = target.up_axis()
    points = np.concatenate([target.heads, target.tails]) @ up
    forward = np.zeros(3)
    for ankle, toe in toes:
        forward += _flat(target.heads[toe] - target.heads[ankle], up)
    if np.linalg.norm(forward) < 1e-9:
        forward = _flat(np.array([0.0, -1.0, 0.0]), up)
    if np.linalg.norm(forward) < 1e-9:  # armature Y is up: its -Z faces front (rare)
        forward = _flat(np.array([0.0, 0.0, -1.0]), up)
    forward = forward / np.linalg.norm(forward)
    return Body(up, forward, np.cross(up, forward), float(points.min()), float(np.ptp(points)))


def spine_joints(spine: list[str]) -> dict[str, str]:
    """spine1..3 from the bones between pelvis (exclusive) and chest (inclusive), from the pelvis up."""
    out = {}
    if spine:
        out["spine3"] = spine[-1]
    if len(spine) >= 2:
        out["spine1"] = spine[0]
    if len(spine) >= 3:
        out["spine2"] = spine[len(spine) // 2]
    return out


def shape_mapping(target: TargetSkeleton) -> BoneMapping:
    """The mapping the skeleton's shape suggests; joints it cannot place are left out (never raises)."""
    if target.num_bones < 10:
        return BoneMapping({}, preset="shape")
    shape = _Shape(target)
    try:
        joints = shape.map()
    except _NotHumanoid:
        joints = {}
    return BoneMapping(joints, preset="shape", sources=dict.fromkeys(joints, "shape"))


class _NotHumanoid(Exception):
    pass


class _Shape:
    def __init__(self, target: TargetSkeleton):
        self.t = target
        self.up = target.up_axis()
        self.h = target.heads @ self.up
        self.kids = [target.children(b) for b in range(target.num_bones)]
        self.below: list[list[int]] = [[] for _ in range(target.num_bones)]  # every bone under b, b included
        for b in reversed(target.order):
            self.below[b] = [b, *(x for c in self.kids[b] for x in self.below[c])]
        self.floor = float(self.h.min())
        self.span = float(self.h.max() - self.floor)

    def lca(self, a: int, b: int) -> int:
        up_a = [a, *self.t.ancestors(a)]
        up_b = {b, *self.t.ancestors(b)}
        for x in up_a:
            if x in up_b:
                return x
        raise _NotHumanoid

    def path(self, top: int, bottom: int) -> list[int]:
        """Bones from `top` (exclusive) down to `bottom` (inclusive)."""
        chain = [bottom]
        while chain[-1] != top:
            p = self.t.parents[chain[-1]]
            if p < 0:
                raise _NotHumanoid
            chain.append(p)
        return chain[-2::-1]

    def map(self) -> dict[str, str]:
        t, h = self.t, self.h
        if self.span <= 0:
            raise _NotHumanoid
        top = int(np.argmax(h))
        above_top = {top, *t.ancestors(top)}  # a root bone at the floor is no foot
        limbs = [b for b in range(t.num_bones) if b not in above_top]
        lowest = sorted(limbs, key=lambda b: h[b])
        for foot_a in lowest[:FOOT_CANDIDATES]:  # the lowest bones that make two legs (past floor helpers)
            # the other foot: low, and apart from this one above hip height
            others = [b for b in lowest if h[self.lca(foot_a, b)] - self.floor > LEG_SPLIT_HEIGHT * self.span]
            for foot_b in others[:FOOT_CANDIDATES]:
                try:
                    return self._map_from(foot_a, foot_b, top)
                except _NotHumanoid:
                    continue
        raise _NotHumanoid

    def _map_from(self, foot_a: int, foot_b: int, top: int) -> dict[str, str]:
        """The mapping when `foot_a` and `foot_b` are the lowest bones of the legs."""
        t, h = self.t, self.h
        split = self.lca(foot_a, foot_b)
        pelvis = self.lca(split, top)
        paths = [self.path(split, f) for f in (foot_a, foot_b)]
        legs = [self._limb(p) for p in paths]
        arms = self._arms(pelvis, top, {x for p in paths for x in self.below[p[0]]})
        toes = [(leg[2], leg[3]) for leg in legs if len(leg) > 3]
        body = body_frame(t, toes)
        centre = t.heads[pelvis]
        legs.sort(key=lambda leg: -body.side(t, leg[0], centre))  # left first
        arms.sort(key=lambda arm: -body.side(t, arm[-3], centre))
        if body.side(t, legs[0][0], centre) <= 0 or body.side(t, arms[0][-3], centre) <= 0:
            raise _NotHumanoid  # both limbs on one side
        names = t.names
        joints = {"pelvis": names[pelvis]}
        for side, leg in zip(("left", "right"), legs, strict=True):
            for j, b in zip(("hip", "knee", "ankle", "foot"), leg, strict=False):
                joints[f"{side}_{j}"] = names[b]
        for side, arm in zip(("left", "right"), arms, strict=True):
            for j, b in zip(("wrist", "elbow", "shoulder", "collar"), reversed(arm), strict=False):
                joints[f"{side}_{j}"] = names[b]
        chest = self.lca(arms[0][0], arms[1][0])
        if chest == pelvis or pelvis not in t.ancestors(chest):
            raise _NotHumanoid
        joints.update(spine_joints([names[b] for b in self.path(pelvis, chest)]))
        neck = self.path(chest, top)
        hip_height = h[legs[0][0]] - self.floor
        head = min(neck, key=lambda b: abs(h[b] - self.floor - HEAD_OVER_HIP * hip_height))
        joints["head"] = names[head]
        if neck.index(head) > 0:
            joints["neck"] = names[neck[0]]
        return joints

    def _limb(self, path: list[int]) -> list[int]:
        """From a chain root to its end: the bones from the upper limb on (the two longest adjacent
        segments are upper and lower limb), at most four (hip, knee, ankle, toes)."""
        heads = self.t.heads
        if len(path) < 3:
            raise _NotHumanoid
        seg = np.linalg.norm(np.diff(heads[path], axis=0), axis=-1)  # seg[i]: path[i] -> path[i+1]
        i = int(np.argmax(seg[:-1] + seg[1:]))
        return path[i : i + 4]

    def _arms(self, pelvis: int, top: int, legs: set[int]) -> list[list[int]]:
        """The two chains off the spine reaching farthest sideways, each from its root to the wrist."""
        t = self.t
        spine = [pelvis, *self.path(pelvis, top)]
        on_spine = set(spine)
        centre_line = t.heads[spine]
        roots = []
        for x in spine:
            for c in self.kids[x]:
                if c in on_spine or c in legs:
                    continue
                far = max(self.below[c], key=lambda b: self._off_spine(b, centre_line))
                roots.append((self._off_spine(far, centre_line), c, far))
        roots.sort(reverse=True)
        if len(roots) < 2:
            raise _NotHumanoid
        arms = []
        for _, root, far in roots[:2]:
            path = [root, *self.path(root, far)]
            heads = t.heads[path]
            seg = np.linalg.norm(np.diff(heads, axis=0), axis=-1)
            if len(seg) < 2:
                raise _NotHumanoid
            i = int(np.argmax(seg[:-1] + seg[1:]))  # upper arm and forearm
            arms.append(path[max(0, i - 1) : i + 3])  # (collar,) shoulder, elbow, wrist
        return arms

    def _off_spine(self, b: int, centre_line: np.ndarray) -> float:
        d = self.t.heads[b] - centre_line
        d = d - np.outer(d @ self.up, self.up)
        return float(np.linalg.norm(d, axis=-1).min())


def _flat(v: np.ndarray, up: np.ndarray) -> np.ndarray:
    return v - np.dot(v, up) * up
