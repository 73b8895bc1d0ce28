"""Several characters in Blender: the Cast panel's operators, the Crowd operator and batch cast jobs
(a stand-in denoiser keeps them fast; engine numbers are tested in test_characters.py)."""

from __future__ import annotations

import json
import os
import tempfile

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_addon_fakes import FakeLayout, empty_scene  # noqa: E402
from test_constraints import InpaintingModels  # noqa: E402

from addon import batch, canonical_armature, cast_builder, cast_gui, cast_results, gui, results  # noqa: E402
from engine import errors  # noqa: E402
from engine.characters import cast_pipeline as cgen  # noqa: E402
from engine.io.bvh import read_bvh  # noqa: E402

pytestmark = pytest.mark.usefixtures("registered_addon")


@pytest.fixture
def fake_models(monkeypatch):
    models = InpaintingModels()
    monkeypatch.setattr(cgen, "load_models", lambda *a, **k: models)
    return models


def rig(name: str, location=(0.0, 0.0, 0.0), yaw: float = 0.0):
    obj = canonical_armature.add_canonical_armature(bpy.context, name=name, location=location)
    obj.rotation_euler = (0.0, 0.0, yaw)
    bpy.context.view_layer.update()
    return obj


def draw_cast_panels(context) -> list:
    """Every Cast panel drawn through the RNA-checking FakeLayout (lists draw their rows too)."""
    calls = []
    for cls in cast_gui.CLASSES:
        if issubclass(cls, bpy.types.Panel):
            assert cls.poll(context)
            cls.draw(type("PanelSelf", (), {"layout": FakeLayout(calls)})(), context)
    return calls


def ana_and_ben(ana_prompt: str, ben_prompt: str):
    """(scene, Ana, Ben): a 3 s clip from frame 1, Ben 2.4 m in front of Ana facing her, both in the Cast list."""
    scene = empty_scene()
    s = scene.motion_composer
    s.seconds, s.seed, s.frame_start = 3.0, 1, 1
    ana, ben = rig("Ana"), rig("Ben", (0.0, -2.4, 0.0), np.pi)
    for obj, text in ((ana, ana_prompt), (ben, ben_prompt)):
        row = scene.motion_composer_cast.members.add()
        row.armature, row.prompt = obj, text
    return scene, ana, ben


def test_cast_panel_generates_one_action_per_armature_where_each_stands(fake_models):
    scene, ana, ben = ana_and_ben("a person walks forward", "a person stands still")
    cast = scene.motion_composer_cast
    assert bpy.ops.motion_composer.interaction_add(kind="contact") == {"FINISHED"}
    it = cast.interactions[0]
    assert (it.a, it.b) == ("Ana", "Ben")
    it.a_joint, it.b_joint, it.frame_start, it.frame_end = "right_wrist", "right_wrist", 40, 60
    bpy.ops.motion_composer.interaction_add(kind="apart")
    assert bpy.ops.motion_composer.generate_cast() == {"FINISHED"}
    for obj, name in ((ana, "Ana"), (ben, "Ben")):
        action = obj.animation_data.action
        stored = json.loads(action[cast_results.PROP_CAST])
        assert stored["character"] == name and len(stored["job"]["characters"]) == 2
    job = json.loads(ben.animation_data.action[cast_results.PROP_CAST])["job"]
    assert job["characters"][1]["position"] == pytest.approx([0.0, -2.4]) and abs(job["characters"][1]["facing"]) == (
        pytest.approx(180.0)
    )
    assert job["interactions"][0] == {"type": "contact", "a": "Ana.right_wrist", "b": "Ben.right_wrist",
                                      "distance": 0.0, "start": pytest.approx(39 / 30), "end": pytest.approx(59 / 30)}  # fmt: skip
    stored = json.loads(ben.animation_data.action[results.PROP_REQUEST])
    assert (stored["start"], stored["end"]) == ("rest", "rest")  # "auto": Ben only stands, as the Action stores
    assert "start" not in job["characters"][0] and "start" not in job["characters"][1]  # the panel left it to auto
    scene.motion_composer.end_pose = "rest"  # the Generate panel's End goes to every character
    assert [c["end"] for c in cast_builder.cast_job(scene)[0]["characters"]] == ["rest", "rest"]
    scene.motion_composer.end_pose = "auto"
    calls = draw_cast_panels(bpy.context)
    assert ("operator", {"operator": "motion_composer.generate_cast", "icon": "COMMUNITY"}) in calls
    assert any(c[0] == "prop" and c[1]["property"] == "a_joint" for c in calls)  # contact rows: joint menus
    bpy.ops.motion_composer.cast_remove()
    assert len(cast.members) == 1


