"""Corpus preparation on synthetic fixtures: Bandai-style BVH, DeepMimic clips, captions, splits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fixtures_corpus import (
    BANDAI_LAYOUT,
    bandai_bvh_text,
    canonical_walk,
    deepmimic_walk,
    mirror_frames,
    write_bandai_dataset,
    write_deepmimic,
)

from engine import features as feat
from engine.io.bvh import read_bvh
from engine.motion import Motion
from engine.skeleton import FOOT_INDICES, FOOT_JOINTS, FOOT_REST_HEIGHTS, JOINT_NAMES, PARENTS
from engine.training import corpus_build
from engine.training import deepmimic as dm
from engine.training import prepare as prep
from engine.training.source_rigs import BANDAI
from engine.training.splits import SPLIT_FILE, SPLITS, make_splits

J = JOINT_NAMES.index


def _angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _bandai_clip(tmp_path: Path, motion, name: str = "walk") -> prep.Clip:
    path = tmp_path / f"dataset-2_{name}_normal_001.bvh"
    path.write_text(bandai_bvh_text(motion))
    return prep.Clip(path.stem, "bandai-2", str(path), name, "normal")


def _placed(features: np.ndarray):
    motion = feat.decode(features, prep.MODEL_FPS)
    return motion, *motion.forward_kinematics()


def _clearance(pos: np.ndarray) -> np.ndarray:
    """Per frame: the lowest foot joint's height above its standing height."""
    rest = np.array([FOOT_REST_HEIGHTS[n] for n in FOOT_JOINTS])
    return (pos[:, list(FOOT_INDICES), 2] - rest).min(axis=1)


# ---- Bandai ----


def test_bandai_bone_directions_match_source(tmp_path):
    clip = _bandai_clip(tmp_path, canonical_walk(turn_rate=0.4))
    src = read_bvh(clip.path)
    src_pos, _ = src.forward_kinematics()
    can_pos, _ = prep.load_canonical(clip).forward_kinematics()
    index = {n: i for i, n in enumerate(src.skeleton.names)}
    errors = []
    for j, name in enumerate(JOINT_NAMES[1:], start=1):
        parent = PARENTS[j] if JOINT_NAMES[PARENTS[j]] in BANDAI.joints else PARENTS[PARENTS[j]]
        if name not in BANDAI.joints:
            continue  # spine3: a point on the chest bone, no source joint of its own
        a = src_pos[:, index[BANDAI.joints[name]]] - src_pos[:, index[BANDAI.joints[JOINT_NAMES[parent]]]]
        errors.append(_angles(a, can_pos[:, j] - can_pos[:, parent]).mean())
    assert len(errors) == 20
    assert np.mean(errors) < 2.0
    assert max(errors) < 5.0  # the chest bone leans 2.6 degrees off the canonical spine


def test_bandai_clip_is_placed_on_the_floor_facing_minus_y(tmp_path):
    result = prep.convert(_bandai_clip(tmp_path, canonical_walk(yaw0=2.0, floor=0.4)))
    assert not result.rejected and np.isfinite(result.features).all()
    motion, pos, rot = _placed(result.features)
    assert abs(feat.heading(rot[0, 0])) < 1e-3
    assert np.allclose(motion.root_translation[0, :2], 0.0, atol=1e-6)
    clearance = _clearance(pos)
    assert np.all(np.abs(clearance) < 0.01)  # the fixture keeps one foot joint on the floor
    # facing -Y: the walk goes toward -Y and the toes point that way
    assert motion.root_translation[-1, 1] < -2.0
    assert np.all(pos[:, J("left_foot"), 1] < pos[:, J("left_ankle"), 1])


def test_mirrored_walk_turn_left_turns_right(tmp_path):
    result = prep.convert(_bandai_clip(tmp_path, canonical_walk(turn_rate=0.6), "walk-turn-left"))
    item = prep.Item(result.clip.clip_id, "bandai-2", "walk-turn-left", "normal", False, result.features)
    mirror = item.mirror()
    assert mirror.content == "walk-turn-right" and mirror.mirrored
    turn = np.sum(result.features[:-1, 0]) / prep.MODEL_FPS
    mirrored_turn = np.sum(mirror.features[:-1, 0]) / prep.MODEL_FPS
    assert turn == pytest.approx(0.6 * 3.0, abs=0.05)  # left = counter-clockwise seen from above
    assert mirrored_turn == pytest.approx(-turn, abs=1e-4)
    # facing -Y at the start, a left turn heads for +X (the character's left), the mirror for -X
    assert _placed(result.features)[0].root_translation[-1, 0] > 0.5
    assert _placed(mirror.features)[0].root_translation[-1, 0] < -0.5


