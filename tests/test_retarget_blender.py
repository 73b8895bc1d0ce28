"""Retargeting onto real Blender rigs (bpy in background): Rigify metarig and generated rig,
a Bandai BVH imported with Blender's own importer, procedural Mixamo/UE rigs in A-pose with odd
rolls (one of them scaled and rotated like an FBX import), and bad input.

Positions are compared in world space, normalised by the character's height, against the source
motion re-proportioned to the rig (tests/test_retarget_rigs.expected_positions); on rigs built with
the canonical proportions also against the source itself.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from mathutils import Matrix  # noqa: E402
from test_retarget_rigs import (  # noqa: E402
    bandai_skeleton,
    character_height,
    expected_positions,
    object_matrix,
    rows_for,
)

from addon import action_writer, canonical_armature, mapping_store, rig_reader  # noqa: E402
from engine import quaternion as quat  # noqa: E402
from engine.errors import RetargetError  # noqa: E402
from engine.eval.demo_motion import walk, wave  # noqa: E402
from engine.io.bvh import write_bvh  # noqa: E402
from engine.kinematics.contact import contact_runs  # noqa: E402
from engine.motion import Motion  # noqa: E402
from engine.retarget import BoneMapping, TargetSkeleton, auto_map, bone_matrix, retarget, review  # noqa: E402
from engine.skeleton import FOOT_JOINTS, FOOT_REST_HEIGHTS, JOINT_NAMES  # noqa: E402

WALK, WAVE = walk(seconds=2.4), wave(seconds=2.0)
STEP = 3  # evaluate every 3rd frame (Rigify evaluation is the slow part)


def reset():
    bpy.ops.wm.read_factory_settings(use_empty=True)


def open_rigify(path, name):
    bpy.ops.wm.open_mainfile(filepath=path)
    return bpy.data.objects[name]


def build_armature(rows, name="Rig", matrix=None):
    """An armature from (name, parent, head, tail, roll) rows given in world space."""
    arm = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, arm)
    bpy.context.scene.collection.objects.link(obj)
    m = np.eye(4) if matrix is None else np.asarray(matrix)
    obj.matrix_world = Matrix(m.tolist())
    inv = np.linalg.inv(m)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for bname, parent, head, tail, roll in rows:
        eb = arm.edit_bones.new(bname)
        eb.head = (inv @ np.append(head, 1.0))[:3]
        eb.tail = (inv @ np.append(tail, 1.0))[:3]
        eb.roll = roll
        if parent:
            eb.parent = arm.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    return obj


def evaluated_heads(obj, bones, frames):
    """World-space heads (F,B,3) of pose bones after evaluating each frame."""
    scene = bpy.context.scene
    m = np.array(obj.matrix_world)
    out = np.zeros((len(frames), len(bones), 3))
    for i, f in enumerate(frames):
        scene.frame_set(int(f))
        ev = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        out[i] = [np.array(ev.pose.bones[b].head) for b in bones]
    return out @ m[:3, :3].T + m[:3, 3]


def run_and_check(obj, motion, *, check_bones=None, direct=False, frame_start=1):
    """Retarget, write, assign and evaluate; return (result, mapping, action) after the checks."""
    target = rig_reader.read_armature(obj)
    mapping = mapping_store.load_mapping(obj) or auto_map(target)
    result = retarget(motion, target, mapping)
    action = action_writer.write_action(
        obj, result.rotations, result.locations, frame_start=frame_start, name="retarget test",
        bone_properties=result.properties,
    )  # fmt: skip
    action_writer.assign(obj, action)
    frames = np.arange(0, motion.num_frames, STEP)
    bones = check_bones or {j: mapping.reference(j) for j in mapping.joints}
    joints = list(bones)
    got = evaluated_heads(obj, [bones[j] for j in joints], frames + frame_start)
    m = target.object_matrix
    height = character_height(result) * target.world_scale()
    want = expected_positions(motion, target, mapping, result)
    for k, j in enumerate(joints):
        w = want[j][frames] @ m[:3, :3].T + m[:3, 3]
        err = np.linalg.norm(got[:, k] - w, axis=-1).max() / height
        assert err < 0.03, f"{j} ({bones[j]}) off by {err:.1%} of height"
    if direct:  # rigs with the canonical proportions: the source motion itself, scaled
        src = result.alignment.to_armature(motion.positions()[frames]) @ m[:3, :3].T + m[:3, 3]
        for k, j in enumerate(joints):
            err = np.linalg.norm(got[:, k] - src[:, JOINT_NAMES.index(j)], axis=-1).max() / height
            assert err < 0.03, f"{j} off the source by {err:.1%} of height"
    _check_feet(obj, motion, bones, frame_start)
    _check_continuity(result)
    return result, mapping, action


def _check_feet(obj, motion, bones, frame_start):
    for k, joint in enumerate(FOOT_JOINTS):
        if joint not in bones:
            continue
        for a, b in contact_runs(motion.contacts[:, k] > 0.5):
            frames = np.arange(a, b)[:: max(1, (b - a) // 4)]
            p = evaluated_heads(obj, [bones[joint]], frames + frame_start)[:, 0]
            drift = np.linalg.norm(p - p[0], axis=-1).max()
            assert drift < 0.01, f"{joint} ({bones[joint]}) moves {drift * 100:.2f} cm while in contact"


def _check_continuity(result):
    for bone, q in result.rotations.items():
        dots = np.sum(q[1:] * q[:-1], axis=-1)
        assert dots.min() > 0.9, f"{bone}: rotation flips between frames (dot {dots.min():.3f})"


# -- rigs -----------------------------------------------------------------------------------------


def test_rigify_metarig(rigify_rigs):
    obj = open_rigify(rigify_rigs, "metarig")
    for motion in (WALK, WAVE):
        _, mapping, _ = run_and_check(obj, motion)
    assert mapping.preset == "rigify_metarig"


def test_generated_rigify_keys_controls_and_deform_bones_follow(rigify_rigs):
    obj = open_rigify(rigify_rigs, "rig")
    deform = {"pelvis": "DEF-spine", "spine1": "DEF-spine.001", "spine2": "DEF-spine.002",
              "spine3": "DEF-spine.003", "neck": "DEF-spine.004", "head": "DEF-spine.006"}  # fmt: skip
    for s, S in (("left", "L"), ("right", "R")):
        for j, b in (("collar", "shoulder"), ("shoulder", "upper_arm"), ("elbow", "forearm"), ("wrist", "hand"),
                     ("hip", "thigh"), ("knee", "shin"), ("ankle", "foot"), ("foot", "toe")):  # fmt: skip
            deform[f"{s}_{j}"] = f"DEF-{b}.{S}"
    for motion in (WALK, WAVE):
        result, mapping, action = run_and_check(obj, motion, check_bones=deform)
    assert mapping.preset == "rigify" and mapping.root == "torso"
    rows = review(rig_reader.read_armature(obj), mapping)  # the mapping editor: every row sure, no problem
    assert len(rows) == 22 and all(r.confidence == 1.0 and not r.problems for r in rows)
    paths = {fc.data_path for fc in _fcurves(action)}
    keyed = {p.split('"')[1] for p in paths}
    assert not [b for b in keyed if b.startswith(("DEF-", "ORG-", "MCH-"))]
    assert {"torso", "foot_ik.L", "thigh_ik_target.R", "spine_fk", "hand_fk.R"} <= keyed  # IK legs, FK arms
    assert "thigh_fk.L" not in keyed
    assert 'pose.bones["thigh_parent.L"]["IK_FK"]' in paths and 'pose.bones["upper_arm_parent.R"]["IK_FK"]' in paths
    assert 'pose.bones["torso"].location' in paths


def pole_angle(obj, thigh: str, shin: str, pole: str) -> float:
    """The IK pole angle that keeps a two-bone chain as it is at rest (the usual construction)."""
    bones = obj.data.bones
    base, end, pole_head = bones[thigh], bones[shin], bones[pole].head_local
    axis = base.tail_local - base.head_local
    normal = (end.tail_local - base.head_local).cross(pole_head - base.head_local)
    projected = normal.cross(axis)
    x = base.matrix_local.to_3x3().col[0]
    angle = x.angle(projected)
    return -angle if x.cross(projected).dot(axis) > 0 else angle


def test_a_rig_with_its_own_ik_controls_mapped_gets_ik_keys_and_the_feet_land():
    """Not Rigify: a Mixamo-named rig with an IK constraint on each shin (foot control and knee pole, no parent).
    The animator maps the left controls; the right follow by name; the IK keys put feet and knees where FK does."""
    reset()
    rows = rows_for("mixamo", a_pose_deg=30.0, seed=3)
    heads = {r[0]: np.array(r[2]) for r in rows}
    for side, s in (("Left", "L"), ("Right", "R")):
        ankle, knee = heads[f"mixamorig:{side}Foot"], heads[f"mixamorig:{side}Leg"]
        rows += [(f"FootIK.{s}", None, ankle, ankle + [0.0, 0.1, 0.0], 0.0),
                 (f"KneePole.{s}", None, knee + [0.0, -0.5, 0.0], knee + [0.0, -0.4, 0.0], 0.0)]  # fmt: skip
    obj = build_armature(rows, "IKRig")
    for side, s in (("Left", "L"), ("Right", "R")):
        con = obj.pose.bones[f"mixamorig:{side}Leg"].constraints.new("IK")
        con.target, con.subtarget, con.pole_target, con.pole_subtarget = obj, f"FootIK.{s}", obj, f"KneePole.{s}"
        con.chain_count = 2
        con.pole_angle = pole_angle(obj, f"mixamorig:{side}UpLeg", f"mixamorig:{side}Leg", f"KneePole.{s}")
    assert mapping_store.set_joint(obj, "left_leg.control", "FootIK.L") == ["right_leg.control"]
    assert mapping_store.set_joint(obj, "left_leg.pole", "KneePole.L") == ["right_leg.pole"]
    mapping = mapping_store.load_mapping(obj)
    assert mapping.ik["right_leg"].control == "FootIK.R" and mapping.ik["right_leg"].pole == "KneePole.R"
    assert mapping.ik_parts == ("legs",)
    result = retarget(WALK, rig_reader.read_armature(obj), mapping)
    assert {"FootIK.L", "FootIK.R", "KneePole.L", "KneePole.R"} <= set(result.locations)
    action = action_writer.write_action(obj, result.rotations, result.locations, frame_start=1, name="ik",
                                        bone_properties=result.properties)  # fmt: skip
    action_writer.assign(obj, action)
    frames = np.arange(0, WALK.num_frames, STEP)
    ends = {"feet": ("mixamorig:LeftFoot", "mixamorig:RightFoot", "mixamorig:LeftToeBase", "mixamorig:RightToeBase"),
            "knees": ("mixamorig:LeftLeg", "mixamorig:RightLeg")}  # fmt: skip
    worst = {}
    for part, bones in ends.items():
        got = evaluated_heads(obj, bones, frames + 1)
        want = np.stack([result.bone_heads[b][frames] for b in bones], axis=1)  # the FK pose (armature = world)
        worst[part] = np.linalg.norm(got - want, axis=-1).max()
    print(f"\nown IK controls: feet within {worst['feet'] * 100:.3f} cm, knees {worst['knees'] * 100:.3f} cm of FK")
    assert worst["feet"] < 0.01 and worst["knees"] < 0.01


def test_blender_bvh_import_of_bandai_skeleton(tmp_path):
    reset()
    skel = bandai_skeleton()
    rest = Motion(30.0, np.zeros((2, 3)), quat.identity((2, skel.num_joints)), skeleton=skel)
    path = tmp_path / "bandai.bvh"
    write_bvh(path, rest, scale="cm", up="Y")
    bpy.ops.import_anim.bvh(filepath=str(path), global_scale=0.01)
    obj = bpy.context.view_layer.objects.active
    assert obj.type == "ARMATURE" and "UpperLeg_L" in obj.data.bones
    imported = obj.animation_data.action
    before = _snapshot(imported)
    for motion in (WALK, WAVE):
        _, mapping, _ = run_and_check(obj, motion)
    assert mapping.preset == "bandai" and "spine2" not in mapping.joints
    assert _snapshot(imported) == before  # the imported Action is untouched


@pytest.mark.parametrize(
    "scheme,matrix",
    [
        ("mixamo", object_matrix(rot_x_deg=90.0, rot_z_deg=20.0, scale=0.01, loc=(1.0, -2.0, 0.0))),
        ("ue5", None),
    ],
)
def test_procedural_a_pose_rigs(scheme, matrix):
    reset()
    obj = build_armature(rows_for(scheme, scale=1.0, a_pose_deg=45.0, seed=3), scheme, matrix)
    for motion in (WALK, WAVE):
        result, mapping, _ = run_and_check(obj, motion, direct=True)
    assert mapping.preset == {"mixamo": "mixamo", "ue5": "ue5_mannequin"}[scheme]
    if scheme == "ue5":
        assert "spine_02" in result.rotations and "upperarm_twist_01_l" not in result.rotations


def test_bone_matrix_matches_blender():
    rng = np.random.default_rng(1)
    for _ in range(20):
        axis = rng.normal(size=3)
        if rng.random() < 0.2:
            axis = np.array([0.0, -1.0, 1e-5 * rng.random()])  # near Blender's -Y singularity
        roll = rng.uniform(-np.pi, np.pi)
        want = np.array(bpy.types.Bone.MatrixFromAxisRoll(axis, roll))
        assert np.allclose(bone_matrix(axis, roll), want, atol=1e-5)


def test_reader_matches_rows():
    reset()
    rows = rows_for("ue5", seed=5)
    obj = build_armature(rows, "UE")
    target = rig_reader.read_armature(obj)
    built = TargetSkeleton.from_bones(rows)
    assert sorted(target.names) == sorted(built.names)
    for name in built.names:
        a, b = target.index(name), built.index(name)
        assert np.allclose(target.rest[a], built.rest[b], atol=1e-5)
        pa, pb = target.parents[a], built.parents[b]
        assert (pa < 0 and pb < 0) or target.names[pa] == built.names[pb]


# -- bad input -------------------------------------------------------------------------------------


def test_empty_and_non_humanoid_armatures():
    reset()
    empty = build_armature([], "Empty")
    with pytest.raises(RetargetError, match="no bones"):
        rig_reader.read_armature(empty)
    chain = [(f"Bone.{i:03d}", f"Bone.{i - 1:03d}" if i else None, (0, 0, i * 0.3), (0, 0, (i + 1) * 0.3), 0.0)
             for i in range(6)]  # fmt: skip
    obj = build_armature(chain, "Tentacle")
    with pytest.raises(RetargetError, match=r"does not look humanoid.*pelvis.*edit the bone mapping") as e:
        auto_map(rig_reader.read_armature(obj))
    assert "\n" not in str(e.value)
    with pytest.raises(RetargetError, match="not an armature"):
        rig_reader.read_armature(bpy.data.objects.new("Empty object", None))


def test_bad_mappings_are_reported_before_anything_is_written():
    reset()
    obj = build_armature(rows_for("mixamo"), "Mixamo")
    target = rig_reader.read_armature(obj)
    good = auto_map(target)
    dup = BoneMapping({**good.joints, "right_knee": good.joints["left_knee"]})
    absent = BoneMapping({**good.joints, "head": "mixamorig:Hat"})
    for mapping, pattern in ((dup, "same bone for two joints.*LeftLeg"), (absent, "does not have.*Hat")):
        mapping_store.save_mapping(obj, mapping)
        count = len(bpy.data.actions)
        with pytest.raises(RetargetError, match=pattern):
            retarget(WALK, rig_reader.read_armature(obj), mapping_store.load_mapping(obj))
        assert len(bpy.data.actions) == count


def test_zero_length_bones():
    reset()
    rows = rows_for("mixamo")
    rows = [(n, p, h, h if n.endswith(("LeftToeBase", "Head")) else t, r) for n, p, h, t, r in rows]  # zero length
    obj = build_armature(rows, "Zero")
    zero_length_kept = all(row[0] in obj.data.bones for row in rows)  # Blender 4.x deletes them in Edit Mode
    if zero_length_kept:
        run_and_check(obj, WALK)  # mapped zero-length end bones still work
    reset()
    rows = rows_for("mixamo")
    knee = next(r for r in rows if r[0].endswith("LeftLeg"))
    rows = [(n, p, knee[2], t, r) if n.endswith("LeftFoot") else (n, p, h, t, r) for n, p, h, t, r in rows]
    obj = build_armature(rows, "Collapsed")
    with pytest.raises(RetargetError, match="start at the same point"):
        retarget(WALK, rig_reader.read_armature(obj), auto_map(rig_reader.read_armature(obj)))
    if not zero_length_kept:
        pytest.skip(f"Blender {bpy.app.version_string} deletes zero-length bones on leaving Edit Mode (5.0 keeps "
                    "them), so no rig can have one; only the collapsed-bone case ran")  # fmt: skip


def test_linked_armature_is_refused_and_no_action_is_left(tmp_path):
    reset()
    build_armature(rows_for("mixamo"), "LibRig")
    lib_path = str(tmp_path / "lib.blend")
    bpy.ops.wm.save_as_mainfile(filepath=lib_path)
    reset()
    with bpy.data.libraries.load(lib_path, link=True) as (src, dst):
        dst.objects = ["LibRig"]
    obj = dst.objects[0]
    bpy.context.scene.collection.objects.link(obj)
    target = rig_reader.read_armature(obj, for_writing=False)  # reading linked data is fine
    result = retarget(WALK[:5], target, auto_map(target))
    count = len(bpy.data.actions)
    with pytest.raises(RetargetError, match="linked from .*library override"):
        action_writer.write_action(obj, result.rotations, result.locations, frame_start=1, name="x")
    with pytest.raises(RetargetError, match="linked"):
        rig_reader.read_armature(obj)
    assert len(bpy.data.actions) == count


# -- grounded feet ----------------------------------------------------------------------------------

RIGIFY_FEET = {"left_ankle": "DEF-foot.L", "left_foot": "DEF-toe.L", "right_ankle": "DEF-foot.R",
               "right_foot": "DEF-toe.R"}  # fmt: skip


def _ground_check(obj, feet: dict[str, str], motion) -> float:
    """Retarget and evaluate; the largest distance (m) of a planted foot joint from its rest height."""
    target = rig_reader.read_armature(obj)
    mapping = mapping_store.load_mapping(obj) or auto_map(target)
    result = retarget(motion, target, mapping)
    action = action_writer.write_action(obj, result.rotations, result.locations, frame_start=1, name="ground",
                                        bone_properties=result.properties)  # fmt: skip
    action_writer.assign(obj, action)
    m = np.array(obj.matrix_world)
    rest = {j: (m @ np.append(obj.data.bones[b].head_local, 1.0))[2] for j, b in feet.items()}
    frames = np.arange(0, motion.num_frames, STEP)
    got = evaluated_heads(obj, list(feet.values()), frames + 1)
    z_src = motion.positions()[frames]
    worst = 0.0
    for k, j in enumerate(feet):
        dz = got[:, k, 2] - rest[j]
        assert dz.min() > -0.01, f"{j} ({feet[j]}) sinks {-dz.min() * 100:.1f} cm below its rest height"
        planted = (motion.contacts[frames, FOOT_JOINTS.index(j)] > 0.5) & (
            z_src[:, JOINT_NAMES.index(j), 2] - FOOT_REST_HEIGHTS[j] < 0.01
        )
        worst = max(worst, np.abs(dz[planted]).max())
    return worst


@pytest.mark.parametrize("rig", ["rigify", "mixamo", "canonical"])
def test_feet_stay_on_the_floor(rig, rigify_rigs):
    """Standing and walking: planted feet within 1 cm of where the rest pose has them, never below it."""
    if rig == "rigify":
        obj, feet = open_rigify(rigify_rigs, "rig"), RIGIFY_FEET
    elif rig == "mixamo":
        reset()
        obj = build_armature(rows_for("mixamo", scale=1.1, a_pose_deg=40.0), "Mixamo",
                             object_matrix(rot_x_deg=90.0, scale=0.01, loc=(0.5, 0.0, 0.0)))  # fmt: skip
        feet = {j: f"mixamorig:{s}{b}" for j, s, b in (("left_ankle", "Left", "Foot"), ("left_foot", "Left", "ToeBase"),
                ("right_ankle", "Right", "Foot"), ("right_foot", "Right", "ToeBase"))}  # fmt: skip
    else:
        reset()
        obj = canonical_armature.add_canonical_armature(bpy.context)
        feet = {j: j for j in FOOT_JOINTS}
    for motion in (WAVE, WALK):
        assert _ground_check(obj, feet, motion) < 0.01


# -- helpers ------------------------------------------------------------------------------------


def _fcurves(action):
    if hasattr(action, "layers"):
        return [
            fc for layer in action.layers for strip in layer.strips for bag in strip.channelbags for fc in bag.fcurves
        ]
    return list(action.fcurves)


def _snapshot(action):
    out = {}
    for fc in _fcurves(action):
        co = np.zeros(2 * len(fc.keyframe_points), dtype=np.float32)
        fc.keyframe_points.foreach_get("co", co)
        out[(fc.data_path, fc.array_index)] = co.tobytes()
    return out
