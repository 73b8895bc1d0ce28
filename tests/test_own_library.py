"""Own BVH libraries -> corpus: any humanoid naming, rest pose from offsets or a frame, captions, bad input.

The library is made here: procedural canonical motions written as BVH on a
Mixamo-named skeleton (and a lying-down copy whose first frame stands it up,
like the CMU conversions), plus files that must be skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import quaternion as quat
from engine.errors import MotionComposerError
from engine.eval import demo_motion
from engine.io.bvh import write_bvh
from engine.motion import Motion
from engine.skeleton import CANONICAL, JOINT_NAMES, Skeleton
from engine.training.bvh_library import read_library_clip, read_mapping_file
from engine.training.library_captions import corpus_captions, match_captions, mirror_caption, read_caption_csv

REPO = Path(__file__).resolve().parent.parent
MIXAMO = {
    "pelvis": "mixamorig:Hips", "spine1": "mixamorig:Spine", "spine2": "mixamorig:Spine1",
    "spine3": "mixamorig:Spine2", "neck": "mixamorig:Neck", "head": "mixamorig:Head",
    **{f"{s}_{j}": f"mixamorig:{S}{m}" for s, S in (("left", "Left"), ("right", "Right"))
       for j, m in (("collar", "Shoulder"), ("shoulder", "Arm"), ("elbow", "ForeArm"), ("wrist", "Hand"),
                    ("hip", "UpLeg"), ("knee", "Leg"), ("ankle", "Foot"), ("foot", "ToeBase"))},
}  # fmt: skip


def renamed(motion: Motion, names: dict[str, str]) -> Motion:
    skel = Skeleton(tuple(names[n] for n in JOINT_NAMES), CANONICAL.parents, CANONICAL.offsets)
    return Motion(motion.fps, motion.root_translation, motion.rotations, skeleton=skel)


def lying_with_tpose_frame(motion: Motion) -> Motion:
    """Offsets turned 90 degrees (the skeleton lies down at rest) and a first frame that stands it in a T-pose."""
    r = quat.from_axis_angle(np.array([np.pi / 2, 0.0, 0.0]))
    skel = Skeleton(CANONICAL.names, CANONICAL.parents, quat.rotate(r, CANONICAL.offsets))
    rot = quat.multiply(quat.multiply(r, motion.rotations), quat.conjugate(r))
    rot[:, 0] = quat.multiply(motion.rotations[:, 0], quat.conjugate(r))
    first = quat.identity((1, len(JOINT_NAMES)))
    first[0, 0] = quat.conjugate(r)
    root = np.concatenate([motion.root_translation[:1], motion.root_translation])
    return Motion(motion.fps, root, np.concatenate([first, rot]), skeleton=skel)


def assert_same_motion(a: Motion, b: Motion, tol_deg: float = 0.5) -> None:
    pa, pb = a.positions(), b.positions()
    pa, pb = pa - pa[:, :1], pb - pb[:, :1]  # pelvis-relative: the root offset is placement
    assert np.abs(pa - pb).max() < np.radians(tol_deg)  # metres ~ radians for a 1 m limb
    assert quat.angle_between(a.rotations[:, 1:], b.rotations[:, 1:]).max() < np.radians(tol_deg)


def test_mixamo_names_map_back_to_the_same_motion(tmp_path):
    walk = demo_motion.walk(seconds=2.0, fps=30.0)
    path = tmp_path / "walk.bvh"
    write_bvh(path, renamed(walk, MIXAMO), scale="cm")
    got, preset = read_library_clip(path)
    assert preset == "mixamo"
    assert got.fps == 30.0 and got.num_frames == walk.num_frames
    assert_same_motion(got, walk)
    step = np.linalg.norm(np.diff(got.root_translation[:, :2], axis=0), axis=-1).sum()
    assert step == pytest.approx(np.linalg.norm(np.diff(walk.root_translation[:, :2], axis=0), axis=-1).sum(), 0.01)


def test_rest_frame_stands_up_a_skeleton_whose_offsets_lie_down(tmp_path):
    wave = demo_motion.wave(seconds=2.0, fps=25.0)
    path = tmp_path / "wave.bvh"
    write_bvh(path, lying_with_tpose_frame(wave))
    with pytest.raises(MotionComposerError, match="--rest-frame 0"):
        read_library_clip(path)
    got, _ = read_library_clip(path, rest_frame=0)
    assert got.num_frames == wave.num_frames  # the T-pose frame is dropped
    assert_same_motion(got, wave)


def test_caption_csv_with_header_and_several_rows_per_file(tmp_path):
    csv = tmp_path / "captions.csv"
    csv.write_text('clip,subject,description\nwalk_01,1,"a person walks"\nwalk_01.bvh,1,strolls\nghost,2,x\n')
    rows = read_caption_csv(csv)
    match = match_captions(["walk_01", "sub/wave"], rows)
    assert match.captions == {"walk_01": ["a person walks", "strolls"]}
    assert match.unknown_files == ["ghost"] and match.uncaptioned == ["sub/wave"]
    assert mirror_caption("raises the Left hand, then the right") == "raises the Right hand, then the left"


def make_library(folder: Path) -> None:
    folder.mkdir()
    for i in range(3):
        write_bvh(folder / f"walk_{i}.bvh", renamed(demo_motion.walk(seconds=2.0 + i, fps=60.0), MIXAMO), scale="cm")
    write_bvh(folder / "wave.bvh", renamed(demo_motion.wave(seconds=2.0, fps=24.0), MIXAMO))
    (folder / "wave.txt").write_text("waves the left hand\n")
    write_bvh(folder / "short.bvh", renamed(demo_motion.walk(seconds=0.2, fps=30.0), MIXAMO))
    tail = Skeleton(
        ("root", "a", "b", "c"), (-1, 0, 1, 2), np.array([[0, 0, 0], [0.3, 0, 0], [0.3, 0, 0], [0.3, 0, 0]])
    )
    write_bvh(folder / "tail.bvh", Motion(30.0, np.zeros((20, 3)), quat.identity((20, 4)), skeleton=tail))
    write_bvh(folder / "nocaption.bvh", renamed(demo_motion.walk(seconds=2.0, fps=30.0), MIXAMO))


def prepare(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "engine.training.prepare", *args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_prepare_bvh_library_end_to_end(tmp_path):
    lib, out = tmp_path / "lib", tmp_path / "corpus"
    make_library(lib)
    csv = tmp_path / "captions.csv"
    rows = ["walk_0,a person walks", "walk_0,someone walks forward", "walk_1,walks", "walk_2,walks slowly",
            "wave,waves the left hand", "short,a short step", "tail,a tail wags", "missing_file,nothing"]  # fmt: skip
    csv.write_text("\n".join(rows) + "\n")
    done = prepare("--bvh", str(lib), "--captions", str(csv), "--out", str(out), "--hold-out", "walk_2",
                   "--licence", "CC BY 4.0", "--source-name", "mylib")  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert set(report["rejected"]) == {"short", "tail"}
    assert "too short" in report["rejected"]["short"] and "humanoid" in report["rejected"]["tail"]
    assert report["uncaptioned"] == ["nocaption"] and report["captions_for_missing_files"] == ["missing_file"]
    assert report["sources"] == {"mylib": "CC BY 4.0"} and report["mapped_by"] == {"mixamo": 5}
    assert "tail: " in done.stdout and "missing_file" in done.stdout and "nocaption" in done.stdout
    train, test = np.load(out / "train.npz"), np.load(out / "test.npz")
    assert sorted(train["clip_ids"].tolist()) == sorted(["walk_0", "walk_1", "wave"] + [
        f"{c}_mirror" for c in ("walk_0", "walk_1", "wave")])  # fmt: skip
    assert test["clip_ids"].tolist() == ["walk_2"] and float(train["fps"]) == 20.0
    table = corpus_captions(train, list(zip(train["contents"].tolist(), train["styles"].tolist(), strict=True)))
    assert table[("walk_0", "custom")] == ["a person walks", "someone walks forward"]
    assert table[("wave_mirror", "custom")] == ["waves the right hand"]
    lengths = np.diff(train["starts"])
    assert lengths[train["clip_ids"].tolist().index("walk_1")] == 61  # 3 s at 60 fps -> 20 fps
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no staging folder left


def test_bad_library_input_gives_one_line_errors_and_keeps_the_old_corpus(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = prepare("--bvh", str(empty), "--out", str(tmp_path / "c"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no .bvh files" in done.stderr
    lib, out = tmp_path / "lib", tmp_path / "corpus"
    make_library(lib)
    assert prepare("--bvh", str(lib), "--out", str(out)).returncode == 0  # the one .txt caption
    before = (out / "train.npz").read_bytes()
    nothing = tmp_path / "nothing.csv"
    nothing.write_text("ghost,a caption for a file that is not there\n")
    done = prepare("--bvh", str(lib), "--captions", str(nothing), "--out", str(out))
    assert done.returncode == 2 and "none of the 7 clips has a caption" in done.stderr and "ghost" in done.stderr
    assert (out / "train.npz").read_bytes() == before
    notcorpus = tmp_path / "mine"
    notcorpus.mkdir()
    (notcorpus / "precious.txt").write_text("keep")
    done = prepare("--bvh", str(lib), "--out", str(notcorpus))
    assert done.returncode == 2 and "not a corpus folder" in done.stderr
    assert (notcorpus / "precious.txt").read_text() == "keep"


def test_names_that_say_nothing_map_by_skeleton_shape_or_by_a_mapping_file(tmp_path):
    odd = {name: f"bone{j:02d}" for j, name in enumerate(JOINT_NAMES)}
    path = tmp_path / "odd.bvh"
    walk = demo_motion.walk(seconds=1.0, fps=30.0)
    write_bvh(path, renamed(walk, odd))
    got, preset = read_library_clip(path)  # no name matches: the automatic mapping reads the skeleton's shape
    assert preset == "shape"
    assert_same_motion(got, walk)
    mapping_file = tmp_path / "map.json"
    mapping_file.write_text(json.dumps({"joints": odd}))
    got, preset = read_library_clip(path, mapping=read_mapping_file(mapping_file))
    assert preset == "custom"
    assert_same_motion(got, walk)
    mapping_file.write_text("{not json")
    with pytest.raises(MotionComposerError, match="cannot read the mapping file"):
        read_mapping_file(mapping_file)