def test_broken_frames_are_dropped_and_reported(tmp_path):
    motion = canonical_walk(seconds=3.0)
    motion.root_translation[45] += 5.0  # a one-frame teleport at 30 fps
    result = prep.convert(_bandai_clip(tmp_path, motion))
    assert result.notes and "dropped" in result.notes[0]
    assert np.isfinite(result.features).all()


# ---- DeepMimic ----


def test_deepmimic_layout_matches_the_humanoid():
    assert dm.FRAME_SIZE == 44
    assert [n for n, _ in dm.LAYOUT if _ == 1] == ["right_knee", "right_elbow", "left_knee", "left_elbow"]
    assert dm.COLUMNS["left_elbow"] == slice(43, 44)


def test_deepmimic_pose_is_right(tmp_path):
    frames = deepmimic_walk(yaw=0.5)
    path = write_deepmimic(tmp_path / "humanoid3d_walk.txt", frames)
    motion = corpus_build.normalise_placement(dm.read_deepmimic(path, prep.MODEL_FPS))
    assert motion.num_frames == int(np.floor(frames[:-1, 0].sum() * prep.MODEL_FPS + 1e-6)) + 1
    pos, rot = motion.forward_kinematics()
    assert np.isfinite(pos).all()
    assert abs(feat.heading(rot[0, 0])) < 1e-3
    p = pos[0]
    # forward is -Y: the walk goes there, toes point there
    assert motion.root_translation[-1, 1] < -1.0 and abs(motion.root_translation[-1, 0]) < 0.05
    assert p[J("right_foot"), 1] < p[J("right_ankle"), 1] - 0.05
    # left side on +X, arms hanging down, straight right leg standing on the floor
    assert p[J("left_wrist"), 0] > 0.1 > -0.1 > p[J("right_wrist"), 0]
    assert p[J("left_wrist"), 2] < p[J("left_shoulder"), 2] - 0.4
    assert np.abs(_clearance(pos)).max() < 0.01
    # the flexed left hip puts the knee in front; the bent knee puts the shin behind;
    # the bent right elbow brings the forearm forward
    assert p[J("left_knee"), 1] < p[J("left_hip"), 1] - 0.1
    assert p[J("left_ankle"), 1] > p[J("left_knee"), 1] + 0.2
    assert p[J("right_wrist"), 1] < p[J("right_elbow"), 1] - 0.15


def test_deepmimic_bone_directions_match_source(tmp_path):
    frames = deepmimic_walk()
    rng = np.random.default_rng(1)
    for name in ("chest", "neck", "left_shoulder", "right_shoulder", "right_ankle", "root"):
        q = rng.normal(size=(len(frames), 4)) * 0.3 + np.array([1.0, 0, 0, 0])
        frames[:, dm.COLUMNS[name]] = q / np.linalg.norm(q, axis=-1, keepdims=True)
    root, rot = dm.canonical_frames(frames)
    can, _ = Motion(fps=30.0, root_translation=root, rotations=rot).forward_kinematics()
    src = dm.source_positions(frames)
    bones = {  # canonical (parent, child) -> humanoid (parent, child)
        ("left_hip", "left_knee"): ("left_hip", "left_knee"),
        ("left_knee", "left_ankle"): ("left_knee", "left_ankle"),
        ("right_hip", "right_knee"): ("right_hip", "right_knee"),
        ("right_knee", "right_ankle"): ("right_knee", "right_ankle"),
        ("left_shoulder", "left_elbow"): ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"): ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"): ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"): ("right_elbow", "right_wrist"),
        ("right_hip", "left_hip"): ("right_hip", "left_hip"),
        ("left_collar", "right_collar"): ("left_shoulder", "right_shoulder"),
    }
    errors = [_angles(src[b] - src[a], can[:, J(d)] - can[:, J(c)]).mean() for (c, d), (a, b) in bones.items()]
    assert np.mean(errors) < 2.0, errors
    # the spine spreads the chest's rotation: pelvis -> neck still points like root -> neck
    assert _angles(src["neck"] - src["root"], can[:, J("head")] - can[:, J("pelvis")]).mean() < 10.0


def test_deepmimic_mirror_copies_are_detected(tmp_path):
    frames = deepmimic_walk()
    assert dm.mirrors(frames, mirror_frames(frames))
    assert not dm.mirrors(frames, frames)
    direct = Motion(30.0, *dm.canonical_frames(frames))
    again = Motion(30.0, *dm.canonical_frames(mirror_frames(frames))).mirrored()
    assert np.allclose(direct.positions(), again.positions(), atol=1e-6)


