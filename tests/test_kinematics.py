"""engine.kinematics: one foot-contact definition, the filters and the IK solvers."""

from __future__ import annotations

import numpy as np

from engine import quaternion as quat
from engine.eval.metrics import foot_skate_counts
from engine.kinematics import contact, filters, ik, spline, swivel
from engine.kinematics.fk import fk
from engine.skeleton import CANONICAL, FOOT_INDICES


def _feet_track(speed: float, height_offset: float, frames: int = 20, fps: float = 20.0) -> np.ndarray:
    """World positions (T, J, 3) where every foot joint slides along x at `speed`, `height_offset` above rest."""
    pos = np.zeros((frames, CANONICAL.num_joints, 3))
    for k, j in enumerate(FOOT_INDICES):
        pos[:, j, 0] = np.arange(frames) * speed / fps
        pos[:, j, 2] = contact.FOOT_REST[k] + height_offset
    return pos


def test_contact_is_low_and_slow_and_skating_is_its_complement():
    slow, fast = contact.SPEED * 0.5, contact.SPEED * 2
    assert contact.foot_contacts(_feet_track(slow, 0.01), 20.0).all()
    assert not contact.foot_contacts(_feet_track(fast, 0.01), 20.0).any()
    assert not contact.foot_contacts(_feet_track(slow, contact.HEIGHT_MARGIN + 0.01), 20.0).any()
    skating, grounded = foot_skate_counts(_feet_track(fast, 0.01), 20.0)
    assert grounded == 4 * 19 and skating == grounded
    assert foot_skate_counts(_feet_track(slow, 0.01), 20.0) == (0, 4 * 19)


def test_contact_runs_and_filters():
    assert contact.contact_runs(np.array([0, 1, 1, 0, 1])) == [(1, 3), (4, 5)]
    x = np.linspace(0, 1, 11)
    for curve in (filters.smoothstep, filters.minimum_jerk):
        y = curve(x)
        assert y[0] == 0 and y[-1] == 1 and np.all(np.diff(y) >= 0)
        assert abs(y[1] - y[0]) < 0.03 and abs(y[-1] - y[-2]) < 0.03  # zero slope at the ends
    assert filters.fade(np.array([0.0, 5.0, 10.0]), 10.0).tolist() == [1.0, 0.5, 0.0]
    step = np.r_[np.zeros(10), np.ones(10)][:, None]
    ramp = filters.moving_average(step, 5)
    assert ramp[0, 0] == 0 and ramp[-1, 0] == 1 and np.allclose(np.diff(ramp[7:13, 0]), 0.2)
    drift = np.arange(10.0)[:, None]
    assert np.allclose(filters.moving_average(drift, 5, ends="reflect"), drift)  # steady travel followed to the ends
    noisy = np.random.default_rng(0).normal(size=(200, 3))
    assert filters.gaussian(noisy, 1.0).std() < 0.6 * noisy.std()


def test_least_jerk_keeps_fixed_frames_and_removes_kinks_not_strides():
    fps = 20.0
    t = np.arange(60) / fps
    stride = 0.3 * np.sin(2 * np.pi * 1.0 * t)[:, None]  # a 1 Hz swing, well below the cutoff
    fixed = np.zeros(60, bool)
    fixed[:10] = fixed[50:] = True
    out = spline.least_jerk(stride, fixed, 4.0, fps)
    assert np.array_equal(out[fixed], stride[fixed])
    assert np.abs(out - stride).max() < 0.01  # slow motion passes
    kinked = np.where(t < 1.5, 0.0, 0.2)[:, None]  # a jump from one plant's offset to the next in one frame
    smooth = spline.least_jerk(kinked, fixed, 4.0, fps)
    assert smooth[0, 0] == 0.0 and smooth[-1, 0] == 0.2
    assert np.abs(np.diff(smooth, n=3, axis=0)).max() < 0.25 * np.abs(np.diff(kinked, n=3, axis=0)).max()
    assert np.array_equal(spline.least_jerk(kinked, np.ones(60, bool), 4.0, fps), kinked)


