"""IK keys without Blender: the controls carry the FK pose (feet and hands where FK puts them, poles in the
limb's bend plane), FK bones of those limbs get no keys, and the choice round-trips through the mapping JSON.
(tests/test_addon_rigs.py checks the same on a generated Rigify rig in Blender, within 1 cm.)"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_retarget_rigs import rows_for, target_from_rows

from engine import quaternion as quat
from engine.errors import RetargetError
from engine.eval.demo_motion import walk
from engine.retarget import BoneMapping, IkControls, auto_map, parse_ik_parts, retarget

WALK = walk(seconds=2.0)
LEG = ("mixamorig:LeftUpLeg", "mixamorig:LeftLeg", "mixamorig:LeftFoot")


def rig_with_controls(local_location: bool):
    """A Mixamo-named rig plus a parentless foot control at the left ankle and a pole in front of the knee."""
    rows = rows_for("mixamo", a_pose_deg=40.0, seed=3)
    heads = {r[0]: np.array(r[2]) for r in rows}
    ankle, knee, ball = heads["mixamorig:LeftFoot"], heads["mixamorig:LeftLeg"], heads["mixamorig:LeftToeBase"]
    rows += [("FootCtrl.L", None, tuple(ankle), tuple(ankle + [0.0, 0.1, 0.0]), 0.3),
             ("ToeCtrl.L", "FootCtrl.L", tuple(ball), tuple(ball + [0.0, -0.05, 0.0]), 0.0),
             ("KneePole.L", None, tuple(knee + [0.0, -0.5, 0.0]), tuple(knee + [0.0, -0.4, 0.0]), 0.0)]  # fmt: skip
    target = target_from_rows(rows)
    flags = tuple(local_location or not n.endswith(".L") for n in target.names)
    target = dataclasses.replace(target, local_location=flags)
    mapping = auto_map(target)
    mapping.ik = {"left_leg": IkControls("FootCtrl.L", "KneePole.L", properties={})}
    return target, mapping


@pytest.mark.parametrize("local_location", [True, False])
def test_foot_control_carries_the_fk_foot_and_the_pole_sits_in_the_bend_plane(local_location):
    target, mapping = rig_with_controls(local_location)
    fk = retarget(WALK, target, dataclasses.replace(mapping, ik_parts=()))
    ik = retarget(WALK, target, mapping)
    assert all(np.allclose(ik.rotations[b], fk.rotations[b]) for b in LEG)  # the IK's own bones keep their keys
    assert "FootCtrl.L" in ik.rotations and "KneePole.L" not in ik.rotations
    c, rest_rot = target.index("FootCtrl.L"), target.rest_rotations
    frame = rest_rot[c] if local_location else quat.identity()
    head = target.heads[c] + quat.rotate(frame, ik.locations["FootCtrl.L"])
    assert np.abs(head - fk.joint_positions["left_ankle"]).max() < 1e-6  # the control is where the FK ankle is
    foot = target.index("mixamorig:LeftFoot")
    turn_foot = quat.multiply(fk.bone_orientations["mixamorig:LeftFoot"], quat.conjugate(rest_rot[foot]))
    turn_ctrl = quat.multiply(quat.multiply(rest_rot[c], ik.rotations["FootCtrl.L"]), quat.conjugate(rest_rot[c]))
    assert np.degrees(quat.angle_between(turn_foot, turn_ctrl)).max() < 1e-4  # and turned as the foot is
    p = target.index("KneePole.L")
    frame = rest_rot[p] if local_location else quat.identity()
    pole = target.heads[p] + quat.rotate(frame, ik.locations["KneePole.L"])
    h, k, a = (fk.joint_positions[f"left_{j}"] for j in ("hip", "knee", "ankle"))
    normal = np.cross(k - h, a - h)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    assert np.abs(np.sum((pole - k) * normal, axis=-1)).max() < 1e-6  # in the plane of hip, knee and ankle
    axis = (a - h) / np.linalg.norm(a - h, axis=-1, keepdims=True)
    bend = (k - h) - np.sum((k - h) * axis, axis=-1, keepdims=True) * axis
    assert (np.sum((pole - k) * bend, axis=-1) > 0).all()  # on the side the knee points to
    # the rest of the body is keyed exactly as before
    for bone, q in fk.rotations.items():
        assert np.allclose(ik.rotations[bone], q)


def test_separate_fk_controls_of_an_ik_limb_get_no_keys():
    """A control rig (pose read back from other bones, as Rigify's ORG bones): its FK controls of an IK limb go
    unkeyed; the toe, which has no IK-side bone here, keeps its key."""
    target, mapping = rig_with_controls(True)
    mapping.readers = {j: "mixamorig:Hips" for j in ("left_hip", "left_knee", "left_ankle", "left_foot")}
    keys = retarget(WALK, target, mapping).rotations
    assert not any(b in keys for b in LEG) and "mixamorig:LeftToeBase" in keys
    mapping.ik["left_leg"].follow = {"left_foot": "ToeCtrl.L"}  # an IK-side toe bone carries the toe instead
    keys = retarget(WALK, target, mapping).rotations
    assert "mixamorig:LeftToeBase" not in keys and "ToeCtrl.L" in keys
    mapping.ik["left_leg"].follow, mapping.ik["left_leg"].rest = {}, ("ToeCtrl.L",)  # a control kept at rest
    result = retarget(WALK, target, mapping)
    assert np.allclose(result.rotations["ToeCtrl.L"], [1.0, 0.0, 0.0, 0.0]) and not result.locations["ToeCtrl.L"].any()


def test_ik_choice_round_trips_and_is_checked():
    target, mapping = rig_with_controls(True)
    mapping.ik["left_leg"].properties = {"mixamorig:Hips": {"IK_FK": 0.0}}
    mapping.ik_parts = ("legs", "arms")
    assert BoneMapping.from_json(mapping.to_json()) == mapping
    assert BoneMapping.from_dict({"joints": {}}).ik_parts == ("legs",)  # older stored mappings: IK legs
    assert parse_ik_parts("legs,arms") == ("legs", "arms") and parse_ik_parts("none") == ()
    assert parse_ik_parts(" Arms ") == ("arms",)
    with pytest.raises(RetargetError, match="legs, arms, legs,arms or none"):
        parse_ik_parts("hands")
    bad = dataclasses.replace(mapping, ik={"left_leg": IkControls("NoSuchBone")})
    with pytest.raises(RetargetError, match="'NoSuchBone' \\(IK control of the left leg\\)"):
        bad.validate(target)
    with pytest.raises(RetargetError, match="unknown IK limbs or parts 'tail'"):
        dataclasses.replace(mapping, ik_parts=("tail",)).validate(target)


def test_rigs_without_ik_controls_key_fk_whatever_the_choice():
    target, mapping = rig_with_controls(True)
    plain = dataclasses.replace(mapping, ik={})
    a = retarget(WALK, target, plain)
    b = retarget(WALK, target, dataclasses.replace(plain, ik_parts=()))
    assert a.rotations.keys() == b.rotations.keys() and a.locations.keys() == b.locations.keys()
