"""Transitions eased to the segments beside them (engine.timeline.transitions): synthetic motions, no model."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from engine import quaternion as quat
from engine.motion import Motion
from engine.skeleton import CANONICAL
from engine.timeline.transitions import ease_transitions, peaks, transition_times

FPS = 30.0
SHOULDER = CANONICAL.index("left_shoulder")


def arm_motion(angle: np.ndarray) -> Motion:
    """A standing body whose left arm turns by `angle` (T,) radians about the forward axis."""
    t = len(angle)
    rotations = np.tile(np.array([1.0, 0.0, 0.0, 0.0]), (t, CANONICAL.num_joints, 1))
    rotations[:, SHOULDER] = quat.from_axis_angle(np.array([0.0, 1.0, 0.0])[None] * angle[:, None])
    return Motion(FPS, np.tile([0.0, 0.0, 0.94], (t, 1)), rotations)


def wrist_speed_near(motion: Motion, time: float, within: float = 0.25) -> float:
    wrist = motion.positions()[:, CANONICAL.index("left_wrist")]
    speed = np.linalg.norm(np.diff(wrist, axis=0), axis=-1) * motion.fps
    t = (np.arange(len(speed)) + 0.5) / motion.fps
    return float(speed[np.abs(t - time) <= within].max())


def rise_time(motion: Motion) -> float:
    """Seconds the left wrist takes from 10 % to 90 % of its way between its heights at 2.5 s and 5.5 s."""
    z = motion.positions()[:, CANONICAL.index("left_wrist"), 2]
    share = (z - z[int(2.5 * FPS)]) / (z[int(5.5 * FPS)] - z[int(2.5 * FPS)])
    return (np.flatnonzero(share > 0.9)[0] - np.flatnonzero(share > 0.1)[0]) / FPS


def test_a_snap_between_two_holds_is_spread_over_the_fade():
    """Arm down, then flung up in 0.13 s at 4 s: eased, it rises in 0.33 s (10-90 %, was 0.07) at 1.5 m/s
    (was 5.1), and nothing moves beyond the fade."""
    t = np.arange(int(8 * FPS) + 1) / FPS
    angle = np.clip((t - 3.93) / 0.13, 0.0, 1.0) * 1.4 + 0.05 * np.sin(2 * np.pi * 0.5 * t)  # slow sway: alive
    snap = arm_motion(angle)
    eased = ease_transitions(snap, [4.0])
    assert wrist_speed_near(snap, 4.0) > 5.0 and rise_time(snap) < 0.1
    assert wrist_speed_near(eased, 4.0) < 2.0 and rise_time(eased) > 0.3
    away = np.abs(t - 4.0) > 1.25
    assert np.allclose(eased.rotations[away], snap.rotations[away])


def test_a_border_as_quick_as_its_segments_is_left_alone():
    """An arm swinging at 2 Hz through both segments: the border is no quicker than they are."""
    t = np.arange(int(8 * FPS) + 1) / FPS
    swing = arm_motion(0.8 * np.sin(2 * np.pi * 2.0 * t))
    eased = ease_transitions(swing, [4.0])
    assert np.allclose(eased.rotations, swing.rotations)
    jerk, speed = peaks(swing)
    assert jerk.shape == speed.shape == (swing.num_frames,)


def test_transition_times_are_the_borders_inside_the_clip():
    tracks = [SimpleNamespace(start=0.0, end=3.0), SimpleNamespace(start=3.0, end=6.0),
              SimpleNamespace(start=3.1, end=6.0), SimpleNamespace(start=4.5, end=5.0)]  # fmt: skip
    assert transition_times(tracks, 6.0) == [3.0, 4.5, 5.0]
    assert transition_times([SimpleNamespace(start=0.0, end=5.0)], 5.0) == []
