"""The bone mapping lives on the armature object as JSON, so it travels with the .blend.

Edits from the mapping editor go through here: a joint set to a bone (its
mirrored twin follows), mirrored completion of the whole mapping, and preset
files saved and loaded (engine.retarget does the work; this reads and stores).
"""

from __future__ import annotations

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
    by hand. Returns the joints filled by mirroring."""
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
