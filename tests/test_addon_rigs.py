"""The add-on on real rigs (bpy, the shipped model): a generated Rigify rig, a Mixamo-named rig and a
Character Creator rig built in the test (FBX-like: scaled 0.01 and rotated, arms not canonical length).

Scene targets are converted through each rig's placement and scale, so an Empty is met by the rig's
own hand; the feet stand on the floor.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_addon_fakes import MODEL_PRESENT, NEEDS_MODEL, FakeLayout, empty_scene  # noqa: E402
from test_retarget_blender import build_armature  # noqa: E402
from test_retarget_rigs import cc_rows, object_matrix, rows_for, stretched_arms  # noqa: E402

from addon import action_writer, gui, keep_keys, key_poses, results, rig_reader  # noqa: E402
from addon.deform_skeleton import RestBone, deform_parents  # noqa: E402
from addon.fbx_export import export_fbx  # noqa: E402
from engine import quaternion as quat  # noqa: E402
from engine.motion import Motion  # noqa: E402
from engine.retarget import retarget  # noqa: E402

pytestmark = [pytest.mark.skipif(not MODEL_PRESENT, reason=NEEDS_MODEL), pytest.mark.usefixtures("registered_addon")]

RIGS = ("rigify", "mixamo", "character_creator")


@pytest.fixture(scope="module", autouse=True)
def leave_an_empty_scene():
    """Other modules (batch) start from the loaded file: do not leave the Rigify file loaded."""
    yield
    empty_scene()
    assert not bpy.data.filepath


#: the bone whose head is the right wrist, per rig (deform bones: what the mesh follows)
HAND = {"rigify": "DEF-hand.R", "mixamo": "mixamorig:RightHand", "character_creator": "CC_Base_R_Hand"}


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
    rows = json.loads(results.generated_action(obj.animation_data)[results.PROP_PROVENANCE])["constraints"]
    (row,) = [r for r in rows if r["type"] == "JointTarget"]
    assert row["rig_max"] < 0.02  # what the panel shows: the rig's own miss, beside the canonical one


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


# -- poses read back from any rig ------------------------------------------------------------------


def world_rotation(obj, bone: str) -> np.ndarray:
    m = np.array(obj.pose.bones[bone].matrix)[:3, :3]
    return quat.from_matrix(m / np.linalg.norm(m, axis=0))


def test_rigify_ik_pose_reads_back_and_fk_keys_reproduce_it(rigify_rigs):
    """A pose made with Rigify's IK controls -> canonical pose -> FK keys: every limb bone turned as IK put it.

    (Positions can differ by a centimetre or two: Rigify's IK also scales the leg bones a few percent when the
    foot comes up, which rotation keys cannot show.)
    """
    obj = make_rig("rigify", rigify_rigs)
    pb = obj.pose.bones
    for limb in ("thigh_parent.L", "upper_arm_parent.R"):
        pb[limb]["IK_FK"] = 0.0  # IK
    pb["foot_ik.L"].location = (0.05, 0.15, 0.2)  # the foot control's own axes: lifted and forward
    pb["hand_ik.R"].location = (0.1, -0.25, 0.3)
    pb["torso"].location = (0.0, 0.0, -0.05)
    bpy.context.view_layer.update()
    readers = ("ORG-thigh.L", "ORG-shin.L", "ORG-foot.L", "ORG-upper_arm.R", "ORG-forearm.R", "ORG-hand.R",
               "ORG-spine", "ORG-spine.003", "ORG-spine.006")  # fmt: skip
    posed = {b: world_rotation(obj, b) for b in readers}
    pelvis = world_head(obj, "ORG-spine")
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.motion_composer.constraint_add_keyframe() == {"FINISHED"}  # any mapped rig, not only canonical
    pose = json.loads(bpy.context.scene.motion_composer.constraints[-1].data)
    root, rotations = np.array(pose["root_translation"]), np.array(pose["rotations"])
    # back onto the rig as FK keys (the Action keys IK_FK to FK); the IK controls no longer matter
    target = rig_reader.read_armature(obj)
    fk = dataclasses.replace(results.current_mapping(obj), ik_parts=())
    result = retarget(Motion(30.0, root[None], rotations[None]), target, fk, foot_lock=False)
    action = action_writer.write_action(obj, result.rotations, result.locations, frame_start=1, name="back",
                                        bone_properties=result.properties)  # fmt: skip
    action_writer.assign(obj, action)
    bpy.context.scene.frame_set(1)
    assert pb["thigh_parent.L"]["IK_FK"] == 1.0
    worst = max(np.degrees(quat.angle_between(world_rotation(obj, b), posed[b])) for b in readers)
    print(f"\nIK pose read back as FK keys: bones within {worst:.3f} degrees")
    assert worst < 0.5
    assert np.linalg.norm(world_head(obj, "ORG-spine") - pelvis) < 0.005


@pytest.mark.parametrize("kind", ["mixamo", "rigify"])
def test_inbetween_on_a_mapped_rig_covers_the_key_range(kind, rigify_rigs):
    obj = make_rig(kind, rigify_rigs)
    scene = bpy.context.scene
    shoulder = results.current_mapping(obj).joints["right_shoulder"]
    bone = obj.pose.bones[shoulder]
    bone.rotation_mode = "QUATERNION"
    for frame, angle in ((1, 0.0), (60, 0.8)):
        bone.rotation_quaternion = (np.cos(angle / 2), np.sin(angle / 2), 0.0, 0.0)
        bone.keyframe_insert("rotation_quaternion", frame=frame)
    mine = obj.animation_data.action
    for fc in key_poses.action_fcurves(obj):
        for k in fc.keyframe_points:
            k.select_control_point = True
    scene.frame_set(60)
    want = world_head(obj, HAND[kind])
    s = scene.motion_composer
    s.edit_prompt, s.seed = "a person raises the right arm", 0
    assert bpy.ops.motion_composer.edit_inbetween() == {"FINISHED"}
    made = obj.animation_data.action
    assert made != mine and tuple(made.frame_range) == (1.0, 60.0)
    scene.frame_set(60)
    err = np.linalg.norm(world_head(obj, HAND[kind]) - want)
    print(f"\n{kind}: inbetween reaches the last key's hand within {err * 100:.1f} cm")
    assert err < 0.05


# -- IK or FK keys ---------------------------------------------------------------------------------

#: where feet and hands are: ankles, toe tips, wrists, hand tips (deform bones: what the mesh follows)
ENDS = {"DEF-foot.L": "head", "DEF-foot.R": "head", "DEF-toe.L": "tail", "DEF-toe.R": "tail",
        "DEF-hand.L": "head", "DEF-hand.R": "head", "DEF-hand.L ": "tail", "DEF-hand.R ": "tail"}  # fmt: skip


def end_positions(obj, frames) -> dict:
    out = {}
    for frame in frames:
        bpy.context.scene.frame_set(frame)
        for key, end in ENDS.items():
            out.setdefault(key, []).append(np.array(obj.matrix_world @ getattr(obj.pose.bones[key.strip()], end)))
    return {k: np.array(v) for k, v in out.items()}


def keyed_paths(action) -> dict:
    """data path -> the set of key values over all its channels"""
    out: dict = {}
    for (path, _index), keys in action_keys(action).items():
        out.setdefault(path, set()).update(keys.values())
    return out


def ik_buttons() -> dict:
    """(part, IK?) -> pressed, of the Legs/Arms IK | FK buttons under the target in the Generate panel."""
    calls = []
    gui.MOTION_COMPOSER_PT_generate.draw(type("PanelSelf", (), {"layout": FakeLayout(calls)})(), bpy.context)
    return {(b["props"]["part"], b["props"]["use_ik"]): b["depress"] for name, b in calls
            if b.get("operator") == "motion_composer.mapping_set_ik"}  # fmt: skip


def test_rigify_ik_legs_and_fk_arms_pose_as_fk_does_and_switch(rigify_rigs):
    """Default: legs keyed on the IK controls (foot, toe, pole; IK_FK = IK), arms on FK; switched, the other way
    round. Either way feet and hands are where the FK keys put them (within 1 cm); the user's Action survives."""
    obj = make_rig("rigify", rigify_rigs)
    scene = bpy.context.scene
    obj.pose.bones["foot_ik.L"].keyframe_insert("location", frame=1)
    mine = obj.animation_data.action
    obj.pose.bones["foot_heel_ik.L"].rotation_euler = (0.4, 0.0, 0.0)  # a foot roll left posed: keyed back to rest
    obj.pose.bones["foot_spin_ik.R"].rotation_quaternion = (0.98, 0.0, 0.0, 0.2)
    obj.pose.bones["thigh_ik.L"].rotation_euler = (0.0, 0.5, 0.0)
    before = action_keys(mine)
    assert results.current_mapping(obj).ik_parts == ("legs",)
    assert ik_buttons() == {("legs", True): True, ("legs", False): False, ("arms", True): False, ("arms", False): True}
    s = scene.motion_composer
    s.prompt, s.seconds, s.seed, s.frame_start = "a person walks forward and waves the right hand", 3.0, 4, 1
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    legs_ik = obj.animation_data.action
    paths = keyed_paths(legs_ik)
    for path in ('pose.bones["foot_ik.L"].location', 'pose.bones["foot_ik.R"].rotation_quaternion',
                 'pose.bones["thigh_ik_target.L"].location', 'pose.bones["toe_ik.R"].rotation_quaternion',
                 'pose.bones["hand_fk.R"].rotation_quaternion', 'pose.bones["spine_fk.001"].rotation_quaternion'):  # fmt: skip
        assert any(p.startswith(path) for p in paths), path
    assert not any("thigh_fk" in p or "foot_fk" in p or "hand_ik" in p for p in paths)
    assert paths['pose.bones["foot_heel_ik.L"].rotation_euler'] == {0.0}  # at rest, in its own rotation mode
    assert obj.pose.bones["foot_heel_ik.L"].rotation_mode == "ZXY"
    switch = {p: values for p, values in paths.items() if p.endswith('["IK_FK"]')}
    assert switch == {'pose.bones["thigh_parent.L"]["IK_FK"]': {0.0}, 'pose.bones["thigh_parent.R"]["IK_FK"]': {0.0},
                      'pose.bones["upper_arm_parent.L"]["IK_FK"]': {1.0},
                      'pose.bones["upper_arm_parent.R"]["IK_FK"]': {1.0}}  # fmt: skip
    frames = range(1, 91)
    first = end_positions(obj, frames)

    assert bpy.ops.motion_composer.mapping_set_ik(part="legs", use_ik=False) == {"FINISHED"}
    assert bpy.ops.motion_composer.mapping_set_ik(part="arms", use_ik=True) == {"FINISHED"}
    assert results.current_mapping(obj).ik_parts == ("arms",)
    assert ik_buttons() == {("legs", True): False, ("legs", False): True, ("arms", True): True, ("arms", False): False}
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    arms_ik = obj.animation_data.action
    paths = keyed_paths(arms_ik)
    assert any("hand_ik.R" in p for p in paths) and any("thigh_fk.L" in p for p in paths)
    assert not any("foot_ik" in p or "hand_fk" in p for p in paths)
    second = end_positions(obj, frames)
    worst = {k: np.linalg.norm(first[k] - second[k], axis=-1).max() for k in ENDS}
    feet = max(v for k, v in worst.items() if "hand" not in k)
    hands = max(v for k, v in worst.items() if "hand" in k)
    print(f"\nRigify IK vs FK keys over {len(frames)} frames: feet within {feet * 100:.3f} cm, "
          f"hands within {hands * 100:.3f} cm")  # fmt: skip
    assert feet < 0.01 and hands < 0.01
    assert mine.name in bpy.data.actions and action_keys(mine) == before  # the user's Action is untouched


