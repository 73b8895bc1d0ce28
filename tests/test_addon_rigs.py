"""The add-on on real rigs (bpy, the shipped model): a generated Rigify rig, a Mixamo-named rig and a
Character Creator rig built in the test (FBX-like: scaled 0.01 and rotated, arms not canonical length).

Scene targets are converted through each rig's placement and scale, so an Empty is met by the rig's
own hand; the feet stand on the floor.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from mathutils import Matrix  # noqa: E402
from test_addon_fakes import MODEL_PRESENT, NEEDS_MODEL, empty_scene  # noqa: E402
from test_retarget_rigs import cc_rows, object_matrix, rows_for, stretched_arms  # noqa: E402

from addon import results  # noqa: E402
from engine.retarget import retarget  # noqa: E402

pytestmark = [pytest.mark.skipif(not MODEL_PRESENT, reason=NEEDS_MODEL), pytest.mark.usefixtures("registered_addon")]

RIGS = ("rigify", "mixamo", "character_creator")
#: the bone whose head is the right wrist, per rig (deform bones: what the mesh follows)
HAND = {"rigify": "DEF-hand.R", "mixamo": "mixamorig:RightHand", "character_creator": "CC_Base_R_Hand"}


def build_armature(rows, name, matrix):
    """An armature from (name, parent, head, tail, roll) rows given in world space."""
    arm = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, arm)
    bpy.context.scene.collection.objects.link(obj)
    obj.matrix_world = Matrix(np.asarray(matrix).tolist())
    inv = np.linalg.inv(matrix)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for bname, parent, head, tail, roll in rows:
        eb = arm.edit_bones.new(bname)
        eb.head, eb.tail, eb.roll = (inv @ np.append(head, 1.0))[:3], (inv @ np.append(tail, 1.0))[:3], roll
        if parent:
            eb.parent = arm.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def make_rig(kind: str, rigify_path: str):
    """The rig in a fresh scene at 30 fps, set as the panel's target."""
    if kind == "rigify":
        bpy.ops.wm.open_mainfile(filepath=rigify_path)
        obj = bpy.data.objects["rig"]
        bpy.context.scene.render.fps, bpy.context.scene.render.fps_base = 30, 1.0
    else:
        empty_scene()
        rows = stretched_arms(rows_for("mixamo", scale=1.1, a_pose_deg=40.0, seed=2), 0.88)
        if kind == "character_creator":
            rows = cc_rows(rows)
        matrix = object_matrix(rot_x_deg=90.0, rot_z_deg=25.0, scale=0.01, loc=(0.4, -0.3, 0.0))
        obj = build_armature(rows, kind, matrix)
    bpy.context.scene.motion_composer.target = obj
    return obj


def world_head(obj, bone: str) -> np.ndarray:
    return np.array(obj.matrix_world @ obj.pose.bones[bone].head)


@pytest.mark.parametrize("kind", RIGS)
def test_empty_target_is_met_by_the_rigs_hand(kind, rigify_rigs, monkeypatch):
    obj = make_rig(kind, rigify_rigs)
    scene = bpy.context.scene
    mapping = results.current_mapping(obj)
    assert mapping.preset == kind
    rest_hand = np.array(obj.matrix_world @ obj.data.bones[HAND[kind]].head_local)
    rest_pelvis = np.array(obj.matrix_world @ obj.data.bones[mapping.reference("pelvis")].head_local)
    height = rest_pelvis[2]  # about half the character's height
    empty = bpy.data.objects.new("Handle", None)
    # in front of the chest, a little to the right: a place the right hand can reach (every rig faces -Y)
    spot = rest_pelvis + np.array([0.0, -0.35 * height, 0.45 * height])
    spot += 0.25 * (rest_hand - rest_pelvis) * np.array([1.0, 1.0, 0.0])
    empty.location = spot
    scene.collection.objects.link(empty)
    s = scene.motion_composer
    s.prompt, s.seconds, s.seed, s.frame_start = "a person raises the right hand", 3.0, 0, 1
    scene.frame_current = 46
    bpy.context.view_layer.objects.active = empty
    assert bpy.ops.motion_composer.constraint_add_joint_target() == {"FINISHED"}
    s.constraints[-1].joint = "right_wrist"
    motions = []
    to_channels = results.to_channels
    monkeypatch.setattr(results, "to_channels", lambda t, m: motions.append((t, m)) or to_channels(t, m))
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    scene.frame_set(46)
    err = np.linalg.norm(world_head(obj, HAND[kind]) - spot)
    # without the rig's own reach the hand is off by the rig's other arm proportions (cm, not the 1.3 m of a
    # target used in canonical space unconverted)
    target, motion = motions[0]
    plain = retarget(motion, target.skeleton, target.mapping)
    wrist = target.skeleton.object_matrix @ np.append(plain.joint_positions["right_wrist"][45], 1.0)
    before = np.linalg.norm(wrist[:3] - spot)
    print(f"\n{kind}: right hand {err * 100:.2f} cm from the Empty ({before * 100:.1f} cm before the rig's reach)")
    assert err < 0.02 and before < 0.3


def test_root_path_from_a_curve_is_followed_on_a_scaled_rig():
    obj = make_rig("mixamo", "")
    scene = bpy.context.scene
    curve = bpy.data.curves.new("Path", "CURVE")
    spline = curve.splines.new("POLY")
    spline.points.add(2)
    start = np.array(obj.matrix_world @ obj.data.bones["mixamorig:Hips"].head_local)
    corners = [start, start + [0.0, -1.5, 0.0], start + [1.2, -2.2, 0.0]]
    for p, co in zip(spline.points, corners, strict=True):
        p.co = (co[0], co[1], 0.0, 1.0)
    path_obj = bpy.data.objects.new("Path", curve)
    scene.collection.objects.link(path_obj)
    s = scene.motion_composer
    s.prompt, s.seconds, s.seed, s.frame_start = "a person walks forward", 4.0, 0, 1
    bpy.context.view_layer.objects.active = path_obj
    assert bpy.ops.motion_composer.constraint_add_root_path() == {"FINISHED"}
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    errors = []
    for frame, corner in ((1, corners[0]), (121, corners[2])):
        scene.frame_set(frame)
        errors.append(np.linalg.norm((world_head(obj, "mixamorig:Hips") - corner)[:2]))
    print(f"\nroot path on a 0.01-scaled, rotated rig: pelvis {errors[0] * 100:.1f} / {errors[1] * 100:.1f} cm "
          "from the curve's start / end")  # fmt: skip
    assert max(errors) < 0.05