def test_deepmimic_listing_skips_mirrors_and_labels_clips(tmp_path):
    root = tmp_path / "raw" / "motions"
    frames = deepmimic_walk()
    write_deepmimic(root / "humanoid3d_backflip.txt", frames)
    write_deepmimic(root / "long" / "humanoid3d_long_walk1.txt", frames)
    write_deepmimic(root / "long" / "humanoid3d_long_walk1_mirror.txt", mirror_frames(frames))
    write_deepmimic(root / "sie" / "sie_humanoid3d_run_left00.txt", frames)
    write_deepmimic(root / "sie" / "sie_humanoid3d_run_right07.txt", mirror_frames(frames))
    clips, skipped = prep.list_deepmimic(tmp_path / "raw")
    assert [(c.clip_id, c.source, c.content, c.style) for c in clips] == [
        ("deepmimic_backflip", "deepmimic", "backflip", "normal"),
        ("deepmimic_long_walk1", "deepmimic", "walk-around", "normal"),
        ("deepmimic_sie_run_left00", "deepmimic-sie", "run-turn-left", "normal"),
    ]
    assert set(skipped) == {"long/humanoid3d_long_walk1_mirror.txt", "sie/sie_humanoid3d_run_right07.txt"}
    assert "mirror image of sie/sie_humanoid3d_run_left00.txt" in skipped["sie/sie_humanoid3d_run_right07.txt"]


def test_deepmimic_bad_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(json.dumps({"Loop": "none", "Frames": [[0.1] * 43, [0.1] * 43]}))
    with pytest.raises(dm.DeepMimicError, match="44 numbers"):
        dm.read_frames(path)
    path.write_text("{not json")
    with pytest.raises(dm.DeepMimicError, match="not a DeepMimic motion file"):
        dm.read_frames(path)


# ---- captions ----


BANDAI_LABELS = {
    1: (["walk", "run", "dash", "walk-back", "walk-left", "walk-right", "bow", "bye", "guide", "byebye", "respond",
         "call", "punch", "kick", "slash", "dance-long", "dance-short"],
        ["normal", "happy", "sad", "angry", "proud", "not-confident", "masculinity", "feminine", "childish", "old",
         "tired", "active", "musical", "giant", "chimpira"]),
    2: (["walk", "walk-turn-left", "walk-turn-right", "run", "wave-both-hands", "wave-left-hand", "wave-right-hand",
         "raise-up-both-hands", "raise-up-left-hand", "raise-up-right-hand"],
        ["active", "elderly", "exhausted", "feminine", "masculine", "normal", "youthful"]),
}  # fmt: skip
STYLE_ALIASES = {"masculinity": "masculine"}  # the same style under two dataset labels


def _label_pairs() -> set[tuple[str, str]]:
    from engine.training.captions import mirror_content

    pairs = {(c, s) for contents, styles in BANDAI_LABELS.values() for c in contents for s in styles}
    pairs |= {(c, "normal") for c in dm.CONTENT_BY_NAME.values()}
    return pairs | {(mirror_content(c), s) for c, s in pairs}


def test_captions_for_every_label_pair():
    from engine.training.captions import canonical_caption, heldout_captions, training_captions

    seen: dict[str, tuple[str, str]] = {}
    for content, style in sorted(_label_pairs()):
        train, held = training_captions(content, style), heldout_captions(content, style)
        assert train and held and all(train) and all(held)
        assert len(set(train)) == len(train) and len(set(held)) == len(held)
        assert not set(train) & set(held), (content, style)
        key = canonical_caption(content, style)
        other = seen.setdefault(key, (content, STYLE_ALIASES.get(style, style)))
        assert other == (content, STYLE_ALIASES.get(style, style)), f"{key!r} names two label pairs"


# ---- splits ----


def test_committed_split_file_holds_each_clip_once():
    data = json.loads(SPLIT_FILE.read_text())
    ids = [cid for split in SPLITS for cid in data[split]]
    assert len(ids) == len(set(ids))
    assert not set(data["test"]) & set(data["train"])
    bandai = [cid for cid in ids if cid.startswith("dataset-")]
    assert sum(cid.startswith("dataset-1_") for cid in bandai) == 174
    assert sum(cid.startswith("dataset-2_") for cid in bandai) == 2902
    # DeepMimic: 20 + 6 long/ + 27 sie/ clips once their shipped mirror copies are left out
    assert sum(cid.startswith("deepmimic_") for cid in ids) == 53


