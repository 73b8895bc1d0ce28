"""Vocabulary suite pieces on synthetic clips: label choice, real-clip source, signature movements, summary."""

from __future__ import annotations

import numpy as np

from engine import features as feat
from engine.eval import demo_motion
from engine.eval.clips import Split
from engine.eval.vocabulary_suite import MEASURES, Label, ratio, signature, summary, vocabulary

FPS = 20.0


def split(pairs: list[tuple[str, str]]) -> Split:
    clip = feat.encode(demo_motion.walk(seconds=3.0, fps=FPS))
    return Split([clip] * len(pairs), [c for c, _ in pairs], [s for _, s in pairs], [f"c{i}" for i in range(len(pairs))],
                 np.zeros(len(pairs), bool), FPS)  # fmt: skip


def test_every_content_and_style_gets_a_label_with_its_real_clips_named_by_split():
    train = split([("walk", "normal"), ("walk", "angry"), ("walk", "angry"), ("kick", "angry"), ("bow", "sad")])
    test = split([("walk", "normal")])
    labels = {(lab.content, lab.style): lab for lab in vocabulary(test, train)}
    assert set(labels) == {("walk", "normal"), ("kick", "angry"), ("bow", "sad"), ("walk", "angry")}
    assert labels[("walk", "normal")].kinds == ("content", "style") and labels[("walk", "normal")].reference == "test"
    assert labels[("walk", "angry")].kinds == ("style",) and len(labels[("walk", "angry")].clips) == 2
    assert labels[("kick", "angry")].reference == "train"  # no test clip: the table says training clips
    assert labels[("bow", "sad")].kinds == ("content", "style")  # sad has no walk: its most frequent pair


def test_signature_movements_of_a_walk_and_a_wave():
    walk = demo_motion.walk(seconds=4.0, fps=FPS).positions()
    wave = demo_motion.wave(seconds=4.0, fps=FPS).positions()
    speed, wrist = MEASURES["speed"][1], MEASURES["wrist speed"][1]
    assert 0.8 < speed(walk, FPS) < 1.0  # the procedural walk moves at 0.9 m/s
    assert speed(wave, FPS) < 0.1 and wrist(wave, FPS) > 1.2 * wrist(walk, FPS)  # 1.0 vs 0.7 m/s
    assert MEASURES["wrist height"][1](wave, FPS) > 1.5  # the waving hand is above the head
    assert signature("kick") == "foot height" and signature("spin-kick") == "foot height"
    assert signature("wave-left-hand") == "wrist speed" and signature("walk-back") == "speed"


def test_summary_reports_the_slowest_style_and_the_speed_correlation():
    def row(content, style, kinds, gen, real):
        r = {"label": Label(content, style, kinds, "train", []), "gen_top3": 1.0, "real_top3": 1.0}
        for name in MEASURES:
            r[("gen", name)], r[("real", name)] = gen, real
        return r

    rows = [row("walk", s, ("style",), g, r) for s, g, r in (("a", 1.0, 1.0), ("b", 0.2, 0.8), ("c", 1.5, 1.4))]
    rows.append(row("kick", "normal", ("content",), 0.3, 1.0))
    s = summary(rows)
    assert s["styled_walk_min_ratio"] == 0.25 and ratio(rows[-1], "foot height") == 0.3
    assert s["signature_labels_ok"] == 0 and s["signature_min_ratio"] == 0.3
    assert 0.9 < s["styled_walk_speed_r"] < 1.0
