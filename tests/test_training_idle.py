"""Standing-still items cut from the clips (engine.training.idle, train.py --idle-items): synthetic clips."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from engine import features as feat  # noqa: E402
from engine import quaternion as quat  # noqa: E402
from engine.motion import Motion  # noqa: E402
from engine.skeleton import CANONICAL  # noqa: E402
from engine.training.idle import IDLE_LABEL, IDLE_SHARE, idle_items, still_stretches  # noqa: E402
from engine.training.train import Corpus  # noqa: E402

FPS = 20.0
SHOULDER = CANONICAL.index("right_shoulder")


def clip(still_s: float, wave_s: float, still_after_s: float) -> np.ndarray:
    """Raw features: standing for `still_s`, waving the right arm at 2 Hz for `wave_s`, standing again."""
    t = np.arange(int(round((still_s + wave_s + still_after_s) * FPS))) / FPS
    waving = (t >= still_s) & (t < still_s + wave_s)
    angle = np.where(waving, 0.8 * np.sin(2 * np.pi * 2.0 * (t - still_s)), 0.0)
    rotations = np.tile(np.array([1.0, 0.0, 0.0, 0.0]), (len(t), CANONICAL.num_joints, 1))
    rotations[:, SHOULDER] = quat.from_axis_angle(np.array([0.0, 1.0, 0.0])[None] * angle[:, None])
    return feat.encode(Motion(FPS, np.tile([0.0, 0.0, 0.94], (len(t), 1)), rotations))


def test_a_clip_standing_before_and_after_its_wave_gives_its_long_still_stretch():
    raw = clip(2.0, 1.5, 1.0)  # 2 s still, a wave, 1 s still (under MIN_S = 1.5 s)
    (a, b), *rest = still_stretches(raw, FPS)
    assert not rest
    assert a == 0 and abs(b - 2.0 * FPS) <= 2


def test_corpus_with_idle_items_adds_them_under_the_standing_label(tmp_path):
    clips = [clip(2.0, 1.5, 1.0), clip(0.2, 2.0, 2.5), clip(0.0, 3.0, 0.0)]
    starts = np.cumsum([0] + [len(c) for c in clips])
    path = tmp_path / "train.npz"
    np.savez(path, features=np.concatenate(clips), starts=starts, contents=np.array(["wave-right-hand"] * 3),
             styles=np.array(["normal"] * 3), fps=FPS)  # fmt: skip
    stats = {"mean": np.zeros(feat.FEATURE_DIM), "std": np.ones(feat.FEATURE_DIM)}
    embed = lambda texts: np.zeros((len(texts), 384), np.float32)  # noqa: E731
    plain = Corpus(path, stats, embed)
    idle = Corpus(path, stats, embed, idle=True)
    assert len(plain.lengths) == 3 and IDLE_LABEL not in plain.labels
    assert idle.labels[3:] == [IDLE_LABEL, IDLE_LABEL]
    assert [(int(s), int(s + n)) for s, n in zip(idle.starts[3:], idle.lengths[3:], strict=True)] == idle_items(
        idle.raw, starts, FPS
    )
    second = starts[1] + int(2.2 * FPS)  # the second clip's stretch starts after its wave
    assert abs(int(idle.starts[4]) - second) <= 2
    captions = {idle.captions.choose(IDLE_LABEL, np.random.default_rng(k)) for k in range(40)}
    assert any("stands still" in c for c in captions)
    p = idle.probabilities(40)
    assert abs(p[3:].sum() - IDLE_SHARE) < 1e-9 and abs(p.sum() - 1.0) < 1e-9
    x0, *_ = idle.batch(np.random.default_rng(0), 8, 40, 4, 0.0)
    assert x0.shape == (8, 40, feat.FEATURE_DIM)
