"""Which target bone follows which canonical joint, and the checks that make it safe.

A mapping is data (JSON on the armature, editable in the panel). `joints`
names the bone that receives the joint's rotation keys. Control rigs whose
animator-facing controls do not sit where the joint is (Rigify's spine
controls pivot at the next joint) name a `references` bone that marks the
joint's position and rest direction. `root_bone` receives the root location
(and the pelvis orientation when it is not the pelvis bone itself, e.g.
Rigify's `torso`). `properties` are pose-bone custom properties keyed at a
constant value with the motion (e.g. Rigify's IK_FK = 1.0, FK). `distribute`
lets unmapped torso bones between mapped ones share the bend. `readers`
name, per joint, a bone that always shows the joint's pose, whichever
controls drive it (Rigify's ORG bones follow FK and IK alike): poses are read
back from them (engine.retarget.inverse); the keyed bone otherwise.
`ik` names, per limb, the rig's IK controls (foot/hand control, pole target,
bones that follow the toe) and the switch values that turn the limb to IK;
`ik_parts` says which limbs get keys on those controls instead of FK
(engine.retarget.ik): the legs by default, the arms on request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..errors import RetargetError
from ..skeleton import JOINT_NAMES
from .target import TargetSkeleton

#: joints a rig must have for a humanoid motion to make sense on it
ESSENTIAL_JOINTS: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "head",
)  # fmt: skip

#: limb chains whose bones must descend from each other (catches swapped or misordered mappings)
LIMB_CHAINS: tuple[tuple[str, ...], ...] = tuple(
    tuple(f"{side}_{j}" for j in chain)
    for side in ("left", "right")
    for chain in (("hip", "knee", "ankle"), ("shoulder", "elbow", "wrist"))
)

#: limbs that can be keyed with IK controls: (upper, middle, end) joints
IK_LIMBS: dict[str, tuple[str, str, str]] = {
    f"{side}_{limb}": tuple(f"{side}_{j}" for j in chain)
    for side in ("left", "right")
    for limb, chain in (("leg", ("hip", "knee", "ankle")), ("arm", ("shoulder", "elbow", "wrist")))
}
#: what the panel and `--ik` switch: body parts whose limbs are keyed with IK controls
IK_PARTS: dict[str, tuple[str, str]] = {"legs": ("left_leg", "right_leg"), "arms": ("left_arm", "right_arm")}
#: how a joint's bone was found, in the words the mapping editor shows
SOURCES: dict[str, str] = {
    "preset": "known rig", "name": "bone name", "shape": "skeleton shape", "mirror": "mirrored",
    "picked": "picked", "file": "mapping file",
}  # fmt: skip
#: IK for the legs (planted feet stay put when edited), FK for the arms (arcs are easier to edit)
DEFAULT_IK_PARTS: tuple[str, ...] = ("legs",)


def parse_ik_parts(text: str) -> tuple[str, ...]:
    """'legs', 'arms', 'legs,arms' or 'none' -> the parts keyed with IK; RetargetError naming the choices."""
    words = [w.strip().lower() for w in str(text).split(",") if w.strip()]
    if words == ["none"]:
        return ()
    bad = [w for w in words if w not in IK_PARTS]
    if bad or not words:
        raise RetargetError(f"IK parts must be legs, arms, legs,arms or none, got {text!r}")
    return tuple(dict.fromkeys(words))


EDIT_HINT = "edit the bone mapping in the Motion Composer sidebar (it is stored on the armature)"


@dataclass
class IkControls:
    """One limb's IK controls: the bones that get keys when the limb is keyed with IK."""

    control: str  # follows the limb's end joint (Rigify: foot_ik.L, hand_ik.R)
    pole: str | None = None  # put in the limb's bend plane, in front of the knee / behind the elbow
    follow: dict[str, str] = field(default_factory=dict)  # joint -> IK-side bone that turns with it (toe_ik.L)
    properties: dict[str, dict[str, float]] = field(default_factory=dict)  # keyed over the FK values (IK_FK 0)
    rest: tuple[str, ...] = ()  # controls keyed at rest so the IK sees the rest relation (Rigify's foot roll)

    def bones(self) -> list[str]:
        return [self.control, *([self.pole] if self.pole else []), *self.follow.values(), *self.rest]

    def to_dict(self) -> dict:
        return {"control": self.control, "pole": self.pole, "follow": dict(self.follow),
                "properties": {b: dict(p) for b, p in self.properties.items()}, "rest": list(self.rest)}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> IkControls:
        if not isinstance(data, dict) or not data.get("control"):
            raise RetargetError(f"an IK entry of the bone mapping needs a 'control' bone; {EDIT_HINT}")
        return cls(
            control=str(data["control"]),
            pole=data.get("pole") or None,
            follow={str(k): str(v) for k, v in (data.get("follow") or {}).items() if v},
            properties={
                str(b): {str(k): float(v) for k, v in p.items()} for b, p in (data.get("properties") or {}).items()
            },
            rest=tuple(str(b) for b in data.get("rest") or ()),
        )