def test_make_splits_is_stratified_and_complete():
    items = [(f"c{k}_{i}", "src", c, s, k) for k, (c, s) in enumerate([("walk", "a"), ("run", "b")]) for i in range(40)]
    items += [("x1", "src", "jump", "a", 0), ("x2", "src", "jump", "a", 0), ("y1", "src", "roll", "a", 0)]
    splits = make_splits([i[:4] for i in items])
    assert sorted(splits) == sorted(i[0] for i in items)
    for prefix in ("c0_", "c1_"):
        counts = {s: sum(v == s for k, v in splits.items() if k.startswith(prefix)) for s in SPLITS}
        assert counts == {"train": 32, "val": 4, "test": 4}
    assert splits["x1"] == splits["x2"] == "train"
    assert make_splits([i[:4] for i in items]) == splits  # fixed seed


def test_prepare_on_fixtures(tmp_path):
    """The whole pipeline on a small synthetic corpus, with its own split file."""
    raw = tmp_path / "cache" / "raw"
    walks = {f"walk_normal_{i:03d}": canonical_walk(seconds=2.0, yaw0=0.3 * i) for i in range(1, 4)}
    walks |= {f"walk-turn-left_normal_{i:03d}": canonical_walk(seconds=2.0, turn_rate=0.5) for i in range(1, 4)}
    write_bandai_dataset(raw, walks, ["walk", "walk-turn-left", "walk-turn-right"], ["normal"])
    write_deepmimic(raw / "motions" / "humanoid3d_roll.txt", deepmimic_walk())
    write_deepmimic(raw / "motions" / "long" / "humanoid3d_long_walk1_mirror.txt", deepmimic_walk())
    for name in ("bandai-2", "deepmimic"):
        (raw / f".{name}.done").touch()
    splits_file = tmp_path / "splits.json"
    report = prep.prepare(tmp_path / "no-data", tmp_path / "cache", workers=1, sources=("bandai-2", "deepmimic"),
                          splits_file=splits_file)  # fmt: skip
    assert report["rejected"] == {} and list(report["skipped"]) == ["long/humanoid3d_long_walk1_mirror.txt"]
    assert report["sources"] == {"bandai-2": "CC BY-NC 4.0", "deepmimic": "MIT"}
    assert sum(s["clips"] for s in report["splits"].values()) == 7
    split = json.loads(splits_file.read_text())
    ids = [cid for s in SPLITS for cid in split[s]]
    assert sorted(ids) == sorted([f"dataset-2_{n}" for n in walks] + ["deepmimic_roll"])
    assert not set(split["test"]) & set(split["train"])
    train = np.load(tmp_path / "cache" / "train.npz")
    assert np.isfinite(train["features"]).all()
    assert train["features"].shape[1] == feat.FEATURE_DIM
    labels = dict(zip(train["clip_ids"].tolist(), train["contents"].tolist(), strict=True))
    for cid, content in labels.items():
        if cid.endswith("_mirror") and "walk-turn-left" in cid:
            assert content == "walk-turn-right"
    assert (tmp_path / "cache" / "stats.npz").exists() and (tmp_path / "cache" / "report.json").exists()


def test_fixture_layout_is_the_bandai_one():
    names = [n for n, _, _ in BANDAI_LAYOUT]
    assert set(BANDAI.joints.values()) == set(names) - {"joint_Root"}


# ---- the real data ----

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.skipif(not SHARED.exists(), reason="needs ../shared/data")
def test_full_prepare_on_shared_data(tmp_path):
    """About 45 s of 2 cores: every Bandai clip converts, the committed split file is complete."""
    splits_file = tmp_path / "splits.json"
    shutil.copy(SPLIT_FILE, splits_file)
    report = prep.prepare(SHARED, tmp_path / "corpus", workers=2, splits_file=splits_file)
    per_source: dict[str, int] = {}
    for summary in report["splits"].values():
        for source, v in summary["per_source"].items():
            per_source[source] = per_source.get(source, 0) + v["clips"]
    assert per_source["bandai-1"] + per_source["bandai-2"] == 3076
    assert all(why for why in report["rejected"].values())
    assert not [cid for cid in report["rejected"] if cid.startswith("dataset-")]
    assert per_source["deepmimic"] + per_source["deepmimic-sie"] >= 50
    assert json.loads(splits_file.read_text()) == json.loads(SPLIT_FILE.read_text())
