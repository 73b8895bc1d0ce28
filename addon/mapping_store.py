"""The bone mapping lives on the armature object as JSON, so it travels with the .blend.

Edits from the mapping editor go through here: a joint set to a bone (its
mirrored twin follows), mirrored completion of the whole mapping, and preset
files saved and loaded (engine.retarget does the work; this reads and stores).
"""

from __future__ import annotations

import dataclasses

from .engine_link import errors, mapping, retarget
from .rig_reader import read_armature

PROP_MAPPING = "motion_composer_mapping"


def load_mapping(armature_obj):
    """The stored BoneMapping, or None when the armature has none."""
    text = armature_obj.get(PROP_MAPPING) if armature_obj is not None else None
    if not text:
        return None
    return mapping.BoneMapping.from_json(str(text))


def save_mapping(armature_obj, mapping) -> None:
    """Store `mapping` on the armature object (replaces any previous one)."""
    if getattr(armature_obj, "library", None) is not None:
        raise errors.RetargetError(
            f"armature {armature_obj.name!r} is linked from a library; make a library override to store a mapping"
        )
    armature_obj[PROP_MAPPING] = mapping.to_json()


def clear_mapping(armature_obj) -> None:
    if PROP_MAPPING in armature_obj:
        del armature_obj[PROP_MAPPING]


def current_or_automatic(armature_obj):
    """The stored mapping, else the automatic one, else an empty one to fill in by hand."""
    stored = load_mapping(armature_obj)
    if stored is not None:
        return stored
    try:
        return retarget.auto_map(read_armature(armature_obj, for_writing=False))
    except errors.MotionComposerError:
        return retarget.BoneMapping(joints={})  # not humanoid enough to guess: start empty


def set_joint(armature_obj, joint: str, bone: str | None) -> list[str]:
    """Map `joint` to `bone` (None: unmapped) and store; the joint's other side follows when it was not picked
    by hand. Returns the joints filled by mirroring. `joint` may be an IK slot ("left_leg.control")."""
    if joint in retarget.IK_SLOT_LABELS:
        return set_ik_bone(armature_obj, joint, bone)
    current = current_or_automatic(armature_obj)
    filled = []
    if bone is None:
        current.joints.pop(joint, None)
        current.sources.pop(joint, None)
    else:
        current.joints[joint] = bone
        current.sources[joint] = "picked"
        filled = retarget.complete_mirrored(read_armature(armature_obj, for_writing=False), current, only=joint)
    current.preset = "custom"
    save_mapping(armature_obj, current)
    return filled


def set_ik_bone(armature_obj, slot: str, bone: str | None) -> list[str]:
    """Set an IK slot ("left_leg.control" or ".pole") and store; the other side's empty slot follows by the
    mirrored name or place. Unsetting a control removes the limb's IK. Returns the slots filled by mirroring."""
    limb, role = slot.split(".")
    current = current_or_automatic(armature_obj)
    controls = current.ik.get(limb)
    if role == "pole" and controls is None and bone is not None:
        raise errors.RetargetError(f"map the {retarget.IK_SLOT_LABELS[limb + '.control'].lower()} before its pole")
    if role == "control":
        if bone is None:
            current.ik.pop(limb, None)
        else:
            current.ik[limb] = dataclasses.replace(controls, control=bone) if controls else retarget.IkControls(bone)
    elif controls is not None:
        controls.pole = bone
    filled = []
    twin_limb = retarget.other_side(limb)
    if bone is not None:
        twin = current.ik.get(twin_limb)
        if twin is None or (role == "pole" and not twin.pole):
            target = read_armature(armature_obj, for_writing=False)
            used = {b for c in current.ik.values() for b in c.bones()}
            mirrored = retarget.mirror_bone(target, current, bone, used)
            if mirrored is not None and (twin is not None or role == "control"):
                if twin is None:
                    current.ik[twin_limb] = retarget.IkControls(mirrored)
                else:
                    twin.pole = mirrored
                filled.append(f"{twin_limb}.{role}")
    current.preset = "custom"
    save_mapping(armature_obj, current)
    return filled


def mirror_all(armature_obj) -> list[str]:
    """Fill every joint whose other side is mapped; store. Returns the joints filled."""
    current = current_or_automatic(armature_obj)
    filled = retarget.complete_mirrored(read_armature(armature_obj, for_writing=False), current)
    if filled:
        current.preset = "custom"
    save_mapping(armature_obj, current)
    return filled


def save_file(armature_obj, path: str, *, overwrite: bool):
    """Write the armature's mapping (stored or automatic) as a preset file; returns the path written."""
    return retarget.write_mapping_file(path, current_or_automatic(armature_obj), overwrite=overwrite)


def load_file(armature_obj, path: str):
    """Fit a preset file to the armature and store it; returns the mapping."""
    fitted = retarget.fit_mapping(retarget.read_mapping_file(path), read_armature(armature_obj, for_writing=False))
    save_mapping(armature_obj, fitted)
    return fitted
