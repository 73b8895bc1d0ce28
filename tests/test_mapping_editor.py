"""The mapping editor's engine side (no Blender): rows in plain words with a confidence, mirrored completion,
mapping from the skeleton's shape when names say nothing, and mapping preset files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_retarget_engine import WALK, max_error
from test_retarget_rigs import cc_rows, object_matrix, rows_for, stretched_arms, target_from_rows

from engine.errors import OutputError, RetargetError
from engine.retarget import (
    BoneMapping,
    auto_map,
    complete_mirrored,
    fit_mapping,
    read_mapping_file,
    retarget,
    review,
    shape_mapping,
    write_mapping_file,
)


def numbered(rows, seed=1):
    """The rig's bones renamed b00, b01, ... in a shuffled order; and the way back to the old names."""
    order = np.random.default_rng(seed).permutation(len(rows))
    names = {r[0]: f"b{i:02d}" for i, r in zip(order, rows, strict=True)}
    return [(names[n], names.get(p), h, t, r) for n, p, h, t, r in rows], {v: k for k, v in names.items()}


RIGS = {
    "mixamo": (rows_for("mixamo"), None),
    "ue5 (root, twist bones)": (rows_for("ue5", a_pose_deg=10.0, seed=5), object_matrix(0.0, -70.0, 2.5)),
    "mixamo A-pose, 0.01, rotated": (rows_for("mixamo", scale=1.1, a_pose_deg=40.0, seed=2),
                                     object_matrix(rot_x_deg=90.0, rot_z_deg=25.0, scale=0.01)),
    "with a footsteps bone on the floor (3ds Max Biped)": (
        [*rows_for("mixamo", seed=6), ("Footsteps", "mixamorig:Hips", (0.0, 0.0, 0.0), (0.0, -0.2, 0.0), 0.0)], None),
    "character creator": (cc_rows(stretched_arms(rows_for("mixamo", scale=1.1, a_pose_deg=40.0, seed=2), 0.88)), None),
}  # fmt: skip


@pytest.mark.parametrize("name", RIGS)
def test_bones_with_meaningless_names_map_from_the_skeleton_shape(name):
    rows, matrix = RIGS[name]
    known = auto_map(target_from_rows(rows, matrix))
    renamed, back = numbered(rows)
    target = target_from_rows(renamed, matrix)
    mapping = auto_map(target)
    assert mapping.preset == "shape" and set(mapping.sources.values()) == {"shape"}
    assert {j: back[b] for j, b in mapping.joints.items()} == known.joints  # the same bones the names give
    assert max_error(WALK, target, mapping, retarget(WALK, target, mapping)) < 0.03


def test_shape_mapping_of_something_else_is_empty_not_an_error():
    rows = [
        (f"c{i}", f"c{i - 1}" if i else None, (0.0, 0.0, 0.1 * i), (0.0, 0.0, 0.1 * i + 0.1), 0.0) for i in range(12)
    ]
    assert shape_mapping(target_from_rows(rows)).joints == {}
    with pytest.raises(RetargetError, match="does not look humanoid"):
        auto_map(target_from_rows(rows))


@pytest.mark.parametrize("renamed", [False, True])
def test_map_the_left_side_and_the_right_follows(renamed):
    rows = rows_for("mixamo", a_pose_deg=30.0, seed=4)
    back = {r[0]: r[0] for r in rows}  # new name -> Mixamo name
    if renamed:  # no side markers: found by place
        rows, back = numbered(rows, seed=2)
    target = target_from_rows(rows)
    full = auto_map(target)
    left_only = BoneMapping({j: b for j, b in full.joints.items() if not j.startswith("right_")})
    filled = complete_mirrored(target, left_only)
    assert sorted(filled) == sorted(j for j in full.joints if j.startswith("right_"))
    assert left_only.joints == full.joints and {left_only.sources[j] for j in filled} == {"mirror"}
    # picking another left bone moves its mirrored twin along; a twin the animator picked stays
    finger = {back[r[0]]: r[0] for r in rows}
    left_only.joints["left_wrist"] = finger["mixamorig:LeftHandIndex1"]
    assert complete_mirrored(target, left_only, only="left_wrist") == ["right_wrist"]
    assert back[left_only.joints["right_wrist"]] == "mixamorig:RightHandIndex1"
    left_only.sources["right_knee"] = "picked"
    left_only.joints["right_knee"] = full.joints["right_ankle"]
    assert complete_mirrored(target, left_only, only="left_knee") == []
    assert back[left_only.joints["right_knee"]] == back[full.joints["right_ankle"]]


