"""Scene settings of the Cast panel: which armatures act together, their prompts, and their interactions.

Stored on `Scene.motion_composer_cast` (saved with the .blend, undone with
the scene). A row is an armature with a prompt and, like the Generate panel,
tracks (text per frame range and body parts). The clip's length, seed and frame rate are the Generate panel's;
times here are scene frames like everywhere in the panel.
"""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from .properties import JOINT_ITEMS, MOTION_COMPOSER_PG_track

INTERACTION_KINDS = [
    ("contact", "Contact", "Two joints of two characters meet (or keep a distance) over a frame range"),
    ("apart", "Apart", "Bodies never closer than a distance, except where a contact asks for it"),
    ("face", "Face", "A character turns towards another over a frame range"),
]


def _is_armature(_self, obj) -> bool:
    return obj.type == "ARMATURE"


def character_items(_self, context):
    """The cast's armatures, for the interaction menus (Blender keeps the strings alive via this cache)."""
    cast = getattr(context.scene, "motion_composer_cast", None) if context and context.scene else None
    names = [m.armature.name for m in cast.members if m.armature is not None] if cast else []
    character_items.cache = [(n, n, f"Armature {n}") for n in names] or [("", "(no cast)", "Add armatures first")]
    return character_items.cache


class MOTION_COMPOSER_PG_cast_member(bpy.types.PropertyGroup):
    armature: PointerProperty(name="Armature", type=bpy.types.Object, poll=_is_armature,
                              description="Where it stands and faces in the scene is where the character starts")  # fmt: skip
    prompt: StringProperty(name="Prompt", description="What this character does (its tracks add more, per time "
                           "span and body part)")  # fmt: skip
    stays: BoolProperty(name="Stays", description="During contacts it stands where it is and partners that do not "
                        "stay come to it (off: partners meet halfway, unless its prompt says it stands, waits or "
                        "sits and nothing of walking)")  # fmt: skip
    tracks: CollectionProperty(type=MOTION_COMPOSER_PG_track, name="Tracks")
    tracks_index: IntProperty(name="Active Track", default=0)


class MOTION_COMPOSER_PG_interaction(bpy.types.PropertyGroup):
    kind: EnumProperty(name="Type", items=INTERACTION_KINDS, default="contact")
    a: EnumProperty(name="Character", items=character_items, description="First character (who turns, for Face)")
    a_joint: EnumProperty(name="Joint", items=JOINT_ITEMS, default="right_wrist")
    b: EnumProperty(name="Other", items=character_items, description="Second character (towards whom, for Face)")
    b_joint: EnumProperty(name="Joint", items=JOINT_ITEMS, default="right_wrist")
    frame_start: IntProperty(name="Start", default=1)
    frame_end: IntProperty(name="End", default=31)
    distance: FloatProperty(name="Distance", default=0.0, min=0.0, max=2.0, unit="LENGTH",
                            description="How far apart the two joints stay (0: they meet)")  # fmt: skip
    min_distance: FloatProperty(name="Min Distance", default=0.3, min=0.01, max=5.0, unit="LENGTH",
                                description="Smallest distance between the two skeletons' bones")  # fmt: skip


class MOTION_COMPOSER_PG_cast(bpy.types.PropertyGroup):
    members: CollectionProperty(type=MOTION_COMPOSER_PG_cast_member)
    members_index: IntProperty(name="Active Character", default=0)
    interactions: CollectionProperty(type=MOTION_COMPOSER_PG_interaction)
    interactions_index: IntProperty(name="Active Interaction", default=0)
    crowd_rig: PointerProperty(name="Rig", type=bpy.types.Object, poll=_is_armature,
                               description="The armature each crowd member is a linked duplicate of")  # fmt: skip
    crowd_count: IntProperty(name="Count", default=12, min=1, max=100)
    crowd_from: PointerProperty(name="Start Area", type=bpy.types.Object,
                                description="An object whose ground footprint (bounding box) is the start area")  # fmt: skip
    crowd_to: PointerProperty(name="Goal Area", type=bpy.types.Object,
                              description="An object whose footprint is the goal area, or a curve whose end the "
                                          "crowd walks to")  # fmt: skip
    crowd_prompts: StringProperty(name="Prompts", default="a person walks forward; a person walks slowly",
                                  description="Prompts separated by ';': each member draws one")  # fmt: skip
    crowd_spacing: FloatProperty(name="Spacing", default=0.8, min=0.3, max=10.0, unit="LENGTH")


CLASSES = (MOTION_COMPOSER_PG_cast_member, MOTION_COMPOSER_PG_interaction, MOTION_COMPOSER_PG_cast)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register() -> None:
    _register_classes()
    bpy.types.Scene.motion_composer_cast = PointerProperty(type=MOTION_COMPOSER_PG_cast)


def unregister() -> None:
    del bpy.types.Scene.motion_composer_cast
    _unregister_classes()