def test_both_two_bone_forms_agree():
    rng = np.random.default_rng(3)
    rot = quat.normalize(np.array([1.0, 0, 0, 0]) + 0.2 * rng.normal(size=(8, 22, 4)))
    root = rng.normal(size=(8, 3))
    wrist = CANONICAL.index("left_wrist")
    shoulder, elbow = ik.TWO_BONE[wrist]
    pos, _ = fk(rot, root)
    target = pos[:, shoulder] + 0.8 * (pos[:, wrist] - pos[:, shoulder]) + 0.03 * rng.normal(size=(8, 3))  # in reach
    new = ik.two_bone(rot, root, wrist, target)
    assert np.abs(fk(new, root)[0][:, wrist] - target).max() < 1e-6
    hint = np.tile([0.0, 1.0, -0.3], (8, 1))
    q_upper, q_lower = ik.two_bone_world(pos[:, shoulder], pos[:, elbow], pos[:, wrist], target, hint, soft=0.9999)
    moved_elbow = pos[:, shoulder] + quat.rotate(q_upper, pos[:, elbow] - pos[:, shoulder])
    moved_wrist = moved_elbow + quat.rotate(quat.multiply(q_lower, q_upper), pos[:, wrist] - pos[:, elbow])
    assert np.abs(moved_wrist - target).max() < 1e-6


def test_biquad_pass_is_the_recurrence_it_defines():
    """The filter pass as one matrix product gives what its recurrence gives, at rest on the first value."""
    b, a = (0.2, 0.4, 0.2), (-0.5, 0.3)
    x = np.cumsum(np.random.default_rng(3).normal(size=(50, 4, 3)), axis=0)
    want = np.empty_like(x)
    x1 = x2 = y1 = y2 = x[0]
    for t in range(len(x)):
        want[t] = b[0] * x[t] + b[1] * x1 + b[2] * x2 - a[0] * y1 - a[1] * y2
        x2, x1, y2, y1 = x1, x[t], y1, want[t]
    assert np.allclose(filters._biquad(x, b, a), want, rtol=0, atol=1e-12)


def test_butterworth_passes_slow_motion_whole_removes_fast_jitter_and_adds_no_lag():
    fps, cutoff = 30.0, 4.0
    t = np.arange(121) / fps
    middle = slice(30, 91)  # away from the ends, where the reflection is an approximation

    def gain(hz: float) -> float:
        wave = np.sin(2 * np.pi * hz * t)[:, None]
        out = filters.butterworth(wave, cutoff, fps)
        g = float(np.dot(out[middle, 0], wave[middle, 0]) / np.dot(wave[middle, 0], wave[middle, 0]))
        assert np.allclose(out[middle], g * wave[middle], atol=0.01)  # the same sine, scaled: no lag
        return g

    assert gain(1.0) > 0.99
    assert abs(gain(2.0) - 1.0 / (1.0 + (2.0 / cutoff) ** 4)) < 0.01  # 0.94: the response the docstring states
    assert gain(8.0) < 0.07
    ramp = np.linspace(0.0, 1.0, 40)[:, None]
    assert np.allclose(filters.butterworth(ramp, cutoff, fps), ramp)  # a steady drift is followed to the ends


def test_two_bone_keeps_a_knee_bent_forward_when_the_foot_goes_ahead_of_it():
    """The bend side is taken from where the knee is off the leg's current hip-ankle line. Measured off the new
    line, a knee bent forward (10 cm) bent backward once the ankle goal went ahead of the knee: foot planting for a
    walked glide did that at every landing (knees up to 20 cm behind the hip-ankle line)."""
    hip, knee, ankle = np.array([[0.0, 0.0, 0.9]]), np.array([[0.0, -0.1, 0.5]]), np.array([[0.0, 0.0, 0.1]])
    for ahead in (0.05, 0.2, 0.3):  # facing -Y: ahead is -Y; the knee is at -0.1 (in front of the line)
        goal = np.array([[0.0, -ahead, 0.15]])
        new_knee, new_ankle = ik.two_bone_points(hip, knee, ankle, goal, np.array([[0.0, -1.0, 0.0]]))
        assert np.allclose(new_ankle, goal, atol=1e-6)
        line = new_ankle - hip
        off = new_knee - hip - ((new_knee - hip) @ line[0]) / (line[0] @ line[0]) * line
        assert off[0, 1] < -0.02, (ahead, off)  # still in front of the new hip-ankle line