def test_cast_rows_take_tracks_and_stays_and_show_them_on_the_timeline(fake_models):
    """A cast row's tracks become the character's job tracks (seconds from the motion's first frame), `stays`
    goes into the job, the timeline strips name each character, and a track past the clip is one clear line."""
    scene, ana, ben = ana_and_ben("a person walks forward", "")
    cast = scene.motion_composer_cast
    cast.members_index = 1
    cast.members[1].stays = True
    scene.frame_current = 31
    assert bpy.ops.motion_composer.cast_track_add() == {"FINISHED"}
    track = cast.members[1].tracks[0]
    assert (track.frame_start, track.frame_end) == (31, 91)
    track.text, track.body_parts = "a person waves", {"right_arm"}
    job, armatures = cast_builder.cast_job(scene)
    ben_job = job["characters"][1]
    assert ben_job["stays"] is True and "text" not in ben_job and "stays" not in job["characters"][0]
    assert ben_job["tracks"] == [{"text": "a person waves", "start": 1.0, "end": 3.0, "body_parts": ["right_arm"]}]
    assert armatures["Ben"] is ben
    assert ("Ben: a person waves", 31, 91) in [strip for source in gui.STRIP_SOURCES for strip in source(scene)]
    calls = draw_cast_panels(bpy.context)
    assert any(c[0] == "prop" and c[1]["property"] == "body_parts" for c in calls)  # the active track's editor
    assert bpy.ops.motion_composer.generate_cast() == {"FINISHED"}
    stored = json.loads(ben.animation_data.action[cast_results.PROP_CAST])
    assert stored["job"]["characters"][1]["tracks"][0]["text"] == "a person waves"
    track.frame_end = 200
    with pytest.raises(errors.RequestError, match="^Ben: track 1 .*outside the motion's frames 1-91"):
        cast_builder.cast_job(scene)
    assert bpy.ops.motion_composer.cast_track_remove() == {"FINISHED"}
    assert len(cast.members[1].tracks) == 0
    with pytest.raises(errors.RequestError, match="Ben: type what this character does"):
        cast_builder.cast_job(scene)


def test_crowd_operator_makes_linked_duplicates_with_actions(fake_models):
    scene = empty_scene()
    scene.motion_composer.seconds = 3.0
    base = rig("Walker")
    bpy.ops.object.empty_add(location=(-3.0, 0.0, 0.0))
    start = bpy.context.active_object
    start.scale = (1.5, 1.5, 1.0)
    bpy.ops.object.empty_add(location=(3.0, 0.0, 0.0))
    goal = bpy.context.active_object
    goal.scale = (1.5, 1.5, 1.0)
    cast = scene.motion_composer_cast
    cast.crowd_rig, cast.crowd_from, cast.crowd_to, cast.crowd_count = base, start, goal, 3
    before = set(scene.objects)
    assert bpy.ops.motion_composer.crowd() == {"FINISHED"}
    made = [o for o in scene.objects if o not in before]
    assert len(made) == 3 and all(o.data == base.data for o in made)  # linked duplicates
    for obj in made:
        assert obj.animation_data.action is not None
        assert -4.6 <= obj.location.x <= -1.4  # starts in the start area's footprint


def test_batch_cast_job_maps_names_to_armatures(fake_models, tmp_path):
    job = tmp_path / "two.json"
    job.write_text(json.dumps({"seconds": 2.0, "characters": [
        {"name": "ana", "text": "a person walks", "position": [0, 0]},
        {"name": "ben", "text": "a person walks", "position": [1.5, 0], "facing": 90}]}))  # fmt: skip
    scene_file = tmp_path / "scene.blend"
    empty_scene()
    rig("RigA")
    bpy.ops.wm.save_as_mainfile(filepath=str(scene_file))
    out, bvh, fbx = tmp_path / "out.blend", tmp_path / "bvh", tmp_path / "fbx"
    code = batch.main(["generate", "--job", str(job), "--scene", str(scene_file), "--armature", "ana=RigA",
                       "--output", str(out), "--bvh", str(bvh), "--fbx", str(fbx)])  # fmt: skip
    assert code == 0 and out.exists()
    assert sorted(p.name for p in bvh.iterdir()) == ["ana.bvh", "ben.bvh"]
    assert sorted(p.name for p in fbx.iterdir()) == ["ana.fbx", "ben.fbx"]
    assert all(p.stat().st_size > 10_000 for p in fbx.iterdir())  # an armature with baked keys, not a stub
    assert np.allclose(read_bvh(bvh / "ben.bvh").root_translation[0, :2], [1.5, 0.0], atol=1e-3)
    bpy.ops.wm.open_mainfile(filepath=str(out))
    try:
        assert bpy.data.objects["RigA"].animation_data.action is not None
        assert bpy.data.objects["ben"].animation_data.action is not None  # added: no armature of that name
    finally:
        empty_scene()  # later tests must not start from this file
    assert batch.main(["generate", "--job", str(job), "--armature", "ana=Nope", "--output", str(out)]) == 1
    again = ["generate", "--job", str(job), "--output", str(tmp_path / "again.blend"), "--fbx"]
    assert batch.main(again + [str(tmp_path / "one.fbx")]) == 1  # one file cannot hold every character
    assert batch.main(again + [str(fbx)]) == 1  # the FBX files exist: nothing is replaced without --overwrite
    assert not (tmp_path / "again.blend").exists()  # refused before any work
