"""The Model panel and preferences: the chosen model folder's version and what it knows, switched live."""

from __future__ import annotations

import json
import os
import tempfile

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import pytest  # noqa: E402
from test_addon_fakes import FakeLayout, empty_scene  # noqa: E402

from addon import model_gui, preferences  # noqa: E402
from engine.runtime import DEFAULT_MODEL_DIR  # noqa: E402

pytestmark = pytest.mark.usefixtures("registered_addon")


def labels(model_dir) -> list[tuple[str, str]]:
    calls = []
    preferences.draw_model_info(FakeLayout(calls), model_dir)
    return [(b["text"], b.get("icon", "")) for name, b in calls if name == "label"]


def fine_tuned_folder(folder, version="mc-test-123"):
    folder.mkdir()
    manifest = {"model_version": version, "init": {"model_version": "mc-base"}, "licence": "non-commercial",
                "data": [{"name": "my studio mocap"}], "vocabulary": ["basketball - forward dribble", "swordplay"]}  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_panel_shows_the_chosen_folder_and_follows_a_switch(monkeypatch, tmp_path):
    empty_scene()
    shipped = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())["model_version"]
    chosen = {"dir": None}
    monkeypatch.setattr(preferences, "runtime_options", lambda context=None: preferences.RuntimeOptions(
        model_dir=chosen["dir"]))  # fmt: skip
    calls = []
    model_gui.MOTION_COMPOSER_PT_model.draw(type("PanelSelf", (), {"layout": FakeLayout(calls)})(), bpy.context)
    texts = [b["text"] for name, b in calls if name == "label"]
    assert texts[0] == f"Model {shipped}" and any(t.startswith("Knows: walk") for t in texts)
    chosen["dir"] = str(fine_tuned_folder(tmp_path / "mine"))  # the preference changes: no restart
    got = labels(preferences.runtime_options().model_dir)
    assert got[0] == ("Model mc-test-123", "FILE_3D")
    assert ("Fine-tuned from mc-base", "NONE") in got and ("Knows: basketball - forward dribble", "NONE") in got
    assert ("Data: my studio mocap", "NONE") in got


def test_a_folder_without_a_model_says_so(tmp_path):
    got = labels(str(tmp_path))
    assert got[0][1] == "ERROR" and "manifest.json is missing" in " ".join(t.strip() for t, _ in got)