# -- edits keep what they should ------------------------------------------------------------------


def action_keys(action) -> dict:
    return {path: dict(sorted(keys.items())) for path, keys in keep_keys.action_curves(action).items()}


@pytest.mark.parametrize("kind", ["rigify", "mixamo"])
def test_regenerate_range_leaves_every_key_outside_exactly(kind, rigify_rigs):
    obj = make_rig(kind, rigify_rigs)
    s = bpy.context.scene.motion_composer
    s.prompt, s.seconds, s.seed, s.frame_start = "a person walks forward", 4.0, 3, 1
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    source = obj.animation_data.action
    before = action_keys(source)
    s.edit_prompt, s.edit_frame_start, s.edit_frame_end, s.seed = "a person jumps", 49, 84, 8
    assert bpy.ops.motion_composer.edit_regenerate_range() == {"FINISHED"}
    edited = obj.animation_data.action
    assert edited != source and action_keys(source) == before
    after = action_keys(edited)
    assert after.keys() == before.keys()
    changed = 0
    for path, keys in before.items():
        for frame, value in keys.items():
            if frame < 49 or frame > 84:
                assert after[path][frame] == value, f"{path} changed at frame {frame} outside the range"
            else:
                changed += abs(after[path][frame] - value) > 1e-3
    assert changed > 100
    assert bpy.ops.motion_composer.regenerate() == {"FINISHED"}  # reproducible: the same keys again
    assert action_keys(obj.animation_data.action) == after


