"""addon.action_writer and addon.mapping_store in bpy: new Actions only, all or nothing, both Action APIs."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from addon import action_writer, mapping_store  # noqa: E402
from engine import quaternion as quat  # noqa: E402
from engine.errors import RetargetError  # noqa: E402
from engine.retarget import BoneMapping  # noqa: E402


@pytest.fixture
def rig():
    """Three bones; 'b' rotates in XYZ Euler; the user keyed 'a' by hand in their own Action."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    arm = bpy.data.armatures.new("Rig")
    obj = bpy.data.objects.new("Rig", arm)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for i, name in enumerate(("a", "b", 'odd "name"')):
        eb = arm.edit_bones.new(name)
        eb.head, eb.tail = (0, 0, i), (0, 0, i + 1)
        if i:
            eb.parent = arm.edit_bones[("a", "b")[i - 1]]
    bpy.ops.object.mode_set(mode="OBJECT")
    obj.pose.bones["b"].rotation_mode = "XYZ"
    obj.pose.bones["a"]["IK_FK"] = 0.0
    obj.pose.bones["a"].rotation_quaternion = (0.9, 0.1, 0.0, 0.0)
    obj.pose.bones["a"].keyframe_insert("rotation_quaternion", frame=1)
    obj.animation_data.action.name = "UserKeys"
    return obj


def channels(n=12):
    t = np.linspace(0, 1, n)[:, None]
    rot = quat.from_axis_angle(np.concatenate([t, 0.5 * t, 0 * t], axis=1))
    return {"a": rot, "b": rot[::-1].copy(), 'odd "name"': rot}, {"a": np.concatenate([t, 2 * t, 3 * t], axis=1)}


def fcurves(action):
    if hasattr(action, "layers"):
        return [fc for layer in action.layers for s in layer.strips for bag in s.channelbags for fc in bag.fcurves]
    return list(action.fcurves)


