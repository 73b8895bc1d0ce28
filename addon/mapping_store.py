"""The bone mapping lives on the armature object as JSON, so it travels with the .blend."""

from __future__ import annotations

from .engine_link import errors, mapping

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
