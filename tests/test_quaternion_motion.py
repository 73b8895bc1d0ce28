"""Foundation pieces: quaternion helpers, canonical-skeleton FK and the Motion type."""

from __future__ import annotations

import numpy as np
import pytest

from engine import quaternion as quat
from engine.motion import Motion
from engine.skeleton import CANONICAL, MIRROR, Skeleton

RNG = np.random.default_rng(0)


def about(axis: str, degrees: float) -> np.ndarray:
    v = np.zeros(3)
    v["xyz".index(axis)] = np.deg2rad(degrees)
    return quat.from_axis_angle(v)


def same_rotation(a, b, tol=1e-9) -> bool:
    return bool(np.all(quat.angle_between(a, b) < tol))


def random_motion(frames=31, fps=30.0, contacts=False) -> Motion:
    rot = quat.from_axis_angle(RNG.normal(0.0, 0.6, (frames, CANONICAL.num_joints, 3)))
    root = np.cumsum(RNG.normal(0.0, 0.02, (frames, 3)), axis=0) + [0.0, 0.0, 0.9]
    c = RNG.uniform(size=(frames, 4)) if contacts else None
    return Motion(fps, root, rot, contacts=c)


# ---------------------------------------------------------------- quaternions


def test_normalize():
    q = RNG.normal(size=(50, 4)) * 3.0
    n = quat.normalize(q)
    assert np.allclose(np.linalg.norm(n, axis=-1), 1.0)
    assert np.allclose(n * np.linalg.norm(q, axis=-1, keepdims=True), q)  # same direction
    assert np.array_equal(quat.normalize(np.zeros((2, 4))), quat.identity((2,)))


def test_multiply_and_rotate_agree_with_matrices():
    a, b = quat.normalize(RNG.normal(size=(2, 20, 4)))
    v = RNG.normal(size=(20, 3))
    ma, mb = quat.to_matrix(a), quat.to_matrix(b)
    assert np.allclose(quat.to_matrix(quat.multiply(a, b)), ma @ mb)
    assert np.allclose(quat.rotate(a, v), np.einsum("nij,nj->ni", ma, v))
    assert np.allclose(quat.rotate(quat.multiply(a, quat.inverse(a)), v), v)
    assert np.allclose(quat.rotate(about("z", 90), [1.0, 0.0, 0.0]), [0.0, 1.0, 0.0])  # right-handed, active


def test_matrix_round_trip():
    q = quat.normalize(RNG.normal(size=(100, 4)))
    assert same_rotation(quat.from_matrix(quat.to_matrix(q)), q, 1e-7)
    assert np.all(quat.from_matrix(quat.to_matrix(q))[:, 0] >= 0)


def test_slerp_endpoints_and_midpoint():
    a, b = quat.normalize(RNG.normal(size=(2, 30, 4)))
    assert same_rotation(quat.slerp(a, b, 0.0), a, 1e-7)
    assert same_rotation(quat.slerp(a, b, 1.0), b, 1e-7)
    mid = quat.slerp(a, b, 0.5)
    assert np.allclose(quat.angle_between(a, mid), quat.angle_between(mid, b))
    assert np.allclose(quat.angle_between(a, mid), 0.5 * quat.angle_between(a, b))
    assert same_rotation(quat.slerp(a, -b, 0.3), quat.slerp(a, b, 0.3), 1e-7)  # short arc either sign
    assert same_rotation(quat.slerp(a, a, 0.4), a, 1e-7)  # identical inputs do not divide by zero


def test_6d_round_trip():
    q = quat.normalize(RNG.normal(size=(100, 4)))
    r6 = quat.to_6d(q)
    assert r6.shape == (100, 6)
    assert same_rotation(quat.from_6d(r6), q, 1e-7)
    noisy = r6 * 2.5 + RNG.normal(0.0, 1e-3, r6.shape)  # unnormalised network output
    assert np.all(quat.angle_between(quat.from_6d(noisy), q) < 5e-3)