@dataclass
class BoneMapping:
    """Canonical joint -> target bone, plus the extras control rigs need."""

    joints: dict[str, str]
    references: dict[str, str] = field(default_factory=dict)
    root_bone: str | None = None
    properties: dict[str, dict[str, float]] = field(default_factory=dict)
    preset: str = "custom"
    distribute: bool = True  # extra torso bones between mapped ones share the bend (off for control rigs)
    readers: dict[str, str] = field(default_factory=dict)  # joint -> bone whose pose is read back (FK or IK)
    ik: dict[str, IkControls] = field(default_factory=dict)  # limb (IK_LIMBS) -> its IK controls
    ik_parts: tuple[str, ...] = DEFAULT_IK_PARTS  # body parts (IK_PARTS) keyed with IK where controls exist
    sources: dict[str, str] = field(default_factory=dict)  # joint -> how its bone was found (SOURCES)

    @property
    def root(self) -> str:
        """The bone that receives root location keys."""
        return self.root_bone or self.joints["pelvis"]

    def reference(self, joint: str) -> str:
        """The bone whose head marks `joint` (the keyed bone unless a reference is given)."""
        return self.references.get(joint, self.joints[joint])

    def reader(self, joint: str) -> str:
        """The bone whose posed orientation shows `joint` (for reading poses back; the keyed bone by default)."""
        return self.readers.get(joint, self.joints[joint])

    def ik_limbs(self) -> dict[str, IkControls]:
        """The limbs keyed with IK controls: in `ik_parts` and with controls mapped."""
        return {limb: self.ik[limb] for part in self.ik_parts for limb in IK_PARTS.get(part, ()) if limb in self.ik}

    def keyed_bones(self) -> list[str]:
        bones = list(self.joints.values())
        if self.root not in bones:
            bones.append(self.root)
        return bones

    # -- storage ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "version": 1,
            "preset": self.preset,
            "joints": dict(self.joints),
            "references": dict(self.references),
            "root_bone": self.root_bone,
            "properties": {b: dict(p) for b, p in self.properties.items()},
            "distribute": self.distribute,
            "readers": dict(self.readers),
            "ik": {limb: c.to_dict() for limb, c in self.ik.items()},
            "ik_parts": list(self.ik_parts),
            "sources": dict(self.sources),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> BoneMapping:
        if not isinstance(data, dict) or not isinstance(data.get("joints"), dict):
            raise RetargetError(f"a bone mapping must be an object with a 'joints' table; {EDIT_HINT}")
        joints = {str(k): str(v) for k, v in data["joints"].items() if v}
        return cls(
            joints=joints,
            references={str(k): str(v) for k, v in (data.get("references") or {}).items() if v},
            root_bone=data.get("root_bone") or None,
            properties={
                str(b): {str(k): float(v) for k, v in p.items()} for b, p in (data.get("properties") or {}).items()
            },
            preset=str(data.get("preset", "custom")),
            distribute=bool(data.get("distribute", True)),
            readers={str(k): str(v) for k, v in (data.get("readers") or {}).items() if v},
            ik={str(k): IkControls.from_dict(v) for k, v in (data.get("ik") or {}).items()},
            ik_parts=tuple(str(p) for p in data.get("ik_parts", DEFAULT_IK_PARTS)),
            sources={str(k): str(v) for k, v in (data.get("sources") or {}).items() if k in joints},
        )

    @classmethod
    def from_json(cls, text: str) -> BoneMapping:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise RetargetError(f"the stored bone mapping is not valid JSON ({e.msg}); {EDIT_HINT}") from None
        return cls.from_dict(data)

    # -- checks -------------------------------------------------------------------------
    def validate(self, target: TargetSkeleton) -> None:
        """Raise RetargetError (one line, naming the bones) unless the mapping fits `target`."""
        if target.num_bones == 0:
            raise RetargetError(f"armature {target.name!r} has no bones; pick an armature with a humanoid skeleton")
        unknown = [j for j in self.joints if j not in JOINT_NAMES]
        if unknown:
            raise RetargetError(
                f"bone mapping names unknown joints {', '.join(map(repr, unknown))} "
                f"(use the canonical names: {', '.join(JOINT_NAMES)}); {EDIT_HINT}"
            )
        missing = [f"{b!r} (for {j})" for j, b in self.joints.items() if not target.has(b)]
        missing += [f"{b!r} (reference for {j})" for j, b in self.references.items() if not target.has(b)]
        missing += [f"{b!r} (pose reader for {j})" for j, b in self.readers.items() if not target.has(b)]
        if self.root_bone and not target.has(self.root_bone):
            missing.append(f"{self.root_bone!r} (root)")
        missing += [f"{b!r} (custom properties)" for b in self.properties if not target.has(b)]
        for limb, controls in self.ik.items():
            missing += [
                f"{b!r} (IK control of the {limb.replace('_', ' ')})" for b in controls.bones() if not target.has(b)
            ]
            missing += [f"{b!r} (IK switch)" for b in controls.properties if not target.has(b)]
        bad = [limb for limb in self.ik if limb not in IK_LIMBS] + [p for p in self.ik_parts if p not in IK_PARTS]
        if bad:
            raise RetargetError(
                f"bone mapping: unknown IK limbs or parts {', '.join(map(repr, bad))} (limbs: "
                f"{', '.join(IK_LIMBS)}; parts: {', '.join(IK_PARTS)}); {EDIT_HINT}"
            )
        if missing:
            raise RetargetError(
                f"bone mapping names bones that armature {target.name!r} does not have: {', '.join(missing)}; {EDIT_HINT}"
            )
        seen: dict[str, str] = {}
        dupes = []
        for j in JOINT_NAMES:
            b = self.joints.get(j)
            if b is None:
                continue
            if b in seen:
                dupes.append(f"{b!r} ({seen[b]} and {j})")
            seen[b] = j
        if self.root_bone and self.root_bone in seen and seen[self.root_bone] != "pelvis":
            dupes.append(f"{self.root_bone!r} (root and {seen[self.root_bone]})")
        if dupes:
            raise RetargetError(f"bone mapping uses the same bone for two joints: {', '.join(dupes)}; {EDIT_HINT}")
        unmapped = [j for j in ESSENTIAL_JOINTS if j not in self.joints]
        if unmapped:
            raise RetargetError(
                f"armature {target.name!r}: no bone mapped for {', '.join(unmapped)} "
                f"(needed for a humanoid motion); {EDIT_HINT}"
            )
        for chain in LIMB_CHAINS:
            for upper, lower in zip(chain, chain[1:], strict=False):
                a, b = target.index(self.joints[upper]), target.index(self.joints[lower])
                if not target.is_ancestor(a, b):
                    raise RetargetError(
                        f"bone mapping: {lower} bone {self.joints[lower]!r} is not a child of {upper} bone "
                        f"{self.joints[upper]!r} (left/right or order swapped?); {EDIT_HINT}"
                    )
