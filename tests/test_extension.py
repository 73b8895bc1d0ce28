"""The built extension zip: contents, and an offline install into a temporary Blender user folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from test_addon_fakes import MODEL_PRESENT

from tools import build_extension

ROOT = Path(__file__).resolve().parent.parent

INSTALL_AND_GENERATE = r"""
import importlib, json, os, sys
import bpy
import numpy as np

zip_path, use_fake = sys.argv[1], sys.argv[2] == "fake"
bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
name = "bl_ext.user_default.motion_composer"
ext = importlib.import_module(name)
out = {"enabled": name in bpy.context.preferences.addons, "scene_prop": hasattr(bpy.types.Scene, "motion_composer"),
       "engine": ext.addon.engine_link.ENGINE_PACKAGE, "cli": len(ext.addon.cli._HANDLES)}
site = os.path.join(bpy.utils.user_resource("EXTENSIONS"), ".local", "lib",
                    f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
out["bundled"] = sorted(n for n in os.listdir(site) if not n.endswith(".dist-info"))
if use_fake:  # no trained model yet: stand in for the sampler only, everything else is the installed code
    def fake(request, progress=None, cancel=None, **kw):
        n = int(round(request.seconds * request.fps)) + 1
        t = np.linspace(0, 1, n)[:, None]
        rot = np.zeros((n, 22, 4)); rot[..., 0] = np.cos(t); rot[..., 1] = np.sin(t)
        m = ext.engine.Motion(request.fps, np.c_[t, -t, 0.9 + 0 * t], rot)
        m.metadata = {"seed": request.seed, "model_version": "fake"}
        return m
    ext.engine.generate = fake
bpy.ops.wm.read_homefile(use_empty=True)
bpy.ops.motion_composer.add_canonical_armature()
bpy.context.scene.motion_composer.prompt = "a person walks forward"
bpy.context.scene.motion_composer.seconds = 2.0
out["generate"] = sorted(bpy.ops.motion_composer.generate())
action = bpy.context.active_object.animation_data.action
out["action"] = action.name
out["model"] = action["motion_composer_model_version"]

# what `blender --command motion_composer generate ...` runs: a folder of two jobs, an empty scene per job
jobs = os.path.join(os.getcwd(), "jobs")
os.makedirs(jobs)
for stem in ("walk", "jump"):
    with open(os.path.join(jobs, stem + ".json"), "w") as fh:
        json.dump({"text": "a person " + stem + "s", "seconds": 1.0}, fh)
out["cli_exit"] = ext.addon.cli._execute(["generate", "--job", jobs, "--output", "blends", "--bvh", "bvh"])
out["cli_files"] = sorted(os.listdir("blends") + os.listdir("bvh"))
out["still_enabled"] = name in bpy.context.preferences.addons and hasattr(bpy.types.Scene, "motion_composer")
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "tools/build_extension.py", "--platform", "linux-x64", "--output-dir",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    if "could not download" in proc.stderr and not (ROOT / "wheels").is_dir():
        pytest.skip(f"the onnxruntime/tokenizers wheels cannot be downloaded here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = out / "motion_composer-0.1.0-linux_x64.zip"
    assert str(path) in proc.stdout and "MiB" in proc.stdout
    return path


def test_manifest_wheels_match_the_pinned_runtime():
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().split() if "==" in line)
    for wheel in manifest["wheels"]:
        name, version = Path(wheel).name.split("-")[:2]
        assert pins[name] == version, wheel
    assert manifest["blender_version_min"] == "4.2.0" and manifest["id"] == "motion_composer"
    assert not any("numpy" in w for w in manifest["wheels"]), "Blender ships numpy"


def test_gpu_variant_swaps_onnxruntime_for_the_pinned_gpu_wheel():
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    for platform, tag in (("linux-x64", "manylinux_2_28_x86_64"), ("windows-x64", "win_amd64")):
        cpu = [w for w in manifest["wheels"] if build_extension.wheel_platform(Path(w).name) == platform]
        gpu = build_extension.gpu_wheels(cpu, platform)
        assert [Path(w).name for w in gpu if "onnxruntime" in w] == [f"onnxruntime_gpu-1.31.1-cp311-cp311-{tag}.whl"]
        assert [w for w in gpu if "tokenizers" in w] == [w for w in cpu if "tokenizers" in w]
    with pytest.raises(SystemExit, match="no GPU variant for macos-arm64"):
        build_extension.gpu_wheels([], "macos-arm64")


def test_zip_holds_the_runtime_only(extension_zip):
    names = zipfile.ZipFile(extension_zip).namelist()
    assert "__init__.py" in names and "blender_manifest.toml" in names
    assert "addon/job_operators.py" in names and "engine/request.py" in names
    assert any(n.startswith("wheels/onnxruntime-") for n in names)
    for banned in ("tests/", "tools/", "docs/", "engine/training/", "engine/eval/", ".venv/", ".ci/", ".git/",
                   "exported_models/eval/"):  # fmt: skip
        assert not any(n.startswith(banned) for n in names), banned
    assert not {"mc", "BENCHMARK.md", "benchmark.json"} & set(names)  # development files
    assert "exported_models/vocabulary.json" in names  # prompt help ships with the model
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_install_offline_and_generate(extension_zip, tmp_path):
    script = tmp_path / "install.py"
    script.write_text(INSTALL_AND_GENERATE)
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    mode = "real" if MODEL_PRESENT else "fake"
    proc = subprocess.run([sys.executable, str(script), str(extension_zip), mode], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert result["enabled"] and result["scene_prop"] and result["cli"] == 1
    assert result["bundled"] == ["onnxruntime", "tokenizers"]  # wheels installed from the zip, offline
    assert result["engine"] == "bl_ext.user_default.motion_composer.engine"
    assert result["generate"] == ["FINISHED"] and result["action"] == "Canonical|a person walks forward"
    assert result["cli_exit"] == 0 and result["still_enabled"]
    assert result["cli_files"] == ["jump.blend", "jump.bvh", "walk.blend", "walk.bvh"]
    if MODEL_PRESENT:
        assert result["model"] != "fake"
