"""The mapping editor in Blender (bpy, no model): every body part at once with its bone, source and confidence,
the active bone as the eyedropper, mirrored completion, mapping preset files for a library of characters, and
a rig whose bones are named b00, b01, ... mapped from its shape with no manual work."""

from __future__ import annotations

import json
import os
import tempfile

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_addon_fakes import MODEL_PRESENT, NEEDS_MODEL, FakeLayout, empty_scene  # noqa: E402
from test_addon_rigs import build_armature  # noqa: E402
from test_mapping_editor import numbered  # noqa: E402
from test_retarget_rigs import object_matrix, rows_for  # noqa: E402

from addon import mapping_gui, mapping_store  # noqa: E402
from addon.engine_link import retarget  # noqa: E402

pytestmark = pytest.mark.usefixtures("registered_addon")


def numbered_rig(name="Hero", scale=0.01, seed=1):
    """A Mixamo-shaped rig (FBX-like: scaled and rotated) whose bones say nothing: b00, b01, ..."""
    rows, back = numbered(rows_for("mixamo", a_pose_deg=35.0, seed=seed), seed=seed)
    obj = build_armature(rows, name, object_matrix(rot_x_deg=90.0, rot_z_deg=10.0, scale=scale))
    bpy.context.scene.motion_composer.target = obj
    return obj, {old: new for new, old in back.items()}  # Mixamo name -> bone name


def draw_mapping_panel() -> list:
    calls = []
    panel = mapping_gui.MOTION_COMPOSER_PT_mapping
    panel.draw(type("PanelSelf", (), {"layout": FakeLayout(calls)})(), bpy.context)
    return calls


def stored(obj) -> dict:
    return json.loads(obj[mapping_store.PROP_MAPPING])


def test_all_body_parts_at_once_in_plain_words_with_source_and_confidence():
    empty_scene()
    obj, bone = numbered_rig()
    calls = draw_mapping_panel()
    labels = [b.get("text") for name, b in calls if name == "label"]
    assert "Automatic: guessed from the skeleton's shape" in labels
    picks = {
        b["props"]["joint"]: b["text"] for name, b in calls if b.get("operator") == "motion_composer.mapping_pick_bone"
    }
    droppers = [b for name, b in calls if b.get("operator") == "motion_composer.mapping_use_active_bone"]
    assert len(picks) == len(droppers) == 22  # every body part on screen, each with its eyedropper
    assert picks["left_shoulder"] == bone["mixamorig:LeftArm"] and picks["right_knee"] == bone["mixamorig:RightLeg"]
    assert "Left upper arm" in labels and "Right shin" in labels and labels.count("80%") == 22
    assert "Found by skeleton shape (22)" in labels
    rows = {r.joint: r for r in mapping_gui.mapping_for_display(obj)[2]}
    assert rows["left_shoulder"].describe() == f"Left upper arm → {bone['mixamorig:LeftArm']}"


def test_eyedropper_and_mirror_map_one_side_and_the_other_follows(tmp_path):
    empty_scene()
    obj, bone = numbered_rig()
    assert bpy.ops.motion_composer.mapping_auto() == {"FINISHED"}
    full = stored(obj)["joints"]
    half = retarget.BoneMapping({j: b for j, b in full.items() if not j.startswith("right_")})
    mapping_store.save_mapping(obj, half)
    assert bpy.ops.motion_composer.mapping_mirror() == {"FINISHED"}
    assert stored(obj)["joints"] == full  # the right side found by place (no side in the names)
    # the eyedropper: the bone clicked in the viewport (the active bone) for the left hand; the right follows
    obj.data.bones.active = obj.data.bones[bone["mixamorig:LeftHandIndex1"]]
    assert bpy.ops.motion_composer.mapping_use_active_bone(joint="left_wrist") == {"FINISHED"}
    after = stored(obj)
    assert after["joints"]["left_wrist"] == bone["mixamorig:LeftHandIndex1"]
    assert after["joints"]["right_wrist"] == bone["mixamorig:RightHandIndex1"]
    assert after["sources"]["left_wrist"] == "picked" and after["sources"]["right_wrist"] == "mirror"
    # IK controls (here any bone stands in for one): the same eyedropper, the other side found by place
    obj.data.bones.active = obj.data.bones[bone["mixamorig:LeftToeBase"]]
    assert bpy.ops.motion_composer.mapping_use_active_bone(joint="left_leg.control") == {"FINISHED"}
    assert stored(obj)["ik"]["right_leg"]["control"] == bone["mixamorig:RightToeBase"]
    calls = []
    panel = mapping_gui.MOTION_COMPOSER_PT_mapping_ik
    panel.draw(type("PanelSelf", (), {"layout": FakeLayout(calls)})(), bpy.context)
    picks = {
        b["props"]["joint"]: b["text"] for name, b in calls if b.get("operator") == "motion_composer.mapping_pick_bone"
    }
    assert picks["left_leg.control"] == bone["mixamorig:LeftToeBase"] and picks["left_arm.pole"] == "—"
    assert len(picks) == 8
    obj.data.bones.active = None
    with pytest.raises(RuntimeError, match="no active bone: click the bone in Pose Mode first"):
        bpy.ops.motion_composer.mapping_use_active_bone(joint="left_wrist")