def test_writes_a_new_action_and_leaves_the_users_alone(rig):
    user = rig.animation_data.action
    user_values = [tuple(k.co) for fc in fcurves(user) for k in fc.keyframe_points]
    rotations, locations = channels()
    action = action_writer.write_action(
        rig, rotations, locations, frame_start=10, name="walk", properties={"seed": np.int64(7), "request": "{}"},
        bone_properties={"a": {"IK_FK": 1.0}},
    )  # fmt: skip
    assert action is not user and action.name == "walk"
    assert action["seed"] == 7 and action["request"] == "{}"
    assert rig.animation_data.action is user  # assigning is the caller's choice
    assert [tuple(k.co) for fc in fcurves(user) for k in fc.keyframe_points] == user_values
    curves = {(fc.data_path, fc.array_index): fc for fc in fcurves(action)}
    assert len(curves) == 3 * 4 + 3 + 1
    fc = curves[('pose.bones["b"].rotation_quaternion', 2)]
    co = np.zeros(2 * 12, dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    assert np.allclose(co[0::2], np.arange(10, 22)) and np.allclose(co[1::2], rotations["b"][:, 2], atol=1e-6)
    assert ('pose.bones["odd \\"name\\""].rotation_quaternion', 0) in curves
    assert fc.group.name == "b"
    if hasattr(action, "slots"):
        assert len(action.slots) == 1 and action.slots[0].target_id_type == "OBJECT"
    # rotation modes: only keyed non-quaternion bones change
    assert rig.pose.bones["b"].rotation_mode == "QUATERNION"
    action_writer.assign(rig, action)
    bpy.context.scene.frame_set(15)
    assert rig.pose.bones["a"]["IK_FK"] == pytest.approx(1.0)
    assert np.allclose(rig.pose.bones["a"].location, locations["a"][5], atol=1e-5)


def test_a_bone_keyed_only_at_rest_keeps_its_rotation_mode(rig):
    """An Euler control held at rest (Rigify's heel roll while the legs are keyed on IK) gets zero Euler keys;
    the same bone keyed off rest switches to quaternions."""
    rotations, locations = channels()
    rig.pose.bones["b"].rotation_euler = (0.5, 0.0, 0.0)
    at_rest = {**rotations, "b": quat.identity((12,))}
    action = action_writer.write_action(rig, at_rest, locations, frame_start=1, name="rest")
    paths = {fc.data_path for fc in fcurves(action)}
    assert 'pose.bones["b"].rotation_euler' in paths and 'pose.bones["b"].rotation_quaternion' not in paths
    assert rig.pose.bones["b"].rotation_mode == "XYZ"
    action_writer.assign(rig, action)
    bpy.context.scene.frame_set(3)
    assert tuple(rig.pose.bones["b"].rotation_euler) == (0.0, 0.0, 0.0)
    action_writer.write_action(rig, rotations, locations, frame_start=1, name="moving")
    assert rig.pose.bones["b"].rotation_mode == "QUATERNION"


def test_failure_midway_leaves_no_action_and_restores_modes(rig, monkeypatch):
    rotations, locations = channels()
    before = set(bpy.data.actions)
    real, calls = action_writer._fill, []

    def flaky(fc, frames, values):
        calls.append(1)
        if len(calls) == 6:
            raise RuntimeError("disk full")
        real(fc, frames, values)

    monkeypatch.setattr(action_writer, "_fill", flaky)
    with pytest.raises(RuntimeError):
        action_writer.write_action(rig, rotations, locations, frame_start=1, name="broken")
    assert set(bpy.data.actions) == before
    assert rig.pose.bones["b"].rotation_mode == "XYZ"

    monkeypatch.setattr(action_writer, "_id_property", lambda v: (_ for _ in ()).throw(TypeError("bad")))
    with pytest.raises(TypeError):
        action_writer.write_action(rig, rotations, locations, frame_start=1, name="broken", properties={"x": 1})
    assert set(bpy.data.actions) == before
    assert rig.pose.bones["b"].rotation_mode == "XYZ"


def test_bad_input_is_refused_before_writing(rig):
    rotations, locations = channels()
    before = set(bpy.data.actions)
    bad = [
        ({**rotations, "ghost": rotations["a"]}, locations, None, "no bones named 'ghost'"),
        ({"a": rotations["a"][:, :3]}, locations, None, r"must be \(frames, 4\)"),
        ({"a": rotations["a"] * np.nan}, locations, None, "NaN"),
        ({"a": rotations["a"][:5]}, locations, None, "same number of frames"),
        (rotations, locations, {"a": {"missing_prop": 1.0}}, "no custom property 'missing_prop'"),
        ({}, {}, None, "nothing to key"),
    ]
    for rot, loc, props, pattern in bad:
        with pytest.raises(RetargetError, match=pattern):
            action_writer.write_action(rig, rot, loc, frame_start=1, name="x", bone_properties=props)
    assert set(bpy.data.actions) == before
    assert rig.pose.bones["b"].rotation_mode == "XYZ"


class _Points:
    def __init__(self):
        self.data = {}
        self.n = 0

    def add(self, n):
        self.n += n

    def foreach_set(self, attr, values):
        self.data[attr] = np.array(values)


class _Curve:
    def __init__(self, path, index, group):
        self.data_path, self.array_index, self.group = path, index, group
        self.keyframe_points, self.updated = _Points(), False

    def update(self):
        self.updated = True


class _LegacyAction:
    """Blender 4.2's Action: F-curves directly on the Action, groups by name."""

    def __init__(self):
        outer = self

        class Curves(list):
            def new(self, data_path, index=0, action_group=""):
                fc = _Curve(data_path, index, action_group)
                outer.fcurves.append(fc)
                return fc

        self.fcurves = Curves()


def test_legacy_action_api(rig):
    action = _LegacyAction()
    curves = action_writer._FCurves(action, rig)
    fc = curves.new("b", "rotation_quaternion", 3)
    action_writer._fill(fc, np.arange(1, 4, dtype=np.float32), np.array([0.1, 0.2, 0.3], dtype=np.float32))
    assert not curves.slotted and fc.group == "b" and fc.data_path == 'pose.bones["b"].rotation_quaternion'
    assert fc.keyframe_points.n == 3 and fc.updated
    assert np.allclose(fc.keyframe_points.data["co"], [1, 0.1, 2, 0.2, 3, 0.3])
    prop = curves.new("a", (action_writer._CUSTOM, "IK_FK"), 0)
    assert prop.data_path == 'pose.bones["a"]["IK_FK"]'


def test_mapping_is_stored_on_the_armature(rig):
    assert mapping_store.load_mapping(rig) is None
    mapping = BoneMapping({"pelvis": "a", "spine1": "b"}, root_bone="a", properties={"a": {"IK_FK": 1.0}})
    mapping_store.save_mapping(rig, mapping)
    assert isinstance(rig[mapping_store.PROP_MAPPING], str)
    assert mapping_store.load_mapping(rig) == mapping
    rig[mapping_store.PROP_MAPPING] = "{broken"
    with pytest.raises(RetargetError, match="not valid JSON"):
        mapping_store.load_mapping(rig)
    mapping_store.clear_mapping(rig)
    assert mapping_store.load_mapping(rig) is None
