"""Automatic bone mapping: presets first, then a name-and-hierarchy guess.

The guess finds hands, feet and the head by name (with left/right taken from
markers such as `.L`, `_L`, `Left`, `left_`, `l_`, `_l`) and walks up the
hierarchy from them, so odd names in between (upper arm, thigh, spine) need
not be recognised. Whatever cannot be found is reported by joint name with
the fix: edit the mapping.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..errors import RetargetError
from .mapping import EDIT_HINT, ESSENTIAL_JOINTS, BoneMapping
from .presets import PRESETS, Preset
from .target import TargetSkeleton
from .topology import shape_mapping, spine_joints

_IGNORED = re.compile(
    r"twist|roll|helper|share|socket|pole|target|_end$|end$|nub|ik|mch|org|def|tweak|jiggle|corrective|bend", re.I
)
_FINGERS = re.compile(r"thumb|index|middle|ring|pinky|finger|f_|palm|carpal", re.I)


def normalise(name: str) -> str:
    """Lower-case name without a namespace (`mixamorig:`) or SMPL (`m_avg_`) prefix."""
    name = name.rsplit(":", 1)[-1]
    name = re.sub(r"^(?:[mf]_avg_|mixamorig\d*_)", "", name, flags=re.I)
    return name.lower()


class _Names:
    """Looks bones up by exact name, then by normalised name."""

    def __init__(self, target: TargetSkeleton):
        self.target = target
        self.by_norm: dict[str, str] = {}
        for n in target.names:
            self.by_norm.setdefault(normalise(n), n)

    def find(self, candidates: tuple[str, ...]) -> str | None:
        for c in candidates:
            if self.target.has(c):
                return c
        for c in candidates:
            hit = self.by_norm.get(normalise(c))
            if hit is not None:
                return hit
        return None


def detect_preset(target: TargetSkeleton) -> Preset | None:
    names = _Names(target)
    for preset in PRESETS:
        if all(names.find((r,)) for r in preset.requires):
            return preset
    return None


def apply_preset(preset: Preset, target: TargetSkeleton) -> BoneMapping:
    names = _Names(target)
    joints = {j: b for j, cands in preset.joints.items() if (b := names.find(cands))}
    refs = {j: b for j, cands in preset.references.items() if j in joints and (b := names.find(cands))}
    root = names.find(preset.root_bone) if preset.root_bone else None
    known = target.custom_properties
    props = {}
    for bone, values in preset.properties.items():
        if target.has(bone):
            values = _known(values, known, bone)
            if values:
                props[bone] = values
    readers = {j: b for j, cands in preset.readers.items() if j in joints and (b := names.find(cands))}
    ik = {}
    for limb, controls in preset.ik.items():
        if all(target.has(b) for b in [*controls.bones(), *controls.properties]):
            switch = {bone: _known(values, known, bone) for bone, values in controls.properties.items()}
            ik[limb] = replace(controls, properties={b: v for b, v in switch.items() if v})
    return BoneMapping(joints, refs, root, props, preset=preset.name, distribute=preset.distribute, readers=readers,
                       ik=ik, sources=dict.fromkeys(joints, "preset"))  # fmt: skip


def _known(values: dict[str, float], known: dict | None, bone: str) -> dict[str, float]:
    """The custom properties the rig's bone really has (all when the rig's properties are unknown)."""
    return {k: v for k, v in values.items() if known is None or k in known.get(bone, ())}


def auto_map(target: TargetSkeleton) -> BoneMapping:
    """The best mapping we can find; raises RetargetError naming essential joints left unmapped."""
    if target.num_bones == 0:
        raise RetargetError(f"armature {target.name!r} has no bones; pick an armature with a humanoid skeleton")
    preset = detect_preset(target)
    mapping = apply_preset(preset, target) if preset else fill_from_shape(guess_mapping(target), target)
    missing = [j for j in ESSENTIAL_JOINTS if j not in mapping.joints]
    if missing:
        raise RetargetError(
            f"armature {target.name!r} does not look humanoid: found no bone for {', '.join(missing)}; {EDIT_HINT}"
        )
    return mapping


def fill_from_shape(mapping: BoneMapping, target: TargetSkeleton) -> BoneMapping:
    """Joints the names did not find, taken from the skeleton's shape (topology.shape_mapping)."""
    used = set(mapping.joints.values())
    shape = shape_mapping(target)
    for joint, bone in shape.joints.items():
        if joint not in mapping.joints and bone not in used:
            mapping.joints[joint] = bone
            mapping.sources[joint] = "shape"
            used.add(bone)
    if not any(s == "name" for s in mapping.sources.values()):
        mapping.preset = "shape"
    return mapping


# -- name-similarity guess ----------------------------------------------------------------

_LEFT = re.compile(r"(?:^|[^a-z])(?:l|left|lft)(?:[^a-z]|$)|^left|left$", re.I)
_RIGHT = re.compile(r"(?:^|[^a-z])(?:r|right|rgt)(?:[^a-z]|$)|^right|right$", re.I)
_CAMEL_LEFT = re.compile(r"(?:^|[^A-Za-z]|[a-z])Left(?=[A-Z_.\d]|$)|^left(?=[A-Z])")
_CAMEL_RIGHT = re.compile(r"(?:^|[^A-Za-z]|[a-z])Right(?=[A-Z_.\d]|$)|^right(?=[A-Z])")