def test_mapping_presets_go_to_a_file_and_onto_other_characters(tmp_path):
    empty_scene()
    obj, bone = numbered_rig()
    assert bpy.ops.motion_composer.mapping_set_ik(part="arms", use_ik=True) == {"FINISHED"}
    path = str(tmp_path / "hero.json")
    assert bpy.ops.motion_composer.mapping_save_file(filepath=path) == {"FINISHED"}
    with pytest.raises(RuntimeError, match="exists"):
        bpy.ops.motion_composer.mapping_save_file(filepath=path)  # never replaced unasked
    assert bpy.ops.motion_composer.mapping_save_file(filepath=path, overwrite=True) == {"FINISHED"}
    # another character of the library, built the same way: the preset fits
    other, other_bone = numbered_rig("Sidekick", scale=0.009, seed=1)
    assert bpy.ops.motion_composer.mapping_load_file(filepath=path) == {"FINISHED"}
    loaded = stored(other)
    assert (
        loaded["joints"] == stored(obj)["joints"]
        and loaded["joints"]["left_shoulder"] == other_bone["mixamorig:LeftArm"]
    )
    assert loaded["ik_parts"] == ["legs", "arms"] and set(loaded["sources"].values()) == {"file"}
    # a character with other bones: refused, naming them
    mixamo = build_armature(rows_for("mixamo"), "Mixamo", object_matrix(0.0, 0.0, 1.0))
    bpy.context.scene.motion_composer.target = mixamo
    with pytest.raises(RuntimeError, match="does not have: 'b"):
        bpy.ops.motion_composer.mapping_load_file(filepath=path)
    assert mapping_store.PROP_MAPPING not in mixamo


@pytest.mark.skipif(not MODEL_PRESENT, reason=NEEDS_MODEL)
def test_a_rig_with_meaningless_names_takes_motion_with_no_manual_mapping():
    empty_scene()
    obj, bone = numbered_rig()
    s = bpy.context.scene.motion_composer
    s.prompt, s.seconds, s.seed, s.frame_start = "a person walks forward", 2.0, 0, 1
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    assert mapping_store.PROP_MAPPING not in obj  # nothing stored: the automatic mapping was enough
    feet = [bone[f"mixamorig:{side}Foot"] for side in ("Left", "Right")]
    rest = min((obj.matrix_world @ obj.data.bones[b].head_local).z for b in feet)
    lowest = []
    for frame in range(1, 61, 5):
        bpy.context.scene.frame_set(frame)
        lowest.append(min((obj.matrix_world @ obj.pose.bones[b].head).z for b in feet))
    lowest = np.array(lowest)
    planted = np.mean(np.abs(lowest - rest) < 0.005)
    print(f"\nrig named b00..: a planted ankle at its rest height in {planted:.0%} of the sampled frames, "
          f"lowest {lowest.min() * 100:.2f} cm (rest {rest * 100:.2f} cm)")  # fmt: skip
    assert planted > 1 / 3 and lowest.min() > rest - 0.005  # the feet touch the floor and do not sink
