"""Batch generation: `python -m addon.batch generate ...` (and the same code behind `--command`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import pytest  # noqa: E402
from test_addon_fakes import MODEL_PRESENT, NEEDS_MODEL, fake_generate  # noqa: E402

import engine  # noqa: E402
from addon import batch  # noqa: E402
from engine.io.bvh import read_bvh  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def write_job(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def run_batch(*args: str, env_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(env_dir))
    return subprocess.run([sys.executable, "-m", "addon.batch", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_bad_jobs_give_one_line_each_and_exit_code(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    write_job(jobs / "a_broken.json", '{"text": "walk", "seconds": 4,}')
    write_job(jobs / "b_unknown.json", {"text": "walk", "speed": 3})
    write_job(jobs / "c_track.json", {"seconds": 2, "tracks": [{"text": "wave", "start": 1, "end": 5}]})
    proc = run_batch("generate", "--job", str(jobs), "--output", str(tmp_path / "out"), env_dir=tmp_path / "user")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[:3] == [
        "motion_composer: error: a_broken.json: job file " + str(jobs / "a_broken.json")
        + " is not valid JSON: Expecting property name enclosed in double quotes at line 1",
        "motion_composer: error: b_unknown.json: unknown job field(s) speed; known fields: characters, constraints, "
        "edits, end, fps, guidance, interactions, seconds, seed, start, steps, text, tracks",
        "motion_composer: error: c_track.json: track 0 ('wave') ends at 5 s, beyond the 2 s duration",
    ]  # fmt: skip
    assert lines[3] == "motion_composer: 3 of 3 job(s) failed"
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_usage_errors(tmp_path):
    proc = run_batch("generate", "--job", str(tmp_path / "missing.json"), "--output", str(tmp_path / "x.blend"),
                     env_dir=tmp_path / "user")  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.strip().endswith("does not exist")
    proc = run_batch("generate", "--job", "x.json", env_dir=tmp_path / "user")
    assert proc.returncode == 2 and "--output" in proc.stderr


def test_folder_of_jobs_end_to_end(tmp_path, monkeypatch, capsys):
    """Good and bad jobs in one run: outputs for the good ones, exit 1, resumable with --skip-existing."""
    monkeypatch.setattr(engine, "generate", fake_generate)
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    write_job(jobs / "walk.json", {"text": "a person walks", "seconds": 2.0, "fps": 30, "seed": 3})
    write_job(jobs / "wave.json", {"text": "a person waves", "seconds": 1.0, "fps": 24})
    write_job(jobs / "bad.json", {"text": ""})
    out, bvh, fbx = tmp_path / "blend", tmp_path / "bvh", tmp_path / "fbx"
    argv = ["generate", "--job", str(jobs), "--output", str(out), "--bvh", str(bvh), "--fbx", str(fbx)]
    assert batch.main(argv) == 1
    err = capsys.readouterr().err
    assert "motion_composer: error: bad.json: track 0 has no text" in err
    for stem in ("walk", "wave"):
        assert (out / f"{stem}.blend").is_file() and (bvh / f"{stem}.bvh").is_file() and (fbx / f"{stem}.fbx").is_file()
    assert not list(tmp_path.rglob(".*tmp*")), "no temporary files left behind"
    motion = read_bvh(bvh / "walk.bvh")
    assert motion.num_frames == 49 and motion.fps == pytest.approx(24)  # the scene's rate, like the keys

    # the .blend reloads with the animated canonical armature
    bpy.ops.wm.open_mainfile(filepath=str(out / "walk.blend"))
    rig = bpy.data.objects["Canonical"]
    action = rig.animation_data.action
    assert action is not None and action["motion_composer_seed"] == 3
    assert bpy.context.scene.frame_end >= bpy.context.scene.frame_start + 48  # 2 s at the scene's 24 fps

    stamp = (out / "walk.blend").stat().st_mtime_ns
    assert batch.main([*argv, "--skip-existing"]) == 1  # bad.json still fails
    assert "walk.json: outputs exist, skipped" in capsys.readouterr().out
    assert (out / "walk.blend").stat().st_mtime_ns == stamp


def test_scene_and_armature_options(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(engine, "generate", fake_generate)
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    from addon.canonical_armature import add_canonical_armature

    for name in ("HeroRig", "ExtraRig"):
        add_canonical_armature(bpy.context, name=name)
    scene_file = tmp_path / "scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(scene_file))
    job = write_job(tmp_path / "job.json", {"text": "a person jumps", "seconds": 1.0})
    out = tmp_path / "out.blend"
    assert batch.main(["generate", "--job", str(job), "--scene", str(scene_file), "--output", str(out)]) == 1
    assert "the scene has 2 armatures (ExtraRig, HeroRig): choose one with --armature" in capsys.readouterr().err
    assert batch.main(["generate", "--job", str(job), "--scene", str(scene_file), "--armature", "Nope",
                       "--output", str(out)]) == 1  # fmt: skip
    assert "no armature named 'Nope'" in capsys.readouterr().err
    assert batch.main(["generate", "--job", str(job), "--scene", str(scene_file), "--armature", "HeroRig",
                       "--output", str(out), "--nla"]) == 0  # fmt: skip
    bpy.ops.wm.open_mainfile(filepath=str(out))
    assert bpy.data.objects["HeroRig"].animation_data.nla_tracks[0].strips[0].action.name == "HeroRig|a person jumps"
    assert bpy.data.objects["ExtraRig"].animation_data is None


def test_mapping_preset_and_ik_options(tmp_path, monkeypatch, capsys):
    """--mapping FILE fits a saved preset to the job's armature and stores it; --ik is checked up front."""
    monkeypatch.setattr(engine, "generate", fake_generate)
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    from addon import mapping_store
    from addon.canonical_armature import add_canonical_armature
    from engine.retarget import write_mapping_file

    rig = add_canonical_armature(bpy.context, name="HeroRig")
    write_mapping_file(tmp_path / "hero.json", mapping_store.current_or_automatic(rig))
    scene_file = tmp_path / "scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(scene_file))
    job = write_job(tmp_path / "job.json", {"text": "a person jumps", "seconds": 1.0})
    out = tmp_path / "out.blend"
    base = ["generate", "--job", str(job), "--scene", str(scene_file), "--output", str(out)]
    assert batch.main([*base, "--mapping", str(tmp_path / "nope.json")]) == 1
    assert "nope.json' does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        batch.main([*base, "--ik", "hands"])
    assert "IK parts must be legs, arms, legs,arms or none, got 'hands'" in capsys.readouterr().err
    assert batch.main([*base, "--mapping", str(tmp_path / "hero.json"), "--ik", "none"]) == 0
    bpy.ops.wm.open_mainfile(filepath=str(out))
    stored = json.loads(bpy.data.objects["HeroRig"][mapping_store.PROP_MAPPING])
    assert len(stored["joints"]) == 22 and set(stored["sources"].values()) == {"file"}


@pytest.mark.skipif(not MODEL_PRESENT, reason=NEEDS_MODEL)
def test_real_model_batch_writes_blend_and_bvh(tmp_path):
    job = write_job(tmp_path / "walk.json", {"text": "a person walks forward", "seconds": 4.0, "seed": 1})
    proc = run_batch("generate", "--job", str(job), "--output", str(tmp_path / "walk.blend"), "--bvh",
                     str(tmp_path / "walk.bvh"), env_dir=tmp_path / "user")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    motion = read_bvh(tmp_path / "walk.bvh")
    assert motion.num_frames == 97 and motion.fps == 24  # 4 s at the (empty) scene's 24 fps, like the keys
    travelled = abs(motion.root_translation[-1, :2] - motion.root_translation[0, :2]).max()
    assert travelled > 0.5, "a walk moves the root"