def test_rows_read_as_body_parts_with_how_sure_we_are():
    target = target_from_rows(rows_for("mixamo"))
    rows = {r.joint: r for r in review(target, auto_map(target))}
    assert rows["left_shoulder"].describe() == "Left upper arm → mixamorig:LeftArm"
    assert rows["pelvis"].describe() == "Hips → mixamorig:Hips" and rows["right_foot"].label == "Right toes"
    assert all(r.confidence == 1.0 and r.source == "known rig" and not r.problems for r in rows.values())
    swapped = auto_map(target)
    for j in ("knee", "ankle"):  # left and right swapped below the hips
        swapped.joints[f"left_{j}"], swapped.joints[f"right_{j}"] = (
            swapped.joints[f"right_{j}"],
            swapped.joints[f"left_{j}"],
        )
    swapped.joints.pop("neck")
    rows = {r.joint: r for r in review(target, swapped)}
    assert rows["left_knee"].problems == ("on the right side",) and rows["left_knee"].confidence == 0.5
    assert rows["neck"].bone is None and rows["neck"].confidence == 0.0 and rows["neck"].describe() == "Neck → (none)"
    older = BoneMapping.from_dict({k: v for k, v in auto_map(target).to_dict().items() if k != "sources"})
    assert {r.source for r in review(target, older)} == {"known rig"}  # stored before sources existed
    shape = {r.joint: r for r in review(target, shape_mapping(target))}
    assert shape["left_wrist"].source == "skeleton shape" and shape["left_wrist"].confidence == 0.8


def test_mapping_files_carry_a_mapping_to_a_library_of_rigs(tmp_path):
    target = target_from_rows(rows_for("mixamo"))
    mapping = auto_map(target)
    mapping.ik_parts = ("arms",)
    path = write_mapping_file(tmp_path / "mixamo.json", mapping)
    assert json.loads(path.read_text())["format"] == "motion_composer.bone_mapping"
    with pytest.raises(OutputError):
        write_mapping_file(path, mapping)  # never replaced unasked
    write_mapping_file(path, mapping, overwrite=True)
    # another character of the library: the same bones under another namespace
    other = target_from_rows([(n.replace("mixamorig:", "mixamorig1:"), p and p.replace("mixamorig:", "mixamorig1:"),
                               h, t, r) for n, p, h, t, r in rows_for("mixamo", scale=0.9, seed=8)])  # fmt: skip
    fitted = fit_mapping(read_mapping_file(path), other)
    assert fitted.joints["left_wrist"] == "mixamorig1:LeftHand" and fitted.ik_parts == ("arms",)
    assert set(fitted.sources.values()) == {"file"}
    with pytest.raises(RetargetError, match=r"does not have: 'mixamorig:\w+', .* and \d+ more; it was made for a rig"):
        fit_mapping(read_mapping_file(path), target_from_rows(rows_for("ue5")))
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "other.json").write_text('{"joints": {}}')
    for name, pattern in (("bad.json", "not valid JSON"), ("other.json", "not a Motion Composer bone mapping"),
                          ("missing.json", "does not exist")):  # fmt: skip
        with pytest.raises(RetargetError, match=pattern):
            read_mapping_file(tmp_path / name)