def test_actions_on_nla_tracks_can_be_edited_and_regenerated():
    obj = make_rig("mixamo", "")
    s = bpy.context.scene.motion_composer
    s.prompt, s.seconds, s.seed, s.frame_start, s.placement = "a person walks forward", 3.0, 1, 1, "NLA"
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    anim = obj.animation_data
    assert anim.action is None and len(anim.nla_tracks) == 1
    s.edit_prompt, s.edit_frame_start, s.edit_frame_end = "a person waves", 30, 60
    assert bpy.ops.motion_composer.edit_regenerate_range() == {"FINISHED"}
    assert len(anim.nla_tracks) == 2
    edited = anim.nla_tracks[-1].strips[0].action
    assert json.loads(edited[results.PROP_REQUEST])["edits"][0]["op"] == "regenerate_range"
    assert bpy.ops.motion_composer.regenerate() == {"FINISHED"}
    again = anim.nla_tracks[-1].strips[0].action
    assert again != edited and action_keys(again) == action_keys(edited)


def world_heads(obj, names, frames):
    """World-space heads (F, B, 3) of the named pose bones, frame by frame."""
    m, out = np.array(obj.matrix_world), []
    for f in frames:
        bpy.context.scene.frame_set(f)
        out.append([(m @ np.append(np.array(obj.pose.bones[n].head), 1.0))[:3] for n in names])
    return np.array(out)


