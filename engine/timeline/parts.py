"""Body parts for timeline tracks: inference from the text and feature-column masks.

A track that names no body parts gets them from a keyword table, so
"waves the right hand" only claims the right arm and can run on top of a
walk. The table is data (documented in docs/timeline.md); the first-match
order does not matter because every matching row adds its parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .. import features as feat
from ..skeleton import BODY_PART_NAMES, BODY_PARTS, JOINT_NAMES, ROOT_BODY_PART

ARMS = ("left_arm", "right_arm")

#: (word stems, body parts): a word matches a stem when it starts with it.
#: Arm rows use the placeholder "arms"; the side comes from "left"/"right".
KEYWORDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("walk", "run", "jog", "sprint", "march", "stroll", "strid", "step", "jump", "hop", "skip",
      "leap", "limp", "sneak", "tiptoe", "crawl", "climb", "stair"), ("legs", "torso")),
    (("sit", "squat", "kneel", "crouch", "lung", "stand up", "get up", "lie down"), ("legs", "torso")),
    (("kick", "leg", "foot", "feet", "knee", "stomp"), ("legs",)),
    (("bow",), ("torso", "head")),
    (("bend", "lean", "twist", "stretch", "waist", "hip"), ("torso",)),
    (("nod", "head", "look", "glanc", "gaze"), ("head",)),
    (("wav", "hand", "arm", "clap", "punch", "throw", "point", "reach", "grab", "pick", "lift", "rais",
      "salut", "scratch", "drink", "eat", "phone", "shrug", "fist", "box", "catch", "push", "pull",
      "hold", "carry", "swing", "elbow", "wrist", "finger"), ("arms",)),
    (("danc", "fall", "roll", "cartwheel", "fight", "spin", "stagger", "exercis", "celebrat"),
     BODY_PART_NAMES),
)  # fmt: skip

_WORD = re.compile(r"[a-z]+")
_SIDE_NOUN = re.compile(r"\b(left|right)\s+(hand|arm|shoulder|elbow|wrist|fist|palm|fingers?)\b")


@dataclass(frozen=True)
class PartInference:
    """Body parts for a text and why: `matched` lists the keywords that decided it."""

    parts: tuple[str, ...]
    matched: tuple[str, ...]

    @property
    def is_default(self) -> bool:
        return not self.matched

    def describe(self) -> str:
        """One line for the UI, e.g. "right_arm (from 'wav', 'hand', 'right')"."""
        why = ", ".join(repr(m) for m in self.matched) if self.matched else "no keyword: whole body"
        return f"{', '.join(self.parts)} ({'from ' if self.matched else ''}{why})"


def _arm_sides(text: str, words: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which arms an arm keyword means: 'right hand' -> right; a lone 'left'/'right' -> that side."""
    named = {m.group(1) for m in _SIDE_NOUN.finditer(text)}
    if not named:
        named = {w for w in words if w in ("left", "right")}
    if len(named) == 1:
        side = named.pop()
        return (f"{side}_arm",), (side,)
    return ARMS, ()


def infer_body_parts(text: str) -> PartInference:
    """Body parts a prompt is about; the whole body when no keyword matches."""
    low = " ".join(_WORD.findall(text.lower()))
    words = low.split()
    parts: set[str] = set()
    matched: list[str] = []
    for stems, row_parts in KEYWORDS:
        hits = [s for s in stems if (" " in s and s in low) or any(w.startswith(s) for w in words)]
        if not hits:
            continue
        matched += hits
        if row_parts == ("arms",):
            sides, side_words = _arm_sides(low, words)
            parts.update(sides)
            matched += side_words
        else:
            parts.update(row_parts)
    if not parts:
        return PartInference(BODY_PART_NAMES, ())
    ordered = tuple(p for p in BODY_PART_NAMES if p in parts)
    return PartInference(ordered, tuple(dict.fromkeys(matched)))


def track_body_parts(track) -> tuple[tuple[str, ...], bool]:
    """(parts, inferred) for a request Track: its own list, or the inference from its text."""
    if track.body_parts:
        return tuple(p for p in BODY_PART_NAMES if p in track.body_parts), False
    return infer_body_parts(track.text).parts, True


def _part_columns() -> dict[str, np.ndarray]:
    """Feature columns owned by each body part: its joints' 6D rotations and positions.

    The root channels [0:4] (yaw rate, velocity, height) and the foot contacts
    go with ROOT_BODY_PART (legs), which also owns the pelvis rotation.
    """
    cols: dict[str, np.ndarray] = {}
    for part, names in BODY_PARTS.items():
        mask = np.zeros(feat.FEATURE_DIM, dtype=bool)
        for name in names:
            j = JOINT_NAMES.index(name)
            mask[feat.ROT_SLICE.start + 6 * j : feat.ROT_SLICE.start + 6 * j + 6] = True
            if j > 0:
                mask[feat.POS_SLICE.start + 3 * (j - 1) : feat.POS_SLICE.start + 3 * j] = True
        if part == ROOT_BODY_PART:
            mask[feat.ROOT_SLICE] = True
            mask[feat.CONTACT_SLICE] = True
        cols[part] = mask
    return cols


PART_COLUMNS: dict[str, np.ndarray] = _part_columns()


def columns_mask(parts) -> np.ndarray:
    """(FEATURE_DIM,) float32 0/1 mask of the feature columns of the given body parts."""
    mask = np.zeros(feat.FEATURE_DIM, dtype=bool)
    for p in parts:
        mask |= PART_COLUMNS[p]
    return mask.astype(np.float32)


def _check_columns() -> None:
    total = sum(m.astype(int) for m in PART_COLUMNS.values())
    assert (total == 1).all(), "every feature column belongs to exactly one body part"


_check_columns()
