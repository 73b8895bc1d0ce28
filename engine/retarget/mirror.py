"""Mirrored completion: map one side of the body, the other side follows.

The other side's bone is found by name first (the side marker swapped:
`.L`/`.R`, `_l`/`_r`, `Left`/`Right`, `L_`/`R_`, ...), else by place: the
bone nearest to the mirror image of the mapped bone's head across the
character's middle (bones of the same hierarchy depth preferred), within 5 %
of the body's height.
"""

from __future__ import annotations

import re

import numpy as np

from .automap import side_of
from .mapping import BoneMapping
from .target import TargetSkeleton
from .topology import body_frame

_END = r"(?=$|[._\-\d])"  # after a suffix marker: the end, a separator or a number
_START = r"(?<![A-Za-z])"  # before a prefix marker: the start or a separator
#: (left, right, before, after) side-marker spellings, tried in turn
_MARKERS: tuple[tuple[str, str, str, str], ...] = (
    (".L", ".R", "", _END), (".l", ".r", "", _END), ("_L", "_R", "", _END), ("_l", "_r", "", _END),
    ("-L", "-R", "", _END), ("-l", "-r", "", _END), ("L_", "R_", _START, ""), ("l_", "r_", _START, ""),
    (" L ", " R ", "", ""), ("Left", "Right", "", ""), ("left", "right", "", ""), ("LEFT", "RIGHT", "", ""),
    ("Lft", "Rgt", "", ""), ("lft", "rgt", "", ""),
)  # fmt: skip
#: a bone counts as the mirror image when its head is this close to it (fraction of body height)
MIRROR_TOLERANCE = 0.05


def other_side(joint: str) -> str | None:
    """'left_knee' -> 'right_knee' and back; None for joints in the middle."""
    for a, b in (("left_", "right_"), ("right_", "left_")):
        if joint.startswith(a):
            return b + joint[len(a) :]
    return None


def mirrored_names(name: str) -> list[str]:
    """Names the same bone of the other side could have (side marker swapped), most likely first."""
    side = side_of(name)
    if side is None:
        return []
    out = []
    for left, right, before, after in _MARKERS:
        old, new = (left, right) if side == "left" else (right, left)
        candidate = re.sub(before + re.escape(old) + after, lambda _m, new=new: new, name, count=1)
        if candidate != name and side_of(candidate) not in (side, None) and candidate not in out:
            out.append(candidate)
    return out


def mirror_bone(target: TargetSkeleton, mapping: BoneMapping, bone: str, used: set[str]) -> str | None:
    """The bone on the other side that mirrors `bone`: by name, else by place; None when none fits."""
    for name in mirrored_names(bone):
        if target.has(name) and name not in used:
            return name
    b = target.index(bone)
    body = body_frame(target, _toes(target, mapping))
    centre = target.heads[target.index(mapping.reference("pelvis"))] if "pelvis" in mapping.joints else None
    if centre is None:
        return None
    offset = np.dot(target.heads[b] - centre, body.left)
    image = target.heads[b] - 2.0 * offset * body.left
    best, best_cost = None, MIRROR_TOLERANCE * body.height
    for c in range(target.num_bones):
        if target.names[c] in used or c == b or np.sign(np.dot(target.heads[c] - centre, body.left)) == np.sign(offset):
            continue
        cost = np.linalg.norm(target.heads[c] - image) + 0.01 * body.height * abs(target.depth(c) - target.depth(b))
        if cost < best_cost:
            best, best_cost = target.names[c], cost
    return best


def complete_mirrored(target: TargetSkeleton, mapping: BoneMapping, *, only: str | None = None) -> list[str]:
    """Map each joint whose other side is mapped but itself is not (or was mirrored before), in place.

    `only`: the one joint just edited (its other side follows it). Returns the joints filled.
    """
    filled = []
    joints = [only] if only else [j for j in list(mapping.joints) if other_side(j)]
    for joint in joints:
        twin = other_side(joint)
        if twin is None or joint not in mapping.joints:
            continue
        if twin in mapping.joints and mapping.sources.get(twin) != "mirror":
            continue
        used = {b for j, b in mapping.joints.items() if j != twin}
        bone = mirror_bone(target, mapping, mapping.joints[joint], used)
        if bone is not None:
            mapping.joints[twin] = bone
            mapping.sources[twin] = "mirror"
            filled.append(twin)
    return filled


def _toes(target: TargetSkeleton, mapping: BoneMapping) -> list[tuple[int, int]]:
    pairs = []
    for side in ("left", "right"):
        a, t = mapping.joints.get(f"{side}_ankle"), mapping.joints.get(f"{side}_foot")
        if a and t and target.has(a) and target.has(t):
            pairs.append((target.index(a), target.index(t)))
    return pairs
