"""Benchmark metrics on inputs with known answers; the shipped evaluator on generated and held-out motions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import features as feat
from engine.eval import metrics as M
from engine.skeleton import FOOT_JOINTS, FOOT_REST_HEIGHTS, JOINT_NAMES, NUM_JOINTS

REPO = Path(__file__).resolve().parent.parent
EVAL_DIR = REPO / "exported_models" / "eval"
FPS = 20.0


def test_fid_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    a = np.random.default_rng(0).standard_normal((300, 16))
    assert M.fid(a, a) == pytest.approx(0.0, abs=1e-6)
    small, large = M.fid(a, a + 0.1), M.fid(a, a + 0.5)
    assert 0.0 < small < large
    assert large == pytest.approx(16 * 0.25, rel=1e-6)  # a pure shift adds |mu_a - mu_b|^2


def test_fid_sees_a_change_of_spread():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2000, 4))
    assert M.fid(a, 2.0 * rng.standard_normal((2000, 4))) == pytest.approx(4.0, rel=0.15)  # 4 * (2 - 1)^2


def test_r_precision_of_perfectly_matched_embeddings_is_one():
    x = np.random.default_rng(0).standard_normal((96, 32))
    assert np.allclose(M.r_precision(x, x, batch_size=32, top_k=3), 1.0)


def test_r_precision_of_unrelated_embeddings_is_near_chance():
    rng = np.random.default_rng(0)
    top = M.r_precision(rng.standard_normal((3200, 64)), rng.standard_normal((3200, 64)), batch_size=32, top_k=3)
    assert top[0] == pytest.approx(1 / 32, abs=0.015)
    assert top[2] == pytest.approx(3 / 32, abs=0.025)


def test_r_precision_leaves_same_group_texts_out_of_the_candidates():
    text = np.eye(32)
    motion = text.copy()
    motion[0] = 0.5 * text[0] + text[1]  # motion 0 is closer to text 1 (same label) than to its own text
    groups = np.arange(32)
    assert M.r_precision(text, motion, groups=groups, top_k=1)[0] < 1.0
    groups[1] = groups[0]
    assert M.r_precision(text, motion, groups=groups, top_k=1)[0] == 1.0


def test_diversity_and_multimodality():
    x = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.1], [3.0, 4.1]])
    assert M.diversity(x[:2]) == pytest.approx(5.0)
    assert M.multimodality(x, [0, 1, 0, 1]) == pytest.approx(0.1)


def feet_at_rest(frames: int, speed: float) -> np.ndarray:
    """Positions (T,J,3) with every foot joint at its standing height, sliding along -Y at `speed`."""
    pos = np.zeros((frames, NUM_JOINTS, 3))
    pos[..., 2] = 1.0
    t = np.arange(frames) / FPS
    for name in FOOT_JOINTS:
        j = JOINT_NAMES.index(name)
        pos[:, j, 1] = -speed * t
        pos[:, j, 2] = FOOT_REST_HEIGHTS[name]
    return pos


def test_foot_skate_ratio_of_a_planted_foot_is_zero_and_of_a_sliding_foot_is_one():
    assert M.foot_skate_ratio([feet_at_rest(40, 0.0)], FPS) == 0.0
    assert M.foot_skate_ratio([feet_at_rest(40, 0.5)], FPS) == 1.0
    assert M.foot_skate_ratio([feet_at_rest(40, 0.15)], FPS) == 0.0  # below the 0.2 m/s threshold


def test_a_lifted_foot_does_not_skate_and_a_sunk_foot_penetrates():
    pos = feet_at_rest(40, 0.5)
    pos[:, [JOINT_NAMES.index(n) for n in FOOT_JOINTS], 2] += 0.06  # above rest + 5 cm: swinging, not skating
    assert M.foot_skate_counts(pos, FPS) == (0, 0)
    assert M.floor_penetration([pos]) == 0.0
    sunk = feet_at_rest(10, 0.0)
    sunk[:, [JOINT_NAMES.index(n) for n in FOOT_JOINTS], 2] -= 0.02
    assert M.floor_penetration([sunk]) == pytest.approx(0.02)


def test_jerk_of_constant_velocity_motion_is_zero_and_of_a_cubic_is_known():
    t = np.arange(30) / FPS
    pos = np.zeros((30, NUM_JOINTS, 3))
    pos[..., 0] = 1.5 * t[:, None]
    assert M.mean_jerk([pos], FPS) == pytest.approx(0.0, abs=1e-6)
    pos[..., 1] = t[:, None] ** 3  # third derivative 6 m/s^3
    assert M.mean_jerk([pos], FPS) == pytest.approx(6.0, rel=1e-6)


# ---- the shipped evaluator -----------------------------------------------------------------------


def shipped_evaluator():
    from engine.errors import ModelFilesError
    from engine.eval.embedder import Evaluator, find_text_encoder

    if not (EVAL_DIR / "motion_encoder.onnx").exists():
        pytest.skip("no evaluator in exported_models/eval")
    try:
        find_text_encoder(REPO / "exported_models")
    except ModelFilesError:
        pytest.skip("no shipped text encoder in exported_models")
    return Evaluator(EVAL_DIR, REPO / "exported_models")


CAPTIONS = ["a person walks forward", "a person raises both hands"]


def _assert_matching_pairs_win(ev, motions):
    sim = ev.motions([feat.encode(m) for m in motions]) @ ev.texts(CAPTIONS).T
    assert sim[0, 0] > sim[0, 1], sim
    assert sim[1, 1] > sim[1, 0], sim
    assert np.allclose(np.linalg.norm(ev.texts(CAPTIONS), axis=1), 1.0, atol=1e-5)


def test_evaluator_matches_generated_motions_to_their_captions():
    ev = shipped_evaluator()
    if not (REPO / "exported_models" / "manifest.json").exists():
        pytest.skip("no shipped generator")
    from engine.pipeline import generate
    from engine.request import GenerationRequest

    motions = [generate(GenerationRequest.from_text(c, 4.0, seed=0, fps=FPS)) for c in CAPTIONS]
    for m in motions:
        m.contacts = None
    _assert_matching_pairs_win(ev, motions)


@pytest.mark.shared_data
def test_evaluator_ranks_matching_captions_first_on_the_held_out_test_split():
    from engine.eval.clips import DEFAULT_CORPUS, load_split, pair_ids, pick_captions

    ev = shipped_evaluator()
    if not (DEFAULT_CORPUS / "test.npz").exists():
        pytest.skip("no prepared corpus")
    if ev.corpus_mismatch(DEFAULT_CORPUS):
        pytest.skip(ev.corpus_mismatch(DEFAULT_CORPUS))
    test = load_split(DEFAULT_CORPUS, "test")
    test = test.subset(np.random.default_rng(0).choice(len(test), 64, replace=False))
    groups = pair_ids(test.pairs)
    sim = ev.motions(test.features) @ ev.texts(pick_captions(test, 0)).T
    other = groups[:, None] != groups[None, :]
    assert np.diag(sim).mean() > sim[other].mean() + 0.3
    assert M.r_precision(ev.texts(pick_captions(test, 0)), ev.motions(test.features), groups)[2] > 0.8


def test_evaluator_embeddings_do_not_depend_on_batching():
    ev = shipped_evaluator()
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal((n, feat.FEATURE_DIM)).astype(np.float32) * 0.1 for n in (41, 62, 81)]
    together = ev.motions(clips)
    alone = np.stack([ev.motions([c])[0] for c in clips])
    assert np.allclose(together, alone, atol=1e-5)
