"""Scene-level settings of the Motion panel: what the animator asks for.

Everything lives on `Scene.motion_composer`, so settings are saved with the
.blend file and undone with the scene. Times are frames here (the animator's
unit); request_builder converts them to the engine's seconds.
"""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    FloatVectorProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from .engine_link import skeleton as sk

BODY_PART_ITEMS = [
    ("legs", "Legs", "Legs, hips and the root motion"),
    ("torso", "Torso", "Spine and neck"),
    ("head", "Head", "Head"),
    ("left_arm", "Left Arm", "Left collar, shoulder, elbow and wrist"),
    ("right_arm", "Right Arm", "Right collar, shoulder, elbow and wrist"),
]
assert tuple(i[0] for i in BODY_PART_ITEMS) == sk.BODY_PART_NAMES, "body parts come from engine.skeleton"

JOINT_ITEMS = [(n, n.replace("_", " ").title(), f"Canonical joint {n}") for n in sk.CANONICAL.names]

CONSTRAINT_KINDS = [
    ("KEYFRAME", "Keyframe", "Full-body pose at a frame", "POSE_HLT", 0),
    ("JOINT", "Joint Target", "A joint reaches a position at a frame", "EMPTY_AXIS", 1),
    ("ROOT_PATH", "Root Path", "The root follows a path over a frame range", "CURVE_DATA", 2),
]

ROOT_MOTION_ITEMS = [
    ("full", "Full", "The character travels as generated"),
    ("in_place", "In Place", "Travel removed; sway, bob and turning kept"),
    ("vertical_only", "Vertical Only", "Only the root height changes"),
]

EXTEND_DIRECTION_ITEMS = [
    ("forward", "After", "New motion after the last frame"),
    ("backward", "Before", "New motion before the first frame"),
]

PLACEMENT_ITEMS = [
    ("ASSIGN", "Assign", "Make the new Action the armature's active Action (the previous one is kept)"),
    ("NLA", "NLA Track", "Push each new Action onto its own NLA track; the active Action is untouched"),
]


def _is_armature(_self, obj) -> bool:
    return obj.type == "ARMATURE"


class MOTION_COMPOSER_PG_track(bpy.types.PropertyGroup):
    """A prompt acting on some body parts over a frame range."""

    enabled: BoolProperty(name="Enabled", description="Use this track when generating", default=True)
    text: StringProperty(name="Text", description="What the character does in this range")
    frame_start: IntProperty(name="Start", description="First frame of the track", default=1)
    frame_end: IntProperty(name="End", description="Frame where the track ends", default=61)
    body_parts: EnumProperty(
        name="Body Parts",
        description="Body parts this track drives; none selected: inferred from the text",
        items=BODY_PART_ITEMS,
        options={"ENUM_FLAG"},
        default=set(),
    )


class MOTION_COMPOSER_PG_constraint(bpy.types.PropertyGroup):
    """A keyframe pose, joint target or root path the motion must honour."""

    enabled: BoolProperty(name="Enabled", description="Use this constraint when generating", default=True)
    kind: EnumProperty(name="Type", items=CONSTRAINT_KINDS, default="JOINT")
    frame: IntProperty(name="Frame", description="Frame of the pose or target; first frame of a path", default=1)
    frame_end: IntProperty(name="End", description="Last frame of a root path", default=61)
    joint: EnumProperty(name="Joint", items=JOINT_ITEMS, default="left_wrist",
                        description="The body joint that must reach the target position")  # fmt: skip
    position: FloatVectorProperty(
        name="Position", description="Target position in the target armature's space", subtype="TRANSLATION", size=3
    )
    weight: FloatProperty(name="Weight", default=1.0, min=0.0, soft_max=10.0,
                          description="How strongly this constraint pulls against the others and the prompt")  # fmt: skip
    source: StringProperty(name="Source", description="The bone, empty, curve or pose this came from")
    # Pose (root + local rotations) or path points as JSON: too large for vector properties.
    data: StringProperty(name="Data", options={"HIDDEN"})


