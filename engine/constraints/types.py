"""Typed constraints: what the animator asked for, in seconds and world metres.

Parsing (parse.py) turns request dicts into these (each keeps its job-file
form in `source`, file references resolved, so a request round-trips); everything downstream
(observations, guidance, clean-up, reports) reads only these types, so the
job-file format can change without touching the sampler.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def frame_at(seconds: float, fps: float) -> int:
    """Nearest frame index of a time."""
    return int(round(seconds * fps))


@dataclass
class KeyframePose:
    """A full-body pose (local rotations, optional root position) at one time."""

    time: float
    rotations: np.ndarray  # (J, 4) local quaternions, canonical order
    root: np.ndarray | None = None  # (3,) world root position; None: anywhere on the floor
    weight: float = 1.0
    label: str = "keyframe"
    any_heading: bool = False  # True: the pose faces wherever the body faces then (the standing start and end)
    source: dict = field(default_factory=dict, repr=False, compare=False)  # the job-file form

    @property
    def places(self) -> bool:
        """True when it says where the body is or which way it faces (False for the standing start and end)."""
        return self.root is not None or not self.any_heading


@dataclass
class JointTarget:
    """A joint's world position at a time or over [start, end] (seconds, inclusive)."""

    joint: int
    start: float
    end: float
    position: np.ndarray  # (3,)
    weight: float = 1.0
    label: str = "joint"
    source: dict = field(default_factory=dict, repr=False, compare=False)  # the job-file form


@dataclass
class RootPath:
    """Root (pelvis) ground positions at times; `dense` when every frame in between is given.

    `heights` holds the pelvis height per point (NaN where free); `facing`
    holds (time, yaw radians) pairs, yaw 0 = facing -Y, counter-clockwise.
    """

    times: np.ndarray  # (K,)
    points: np.ndarray  # (K, 2)
    heights: np.ndarray  # (K,) NaN where not given
    facing: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    dense: bool = False
    weight: float = 1.0
    label: str = "root_path"
    source: dict = field(default_factory=dict, repr=False, compare=False)  # the job-file form
    places: bool = True  # False: a hold where the body starts (standing.in_place), which says nothing of where

    def at(self, seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points (N,2) and heights (N,) at times inside the path (linear in time)."""
        xy = np.stack([np.interp(seconds, self.times, self.points[:, i]) for i in range(2)], axis=-1)
        ok = ~np.isnan(self.heights)
        z = np.interp(seconds, self.times[ok], self.heights[ok]) if ok.any() else np.full(len(xy), np.nan)
        return xy, z


@dataclass
class FootPlant:
    """A foot (ankle and ball) stays planted on the floor over [start, end]."""

    side: str  # "left" | "right"
    start: float
    end: float
    position: np.ndarray | None = None  # (2,) ground xy of the ankle; None: wherever it lands
    weight: float = 1.0
    label: str = "foot_plant"
    source: dict = field(default_factory=dict, repr=False, compare=False)  # the job-file form


@dataclass
class ConstraintSet:
    """All constraints of one generation, plus user error functions (programmable)."""

    keyframes: list[KeyframePose] = field(default_factory=list)
    joints: list[JointTarget] = field(default_factory=list)
    paths: list[RootPath] = field(default_factory=list)
    plants: list[FootPlant] = field(default_factory=list)
    functions: list = field(default_factory=list)  # programmable.ErrorTerm instances

    def __bool__(self) -> bool:
        return bool(self.keyframes or self.joints or self.paths or self.plants or self.functions)

    def all(self) -> list:
        return [*self.keyframes, *self.joints, *self.paths, *self.plants, *self.functions]

    @classmethod
    def of(cls, items) -> ConstraintSet:
        """Typed constraints (any order) sorted into their kinds."""
        out = cls()
        kinds = {KeyframePose: out.keyframes, JointTarget: out.joints, RootPath: out.paths, FootPlant: out.plants}
        for item in items:
            kinds.get(type(item), out.functions).append(item)
        return out