def test_axis_angle_round_trip():
    v = RNG.normal(size=(100, 3))
    v *= (RNG.uniform(0.0, np.pi - 1e-3, (100, 1))) / np.linalg.norm(v, axis=-1, keepdims=True)
    v[0] = 0.0
    q = quat.from_axis_angle(v)
    assert np.allclose(np.linalg.norm(q, axis=-1), 1.0)
    assert np.allclose(quat.to_axis_angle(q), v, atol=1e-9)
    assert np.allclose(quat.angle_between(quat.identity(), q), np.linalg.norm(v, axis=-1))


def test_continuous_removes_sign_flips():
    q = quat.slerp(quat.identity(), about("z", 170), np.linspace(0, 1, 20)[:, None])
    flipped = q * np.where(np.arange(20) % 2, -1.0, 1.0)[:, None]
    fixed = quat.continuous(flipped)
    assert np.all(np.sum(fixed[1:] * fixed[:-1], axis=-1) > 0)
    assert same_rotation(fixed, q)


# ---------------------------------------------------------------- forward kinematics


def chain_sum(*names: str) -> np.ndarray:
    return sum(CANONICAL.offsets[CANONICAL.index(n)] for n in names)


def test_canonical_rest_pose():
    rest = CANONICAL.rest_positions()
    assert np.allclose(rest[0], 0.0)
    assert np.allclose(
        rest[CANONICAL.index("left_foot")], chain_sum("left_hip", "left_knee", "left_ankle", "left_foot")
    )
    arm = ("spine1", "spine2", "spine3", "left_collar", "left_shoulder", "left_elbow", "left_wrist")
    assert np.allclose(rest[CANONICAL.index("left_wrist")], chain_sum(*arm))
    # T-pose, Z up, facing -Y, left on +X
    assert rest[CANONICAL.index("head")][2] > 0.4 > -0.8 > rest[CANONICAL.index("left_ankle")][2]
    assert rest[CANONICAL.index("left_wrist")][0] > 0.5 and rest[CANONICAL.index("right_wrist")][0] < -0.5
    assert rest[CANONICAL.index("left_foot")][1] < rest[CANONICAL.index("left_ankle")][1]  # toes point to -Y
    assert np.allclose(rest[:, 0], -rest[list(MIRROR), 0]) and np.allclose(rest[:, 1:], rest[list(MIRROR), 1:])


def test_fk_hand_computed_pose():
    """Root turned 90 degrees left and moved; left arm raised forward at the shoulder, elbow bent down."""
    j = CANONICAL.index
    rot = quat.identity((CANONICAL.num_joints,))
    rot[0] = about("z", 90)  # (x, y, z) -> (-y, x, z)
    rot[j("left_shoulder")] = about("z", -90)  # (x, y, z) -> (y, -x, z): the arm points to -Y (forward)
    rot[j("left_elbow")] = about("y", 90)  # (x, y, z) -> (z, y, -x)
    root = np.array([1.0, 2.0, 3.0])
    pos, world = CANONICAL.forward_kinematics(rot, root)

    def turn(v):  # the root's 90-degree turn about +Z
        return np.array([-v[1], v[0], v[2]])

    o = CANONICAL.offsets
    assert np.allclose(pos[0], root)
    assert np.allclose(pos[j("left_hip")], root + turn(o[j("left_hip")]))
    shoulder = root + turn(chain_sum("spine1", "spine2", "spine3", "left_collar", "left_shoulder"))
    assert np.allclose(pos[j("left_shoulder")], shoulder)
    ex, ey, ez = o[j("left_elbow")]
    elbow = shoulder + turn(np.array([ey, -ex, ez]))  # shoulder turn, then root turn
    assert np.allclose(pos[j("left_elbow")], elbow)
    wx, wy, wz = o[j("left_wrist")]
    # elbow turn (z, y, -x), then the shoulder's (y, -x, z), then the root's
    assert np.allclose(pos[j("left_wrist")], elbow + turn(np.array([wy, -wz, -wx])))
    assert abs(o[j("left_wrist")][0]) > 0.1 and np.allclose(pos[j("left_wrist")][:2], elbow[:2])  # forearm hangs down
    expected = quat.multiply(quat.multiply(rot[0], rot[j("left_shoulder")]), rot[j("left_elbow")])
    assert same_rotation(world[j("left_wrist")], expected)
    # a batch of frames gives the same answer frame by frame
    batch, _ = CANONICAL.forward_kinematics(np.stack([rot, rot]), np.stack([root, root]))
    assert np.allclose(batch, pos[None])