class MOTION_COMPOSER_PG_settings(bpy.types.PropertyGroup):
    """Everything the Generate panel asks for."""

    prompt: StringProperty(
        name="Prompt", description="What the character does over the whole duration (optional with tracks)",
        update=lambda self, _context: self.clear_prompt_note(),
    )  # fmt: skip
    prompt_note: StringProperty(
        name="Prompt Note", description="Why the last prompt may not give what it says (unknown to the model)",
        options={"SKIP_SAVE"},
    )  # fmt: skip
    prompt_suggestions: StringProperty(
        name="Suggestions", description="Prompts the model knows that are nearest to the last one (one per line)",
        options={"SKIP_SAVE"},
    )  # fmt: skip
    seconds: FloatProperty(
        name="Duration", description="Length of the motion", default=6.0, min=0.1, max=600.0, unit="TIME_ABSOLUTE"
    )
    frame_start: IntProperty(name="Start Frame", description="Scene frame of the motion's first key", default=1)
    seed: IntProperty(name="Seed", description="Same seed and settings give the same motion", default=0, min=0)
    start_pose: EnumProperty(
        name="Start", description="How the motion begins", default="auto",
        items=[("auto", "Auto", "Standing when the prompt only stands (a standing-idle clip, held in place), else free"),
               ("free", "Free", "Wherever the model starts it"),
               ("rest", "Standing", "In a neutral standing pose (arms down), to follow an idle clip")],
    )  # fmt: skip
    end_pose: EnumProperty(
        name="End", description="How the motion ends", default="auto",
        items=[("auto", "Auto", "Standing when the prompt only stands (a standing-idle clip, held in place), else free"),
               ("free", "Free", "Wherever the model ends it"),
               ("rest", "Standing", "In a neutral standing pose (arms down), to lead into an idle clip")],
    )  # fmt: skip
    use_steps: BoolProperty(name="Custom Steps", description="Override the model's number of sampling steps")
    steps: IntProperty(name="Steps", description="Sampling steps: more is slower", default=10, min=1, max=1000)
    use_guidance: BoolProperty(name="Custom Guidance", description="Override the model's text guidance scale")
    guidance: FloatProperty(
        name="Guidance", description="How strongly the motion follows the text", default=2.5, min=0.0, max=20.0
    )
    variations: IntProperty(
        name="Variations", description="Number of motions to generate (seeds seed, seed+1, ...)", default=1, min=1,
        max=16,
    )  # fmt: skip
    target: PointerProperty(
        name="Target", type=bpy.types.Object, poll=_is_armature,
        description="Armature to animate; empty: the active armature",
    )  # fmt: skip
    root_motion: EnumProperty(name="Root Motion", items=ROOT_MOTION_ITEMS, default="full",
                              description="How the character travels: as generated, in place, or only up and down")  # fmt: skip
    placement: EnumProperty(name="Result", items=PLACEMENT_ITEMS, default="ASSIGN",
                            description="Where the new Action goes: assigned to the armature, or on a new NLA track")  # fmt: skip
    tracks: CollectionProperty(type=MOTION_COMPOSER_PG_track)
    tracks_index: IntProperty(name="Active Track", default=0)
    constraints: CollectionProperty(type=MOTION_COMPOSER_PG_constraint)
    constraints_index: IntProperty(name="Active Constraint", default=0)
    show_tracks_on_timeline: BoolProperty(
        name="Show on Timeline", description="Draw the tracks as strips in the Timeline and Dope Sheet", default=True
    )
    # Edit tools: they work on the target's generated Action and make a new one
    edit_prompt: StringProperty(name="Edit Prompt", description="What the character does in the new or changed part")
    edit_frame_start: IntProperty(name="Start", description="First scene frame to regenerate", default=1)
    edit_frame_end: IntProperty(name="End", description="Last scene frame to regenerate", default=61)
    restyle_strength: FloatProperty(
        name="Strength", description="0 keeps the motion, 1 redoes it from scratch along the same path",
        default=0.5, min=0.0, max=1.0, subtype="FACTOR",
    )  # fmt: skip
    extend_seconds: FloatProperty(
        name="Extend By", description="Length of the new motion", default=2.0, min=0.1, max=15.0,
        unit="TIME_ABSOLUTE",
    )  # fmt: skip
    extend_direction: EnumProperty(name="Where", items=EXTEND_DIRECTION_ITEMS, default="forward",
                                   description="Add the new motion after the last frame or before the first")  # fmt: skip

    def clear_prompt_note(self) -> None:
        if self.prompt_note:
            self.prompt_note = ""
            self.prompt_suggestions = ""


CLASSES = (MOTION_COMPOSER_PG_track, MOTION_COMPOSER_PG_constraint, MOTION_COMPOSER_PG_settings)

_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register() -> None:
    _register_classes()
    bpy.types.Scene.motion_composer = PointerProperty(type=MOTION_COMPOSER_PG_settings)


def unregister() -> None:
    del bpy.types.Scene.motion_composer
    _unregister_classes()