def test_a_straight_arm_bends_where_its_upper_arm_is_turned():
    """A straight limb has no bend plane of its own: the bend hint turns with the upper bone (its twist), not with
    the pelvis, so an arm that a reach straightened bends again the way its own upper arm faces (ben's elbow in
    the handshake swung 60 degrees in a frame where straightened frames met bent ones)."""
    n = CANONICAL.num_joints
    shoulder, elbow, wrist = (CANONICAL.index(f"right_{j}") for j in ("shoulder", "elbow", "wrist"))
    rot = quat.identity((1, n))
    rot[0, shoulder] = [np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0, 0.0]  # a quarter twist about the arm (X)
    root = np.zeros((1, 3))
    pos, _ = fk(rot, root)
    target = pos[:, wrist] + 0.15 * (pos[:, shoulder] - pos[:, wrist]) / np.linalg.norm(
        pos[0, shoulder] - pos[0, wrist]
    )
    new, _ = fk(ik.two_bone(rot, root, wrist, target), root)
    assert np.linalg.norm(new[0, wrist] - target[0]) < 1e-6
    line = new[0, wrist] - new[0, shoulder]
    off = new[0, elbow] - new[0, shoulder]
    off -= (off @ line) / (line @ line) * line
    hint = quat.rotate(rot[0, shoulder], np.array([0.0, 1.0, -0.3]))  # the rest hint, turned with the upper arm
    hint -= (hint @ line) / (line @ line) * line
    assert off @ hint / (np.linalg.norm(off) * np.linalg.norm(hint)) > 0.99  # up, where it pointed back untwisted


def _arm(twists: np.ndarray, bend: float) -> np.ndarray:
    """(F, J, 4) rest pose with the right upper arm twisted about the arm (X) per frame and the elbow bent."""
    rot = quat.identity((len(twists), CANONICAL.num_joints))
    shoulder, elbow = CANONICAL.index("right_shoulder"), CANONICAL.index("right_elbow")
    rot[:, shoulder] = quat.from_axis_angle(np.array([1.0, 0.0, 0.0]) * twists[:, None])
    rot[:, elbow] = quat.from_axis_angle(np.array([[0.0, 0.0, bend]]).repeat(len(twists), 0))
    return rot


def test_an_elbow_turned_to_the_far_side_is_turned_back_to_the_references_with_the_wrist_kept():
    wrist, elbow = CANONICAL.index("right_wrist"), CANONICAL.index("right_elbow")
    root = np.zeros((4, 3))
    reference = _arm(np.full(4, 0.3), 0.8)
    turned = _arm(np.full(4, 0.3 + 2.6), 0.8)  # same bend, the elbow 150 degrees round
    out = swivel.keep_elbow_side(turned, root, wrist, reference, root)
    got, want, before = fk(out, root)[0], fk(reference, root)[0], fk(turned, root)[0]
    assert np.abs(got[:, wrist] - before[:, wrist]).max() < 1e-6
    assert np.abs(got[:, elbow] - want[:, elbow]).max() < 1e-3


def test_a_reference_arm_that_straightens_does_not_swing_a_bent_elbow_round():
    """The side is matched by the reference elbow's position: a swivel angle about the reference's own arm line is
    undefined where that arm is straight (ana's straightening arm in the handshake turned it 173 degrees in a frame
    with model b9, and her bent, reached arm swung from her side to shoulder height at 4.8 m/s)."""
    wrist, elbow, shoulder = (CANONICAL.index(f"right_{j}") for j in ("wrist", "elbow", "shoulder"))
    frames, root = 20, np.zeros((20, 3))
    reference = _arm(np.where(np.arange(frames) < 10, 1.4, -1.4), 0.05)  # nearly straight; its slight bend flips side
    pos, _ = fk(reference, root)
    target = pos[:, wrist] + 0.25 * (pos[:, shoulder] - pos[:, wrist]) + np.array([0.0, -0.15, 0.0])
    reached = ik.two_bone(_arm(np.full(frames, 1.4), 0.05), root, wrist, target)  # the clean-up's bent arm
    out = swivel.keep_elbow_side(reached, root, wrist, reference, root)
    got = fk(out, root)[0]
    assert np.abs(got[:, wrist] - target).max() < 1e-6
    assert np.linalg.norm(np.diff(got[:, elbow], axis=0), axis=-1).max() < 0.01
