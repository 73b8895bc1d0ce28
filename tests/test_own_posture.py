"""Own libraries keep their posture: a rig's curved rest spine and its own flat-foot angle map to the canonical ones.

The rigs are made here: the canonical skeleton with a Character-Creator-like
S-curved spine and a foot that points 11 degrees below horizontal when flat
(the canonical flat foot points 39.6 degrees down), and a library whose files
have their offsets in bone-local axes where only one file starts with its
T-pose (as in the CMU conversions).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_own_library import MIXAMO, assert_same_motion, lying_with_tpose_frame

from engine import quaternion as quat
from engine.eval import demo_motion
from engine.io.bvh import write_bvh
from engine.motion import Motion
from engine.retarget import TargetSkeleton, auto_map
from engine.skeleton import CANONICAL, JOINT_NAMES, Skeleton
from engine.training.bvh_library import LibraryRests, list_bvh, read_library_clip
from engine.training.posture import stance_problem

IX = {n: i for i, n in enumerate(JOINT_NAMES)}
FORWARD_TILT = {"spine1": 10.0, "spine2": 36.0, "spine3": -20.0}  # degrees; the neck tilts back to balance them


def curved_rig() -> Skeleton:
    """Canonical bones, but an S-curved spine whose pelvis-neck line stays vertical and feet 11 degrees from flat."""
    off = CANONICAL.offsets.copy()
    ahead = 0.0
    for joint, deg in FORWARD_TILT.items():
        off[IX[joint]] = quat.rotate(quat.from_axis_angle(np.array([np.radians(deg), 0.0, 0.0])), off[IX[joint]])
        ahead += -off[IX[joint], 1]
    neck = np.linalg.norm(off[IX["neck"]])
    off[IX["neck"]] = (0.0, ahead, np.sqrt(neck**2 - ahead**2))
    for side in ("left", "right"):
        foot = np.linalg.norm(off[IX[f"{side}_foot"]])
        off[IX[f"{side}_foot"]] = (0.0, -foot * np.cos(np.radians(11.0)), -foot * np.sin(np.radians(11.0)))
    return Skeleton(tuple(MIXAMO[n] for n in JOINT_NAMES), CANONICAL.parents, off)


def test_a_curved_spine_and_steep_feet_stand_as_the_canonical_pose(tmp_path):
    """Standing in the rig's rest pose gives the canonical rest (straight spine, flat feet); a bend carries over."""
    frames = 20
    rot = quat.identity((frames, len(JOINT_NAMES)))
    rot[10:, IX["spine1"]] = quat.from_axis_angle(np.array([np.radians(30.0), 0.0, 0.0]))
    root = np.tile([0.0, 0.0, 1.0], (frames, 1))
    path = tmp_path / "stand_then_bow.bvh"
    write_bvh(path, Motion(30.0, root, rot, skeleton=curved_rig()))
    got, _ = read_library_clip(path)
    standing = quat.angle_between(got.rotations[:10, 1:], quat.identity((10, len(JOINT_NAMES) - 1)))
    assert np.degrees(standing).max() < 0.5  # every joint at rest: spine straight, ankles at the canonical angle
    pos = got.positions()
    foot = pos[:10, IX["left_foot"]] - pos[:10, IX["left_ankle"]]
    assert np.degrees(np.arcsin(-foot[:, 2] / np.linalg.norm(foot, axis=-1))) == pytest.approx(39.6, abs=0.3)
    bent = np.degrees(quat.angle_between(got.rotations[10:], quat.identity((10, len(JOINT_NAMES)))))
    assert bent[:, IX["spine1"]] == pytest.approx(30.0, abs=0.5)
    assert np.delete(bent[:, 1:], IX["spine1"] - 1, axis=1).max() < 0.5  # the rest of the body just follows


def test_stance_check_takes_t_and_a_poses_only():
    heads = CANONICAL.rest_positions()

    def problem(positions: np.ndarray) -> str | None:
        rows = [(n, None if p < 0 else JOINT_NAMES[p], tuple(positions[j]), tuple(positions[j] + [0.0, 0.0, 0.05]), 0.0)
                for j, (n, p) in enumerate(zip(JOINT_NAMES, CANONICAL.parents, strict=True))]  # fmt: skip
        skeleton = TargetSkeleton.from_bones(rows)
        return stance_problem(skeleton, auto_map(skeleton))

    assert problem(heads) is None
    a_pose = CANONICAL.forward_kinematics(pose_arms(45.0), np.zeros(3))[0]
    assert problem(a_pose) is None
    assert "arm" in problem(CANONICAL.forward_kinematics(pose_arms(85.0), np.zeros(3))[0])
    knee = quat.identity((len(JOINT_NAMES),))
    knee[IX["left_knee"]] = quat.from_axis_angle(np.array([np.radians(-40.0), 0.0, 0.0]))
    assert "left leg" in problem(CANONICAL.forward_kinematics(knee, np.zeros(3))[0])


def pose_arms(down_deg: float) -> np.ndarray:
    rot = quat.identity((len(JOINT_NAMES),))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        rot[IX[f"{side}_shoulder"]] = quat.from_axis_angle(np.array([0.0, sign * np.radians(down_deg), 0.0]))
    return rot


def test_a_clip_without_a_t_pose_frame_borrows_its_rigs_rest_pose(tmp_path):
    """Offsets in bone-local axes and no T-pose in this file: frame 0 of another file of the rig is the rest pose."""
    lib = tmp_path / "lib"
    lib.mkdir()
    write_bvh(lib / "a_tpose.bvh", lying_with_tpose_frame(demo_motion.wave(seconds=1.0, fps=25.0)))
    walk = demo_motion.walk(seconds=2.0, fps=25.0)
    lying = lying_with_tpose_frame(walk)
    no_tpose = Motion(lying.fps, lying.root_translation, lying.rotations.copy(), skeleton=lying.skeleton)
    no_tpose.rotations[0] = no_tpose.rotations[1]  # the file starts walking
    write_bvh(lib / "b_walk.bvh", no_tpose)
    rests = LibraryRests(list_bvh(lib), None, rest_frame=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, _ = read_library_clip(lib / "b_walk.bvh", rest_frame=0, rests=rests)
    assert any("rest pose from a_tpose.bvh" in str(w.message) for w in caught)
    assert_same_motion(got, walk)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_library_clip(lib / "b_walk.bvh", rest_frame=0)  # alone: its walking frame is the rest pose
    assert any("copied unconformed" in str(w.message) for w in caught)
    write_bvh(lib / "c_walk_rooted.bvh", with_root_bone(no_tpose))  # a bone the lender lacks does not matter
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, _ = read_library_clip(lib / "c_walk_rooted.bvh", rest_frame=0, rests=rests)
    assert any("rest pose from a_tpose.bvh" in str(w.message) for w in caught)
    assert_same_motion(got, walk)


def with_root_bone(motion: Motion) -> Motion:
    """The same motion under an extra root bone above the pelvis (as some exporters write)."""
    sk = motion.skeleton
    skeleton = Skeleton(
        ("Root", *sk.names), (-1, *(p + 1 for p in sk.parents)), np.vstack([np.zeros((1, 3)), sk.offsets])
    )
    rotations = np.concatenate([quat.identity((motion.num_frames, 1)), motion.rotations], axis=1)
    return Motion(motion.fps, motion.root_translation, rotations, skeleton=skeleton)