def side_of(name: str) -> str | None:
    """'left', 'right' or None from markers like .L _L -L Left left_ l_ _l L_ (any case)."""
    base = name.rsplit(":", 1)[-1]
    left = bool(_LEFT.search(base) or _CAMEL_LEFT.search(base))
    right = bool(_RIGHT.search(base) or _CAMEL_RIGHT.search(base))
    if left == right:
        return None
    return "left" if left else "right"


def _stem(name: str) -> str:
    """Name without side markers or namespace, lower case: 'mixamorig:LeftHand' -> 'hand'."""
    s = name.rsplit(":", 1)[-1]
    s = re.sub(r"(?:^|(?<=[a-z0-9]))(Left|Right)(?=[A-Z_.\d]|$)", "", s)
    s = re.sub(r"^(left|right)(?=[A-Z])", "", s)
    s = s.lower()
    s = re.sub(r"(?:^|[._\-\s])(l|r|left|right|lft|rgt)(?=[._\-\s]|$)", "", s)
    return s.strip("._- ")


_KEYWORDS = {
    "wrist": ("hand", "wrist"),
    "ankle": ("foot", "ankle"),
    "head": ("head",),
    "foot": ("toe", "ball"),
}


def _matches(name: str, words: tuple[str, ...]) -> bool:
    stem = _stem(name)
    if _IGNORED.search(stem) or _FINGERS.search(stem):
        return False
    return any(w in stem for w in words) and not (words == _KEYWORDS["ankle"] and re.search(r"toe|ball", stem))


def guess_mapping(target: TargetSkeleton) -> BoneMapping:
    """Find hands, feet and head by name; walk up the hierarchy for the rest."""
    n = target.num_bones
    sides = [side_of(nm) for nm in target.names]
    joints: dict[str, str] = {}

    def pick(words, side, exclude=()):
        cands = [b for b in range(n) if sides[b] == side and b not in exclude and _matches(target.names[b], words)]
        if not cands:
            return None
        return min(cands, key=lambda b: (target.depth(b), len(target.names[b])))  # outermost of a chain: shallowest

    def up(b):
        """Parent, skipping twist/helper/mechanism bones."""
        p = target.parents[b]
        while p >= 0 and (_IGNORED.search(_stem(target.names[p])) or _FINGERS.search(_stem(target.names[p]))):
            p = target.parents[p]
        return p

    for side in ("left", "right"):
        ankle = pick(_KEYWORDS["ankle"], side)
        if ankle is not None:
            joints[f"{side}_ankle"] = target.names[ankle]
            knee = up(ankle)
            hip = up(knee) if knee >= 0 else -1
            if knee >= 0 and hip >= 0 and sides[hip] == side:
                joints[f"{side}_knee"], joints[f"{side}_hip"] = target.names[knee], target.names[hip]
            toes = [
                c for c in range(n) if target.is_ancestor(ankle, c) and _matches(target.names[c], _KEYWORDS["foot"])
            ]
            if toes:
                joints[f"{side}_foot"] = target.names[min(toes, key=target.depth)]
        wrist = pick(_KEYWORDS["wrist"], side)
        if wrist is not None:
            joints[f"{side}_wrist"] = target.names[wrist]
            chain = []
            b = up(wrist)
            while b >= 0 and sides[b] == side and len(chain) < 3:
                chain.append(b)
                b = up(b)
            names = ("elbow", "shoulder", "collar")
            for j, b in zip(names, chain, strict=False):
                joints[f"{side}_{j}"] = target.names[b]

    hips = [target.index(joints[k]) for k in ("left_hip", "right_hip") if k in joints]
    if len(hips) == 2:
        pelvis = _common_ancestor(target, hips[0], hips[1])
        if pelvis is not None:
            joints["pelvis"] = target.names[pelvis]
    head = pick(_KEYWORDS["head"], None)
    if head is not None:
        joints["head"] = target.names[head]
        chest = None
        if all(k in joints for k in ("left_shoulder", "right_shoulder")):
            tops = [target.index(joints.get(f"{s}_collar", joints[f"{s}_shoulder"])) for s in ("left", "right")]
            chest = _common_ancestor(target, tops[0], tops[1])
        b, neck = up(head), []
        while b >= 0 and b != chest and len(neck) < 3 and sides[b] is None:
            neck.append(b)
            b = up(b)
        if neck and b == chest:
            joints["neck"] = target.names[neck[-1]]
        if chest is not None and "pelvis" in joints:
            spine, b = [], chest
            pelvis = target.index(joints["pelvis"])
            while b >= 0 and b != pelvis:
                spine.append(b)
                b = up(b)
            if b == pelvis and spine:
                joints.update(spine_joints([target.names[x] for x in reversed(spine)]))  # from the pelvis up
    return BoneMapping(joints, preset="guessed", sources=dict.fromkeys(joints, "name"))


def _common_ancestor(target: TargetSkeleton, a: int, b: int) -> int | None:
    chain = target.ancestors(a)
    others = set(target.ancestors(b))
    for p in chain:
        if p in others:
            return p
    return None