def test_skeleton_rejects_child_before_parent():
    with pytest.raises(ValueError, match="parent"):
        Skeleton(("a", "b"), (1, -1), np.zeros((2, 3)))


# ---------------------------------------------------------------- Motion


def test_motion_validates_shapes():
    with pytest.raises(ValueError, match="rotations"):
        Motion(30.0, np.zeros((5, 3)), np.zeros((5, 21, 4)))
    with pytest.raises(ValueError, match="root_translation"):
        Motion(30.0, np.zeros((4, 3)), quat.identity((5, 22)))
    with pytest.raises(ValueError, match="fps"):
        Motion(0.0, np.zeros((5, 3)), quat.identity((5, 22)))


@pytest.mark.parametrize("fps", [20.0, 60.0, 24.0])
def test_resample_keeps_endpoints_and_duration(fps):
    motion = random_motion(frames=31, fps=30.0, contacts=True)  # exactly 1 s
    out = motion.resample(fps)
    assert out.fps == fps and out.duration == pytest.approx(motion.duration)
    assert out.num_frames == int(fps) + 1
    assert np.allclose(out.root_translation[[0, -1]], motion.root_translation[[0, -1]])
    assert same_rotation(out.rotations[[0, -1]], motion.rotations[[0, -1]], 1e-7)
    assert out.contacts.shape == (out.num_frames, 4)


def test_resample_interpolates_between_frames():
    motion = random_motion(frames=11, fps=10.0)
    out = motion.resample(20.0)
    assert np.allclose(out.root_translation[1], 0.5 * (motion.root_translation[0] + motion.root_translation[1]))
    assert same_rotation(out.rotations[1], quat.slerp(motion.rotations[0], motion.rotations[1], 0.5), 1e-7)
    assert same_rotation(out.rotations[2], motion.rotations[1], 1e-7)


def test_mirror_twice_is_identity():
    motion = random_motion(contacts=True)
    twice = motion.mirrored().mirrored()
    assert np.allclose(twice.root_translation, motion.root_translation)
    assert np.allclose(twice.rotations, motion.rotations)
    assert np.allclose(twice.contacts, motion.contacts)


def test_mirror_reflects_world_positions():
    motion = random_motion(contacts=True)
    mirrored = motion.mirrored()
    expected = motion.positions()[:, list(MIRROR)] * np.array([-1.0, 1.0, 1.0])
    assert np.allclose(mirrored.positions(), expected)
    assert np.allclose(mirrored.contacts, motion.contacts[:, [2, 3, 0, 1]])


def test_slicing():
    motion = random_motion(frames=20, contacts=True)
    part = motion[5:12]
    assert part.num_frames == 7 and part.fps == motion.fps
    assert np.array_equal(part.rotations, motion.rotations[5:12])
    assert np.array_equal(part.contacts, motion.contacts[5:12])
    part.root_translation[0] = 99.0
    assert motion.root_translation[5, 0] != 99.0  # a copy, not a view
    with pytest.raises(TypeError):
        motion[3]


def test_concatenation():
    a, b = random_motion(frames=10, contacts=True), random_motion(frames=7, contacts=True)
    ab = a.concatenate(b)
    assert ab.num_frames == 17
    assert np.array_equal(ab.rotations[:10], a.rotations) and np.array_equal(ab.rotations[10:], b.rotations)
    assert np.array_equal(ab.contacts[10:], b.contacts)
    assert np.allclose(ab[10:].positions(), b.positions())
    slow = random_motion(frames=11, fps=10.0)
    assert a.concatenate(slow).num_frames == 10 + 31  # resampled to 30 fps first
    other = Skeleton(("a",), (-1,), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="different skeletons"):
        a.concatenate(Motion(30.0, np.zeros((2, 3)), quat.identity((2, 1)), other))


def test_cross_equals_numpys_for_broadcast_shapes():
    rng = np.random.default_rng(0)
    for a_shape, b_shape in (((3,), (3,)), ((5, 3), (3,)), ((4, 22, 3), (4, 22, 3)), ((7, 1, 3), (1, 6, 3))):
        a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        np.testing.assert_allclose(quat.cross(a, b), np.cross(a, b), rtol=0, atol=1e-12)