def test_fbx_deform_only_of_a_rigify_rig_is_one_connected_skeleton_that_moves_like_the_rig(rigify_rigs, tmp_path):
    obj = make_rig("rigify", rigify_rigs)
    scene, pose = bpy.context.scene, obj.pose.bones
    scene.frame_start, scene.frame_end = 1, 20
    for frame, drop, turn in ((1, 0.0, 0.0), (20, 0.2, 0.5)):  # crouch, twist the chest, move a foot, turn the head
        pose["torso"].location = (0.0, 0.0, -drop)
        pose["foot_ik.L"].location = (0.0, drop, drop)
        pose["torso"].keyframe_insert("location", frame=frame)
        pose["foot_ik.L"].keyframe_insert("location", frame=frame)
        for name, angles in (("chest", (turn, 0.0, turn)), ("head", (0.0, turn, 0.0))):
            pose[name].rotation_mode = "XYZ"
            pose[name].rotation_euler = angles
            pose[name].keyframe_insert("rotation_euler", frame=frame)
    deform = [b.name for b in obj.data.bones if b.use_deform]
    before = {kind: len(getattr(bpy.data, kind)) for kind in ("objects", "armatures", "actions")}
    counts = {}
    for only in (False, True):
        export_fbx(bpy.context, obj, tmp_path / f"rig_{only}.fbx", deform_only=only)
        assert {kind: len(getattr(bpy.data, kind)) for kind in before} == before  # the baked copy is gone again
    rig_heads = world_heads(obj, deform, [1, 10, 20])
    for only in (False, True):
        empty_scene()
        bpy.ops.import_scene.fbx(filepath=str(tmp_path / f"rig_{only}.fbx"))
        imported = next(o for o in bpy.data.objects if o.type == "ARMATURE")
        counts[only] = len(imported.data.bones)
    bones = imported.data.bones
    print(
        f"\nFBX of the Rigify rig: {counts[False]} bones, {counts[True]} with --fbx-deform-only ({len(deform)} deform)"
    )
    assert counts[True] == len(deform) < counts[False] // 2
    assert [b.name for b in bones if b.parent is None] == ["DEF-spine"]  # one root: the hips
    assert bones["DEF-thigh.L"].parent.name == "DEF-spine" and bones["DEF-upper_arm.L"].parent.name == "DEF-shoulder.L"
    assert bones["DEF-shoulder.L"].parent.name == "DEF-spine.003"
    error = np.linalg.norm(world_heads(imported, deform, [1, 10, 20]) - rig_heads, axis=-1)
    moved = np.linalg.norm(rig_heads[-1] - rig_heads[0], axis=-1).max()
    assert moved > 0.3 and error.max() < 0.01, (moved, error.max())  # measured 6.6 mm (a full-rig FBX: 6.5 mm)


def test_deform_parents_tie_every_deform_bone_to_the_deform_bone_that_sits_where_its_holder_sits():
    bones = [RestBone("root", None, (0, 0, 0), False), RestBone("ORG-spine", "root", (0, 0, 1), False),
             RestBone("DEF-spine", "root", (0, 0, 1), True), RestBone("DEF-pelvis.L", "ORG-spine", (0, 0, 1), True),
             RestBone("DEF-thigh.L", "ORG-spine", (0.1, 0, 1), True), RestBone("DEF-spine.001", "DEF-spine", (0, 0, 1.2), True),
             RestBone("ORG-shoulder.L", "DEF-spine.001", (0.05, 0, 1.4), False),
             RestBone("DEF-shoulder.L", "ORG-shoulder.L", (0.05, 0, 1.4), True),
             RestBone("DEF-upper_arm.L", "ORG-shoulder.L", (0.2, 0, 1.4), True),
             RestBone("DEF-eye.L", "MCH-eye", (0.03, 0, 1.7), True), RestBone("MCH-eye", None, (0.03, 0, 1.7), False)]  # fmt: skip
    assert deform_parents(bones) == {
        "DEF-spine": None, "DEF-pelvis.L": "DEF-spine", "DEF-thigh.L": "DEF-spine", "DEF-spine.001": "DEF-spine",
        "DEF-shoulder.L": "DEF-spine.001", "DEF-upper_arm.L": "DEF-shoulder.L",
        "DEF-eye.L": "DEF-spine",  # nothing ties it in: it goes under the main root
    }  # fmt: skip
