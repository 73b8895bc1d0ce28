"""The Blender add-on in bpy background mode: registration, panels, armature, operators, safety."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import pytest  # noqa: E402
from test_addon_fakes import (  # noqa: E402
    MODEL_PRESENT,
    NEEDS_MODEL,
    Event,
    FakeLayout,
    empty_scene,
    fake_generate,
    model_on_two_threads,
)

import addon  # noqa: E402
import engine  # noqa: E402
from addon import capture, generation, gui, job_operators, preferences, request_builder, results  # noqa: E402
from engine import quaternion as quat  # noqa: E402
from engine import runtime  # noqa: E402
from engine.errors import RequestError  # noqa: E402
from engine.motion import Motion  # noqa: E402
from engine.skeleton import CANONICAL, FOOT_REST_HEIGHTS  # noqa: E402
from tools.bench_blender import ModalDriver, click_to_keys  # noqa: E402 (the operator's modal logic without an event loop)

pytestmark = pytest.mark.usefixtures("registered_addon")


@pytest.fixture
def scene(monkeypatch):
    """An empty scene at 30 fps with fake generation."""
    sc = empty_scene()
    monkeypatch.setattr(engine, "generate", fake_generate)
    sc.frame_start, sc.frame_end = 1, 120
    return sc


def add_rig(name="Canonical"):
    bpy.ops.motion_composer.add_canonical_armature()
    obj = bpy.context.active_object
    obj.name = name
    return obj


def user_action(obj):
    """An Action the 'user' keyed by hand on the rig, assigned to it."""
    obj.pose.bones["head"].rotation_quaternion = (0.9, 0.1, 0.0, 0.0)
    obj.pose.bones["head"].keyframe_insert("rotation_quaternion", frame=1)
    obj.pose.bones["head"].rotation_quaternion = (0.8, 0.0, 0.2, 0.0)
    obj.pose.bones["head"].keyframe_insert("rotation_quaternion", frame=20)
    action = obj.animation_data.action
    action.name = "MyHandKeys"
    return action


def fcurves(action):
    """All F-curves of an Action, legacy (4.2) or slotted (4.4+)."""
    if not hasattr(action, "layers"):
        return list(action.fcurves)
    return [fc for layer in action.layers for strip in layer.strips for bag in strip.channelbags for fc in bag.fcurves]


def snapshot(action):
    return {(fc.data_path, fc.array_index): [tuple(k.co) for k in fc.keyframe_points] for fc in fcurves(action)}


def test_register_unregister_twice():
    for _ in range(2):
        addon.unregister()
        assert not hasattr(bpy.types.Scene, "motion_composer")
        addon.register()
        assert hasattr(bpy.types.Scene, "motion_composer")
        assert bpy.ops.motion_composer.generate.get_rna_type().identifier == "MOTION_COMPOSER_OT_generate"
        assert gui.draw_object_animation_menu in bpy.types.VIEW3D_MT_object_animation._dyn_ui_initialize()
    calls = []  # the menu entry draws real operators
    gui.draw_object_animation_menu(type("Menu", (), {"layout": FakeLayout(calls)})(), bpy.context)
    assert {b["operator"] for name, b in calls if name == "operator"} == {
        "motion_composer.generate", "motion_composer.edit_inbetween"}  # fmt: skip


def _draw_all_panels(context) -> list:
    calls = []
    for cls in gui.CLASSES:
        if not issubclass(cls, bpy.types.Panel):
            continue
        assert cls.poll(context)
        assert cls.bl_category == "Motion" and cls.bl_space_type == "VIEW_3D" and cls.bl_region_type == "UI"
        layout = FakeLayout(calls)
        cls.draw(type("PanelSelf", (), {"layout": layout})(), context)
    return calls


def test_every_panel_draws_in_each_state(scene):
    calls = _draw_all_panels(bpy.context)  # no armature: offers the canonical one
    assert ("operator", {"operator": "motion_composer.add_canonical_armature", "icon": "OUTLINER_OB_ARMATURE"}) in calls
    rig = add_rig()
    s = scene.motion_composer
    s.prompt = "a person walks"
    bpy.ops.motion_composer.track_add()
    bpy.ops.motion_composer.track_add(from_preview_range=True)
    empty = bpy.data.objects.new("Handle", None)
    scene.collection.objects.link(empty)
    bpy.context.view_layer.objects.active = empty
    bpy.ops.motion_composer.constraint_add_joint_target()
    s.target = rig
    bpy.ops.motion_composer.constraint_add_keyframe()
    bpy.ops.motion_composer.generate()
    bpy.context.view_layer.objects.active = rig
    for index in range(len(s.constraints)):
        s.constraints_index = index
        calls = _draw_all_panels(bpy.context)
    ops = {b["operator"] for name, b in calls if name == "operator"}
    assert {
        "motion_composer.generate",
        "motion_composer.regenerate",
        "motion_composer.track_add",
        "motion_composer.constraint_add_root_path",
        "motion_composer.edit_regenerate_range",
        "motion_composer.edit_restyle",
        "motion_composer.edit_extend",
        "motion_composer.edit_inbetween",
    } <= ops
    labels = [b.get("text", "") for name, b in calls if name == "label"]
    assert any(t.startswith("Inferred: ") for t in labels), labels  # a track without body parts says what it drives
    # an unknown prompt: a note under it with the nearest known prompts as buttons; using one clears the note
    s.prompt_note, s.prompt_suggestions = "Unlike anything the model learned", "a person jogs\na person crawls forward"
    calls = _draw_all_panels(bpy.context)
    assert [b.get("text") for name, b in calls if b.get("operator") == "motion_composer.use_prompt"] == [
        "a person jogs", "a person crawls forward"]  # fmt: skip
    assert bpy.ops.motion_composer.use_prompt(text="a person jogs") == {"FINISHED"}
    assert s.prompt == "a person jogs" and not s.prompt_note
    # while a job runs, the panel shows progress and Cancel instead of Generate
    job_operators._RUNNING["job"] = generation.GenerationJob([], lambda m: generation.Channels({}, {}))
    try:
        calls = _draw_all_panels(bpy.context)
    finally:
        job_operators._RUNNING.clear()
    assert any(name == "progress" for name, _ in calls)
    assert "motion_composer.cancel" in {b["operator"] for name, b in calls if name == "operator"}


def test_canonical_armature_rest_is_t_pose_and_channels_round_trip(scene):
    rig = add_rig()
    assert sorted(b.name for b in rig.data.bones) == sorted(CANONICAL.names)
    heads = np.array([tuple(rig.data.bones[n].head_local) for n in CANONICAL.names])
    expected = CANONICAL.rest_positions()
    assert np.allclose(heads - heads[0], expected - expected[0], atol=1e-5)
    # standing on the floor as the data stands: ankle and ball at their standing heights
    assert heads[CANONICAL.index("left_ankle"), 2] == pytest.approx(FOOT_REST_HEIGHTS["left_ankle"], abs=1e-6)
    assert heads[CANONICAL.index("right_foot"), 2] == pytest.approx(FOOT_REST_HEIGHTS["right_foot"], abs=1e-6)

    # engine local rotations -> retargeted channels -> Blender's evaluated pose == engine FK
    rng = np.random.default_rng(3)
    local = quat.normalize(rng.normal(size=(1, 22, 4)) * [1, 0.3, 0.3, 0.3] + [2, 0, 0, 0])
    root = np.array([[0.3, -0.5, 0.95]])
    channels = results.to_channels(results.read_target(rig), Motion(30.0, root, local))
    for name in CANONICAL.names:
        rig.pose.bones[name].rotation_quaternion = channels.rotations[name][0]
    rig.pose.bones["pelvis"].location = channels.locations["pelvis"][0]
    bpy.context.view_layer.update()
    blender_pos = np.array([tuple(rig.pose.bones[n].head) for n in CANONICAL.names])
    engine_pos, _ = CANONICAL.forward_kinematics(local[0], root[0])
    assert np.abs(blender_pos - engine_pos).max() < 1e-5
    captured = capture.pose_from_armature(rig)
    assert np.allclose(captured["root_translation"], root[0], atol=1e-4)
    assert np.abs(quat.angle_between(np.array(captured["rotations"]), local[0])).max() < 1e-4


def test_request_builder_frames_to_seconds_and_messages():
    spec = request_builder.PanelSpec(prompt="a person walks", seconds=4.0, fps=25.0, frame_start=11, seed=7,
                                     tracks=[request_builder.TrackSpec("waves", 36, 61, ["right_arm"])])  # fmt: skip
    spec.constraints = [
        request_builder.ConstraintSpec("JOINT", 61, joint="left_wrist", position=(0.3, -0.2, 1.5), weight=2.0),
        request_builder.ConstraintSpec("ROOT_PATH", 11, frame_end=111, data=json.dumps([[0, 0, 0], [0, -3, 0],
                                                                                        [4, -3, 0]])),
    ]  # fmt: skip
    req = request_builder.build_request(spec)
    assert [(t.text, t.start, t.end, t.body_parts) for t in req.tracks] == [
        ("a person walks", 0.0, 4.0, []), ("waves", 1.0, 2.0, ["right_arm"])]  # fmt: skip
    joint, path = req.to_dict()["constraints"]  # the job form of the typed constraints
    assert joint == {"type": "joint", "joint": "left_wrist", "time": 2.0, "position": [0.3, -0.2, 1.5], "weight": 2.0}
    assert [p[0] for p in path["points"]] == pytest.approx([0.0, 1.71428, 4.0], abs=1e-4)  # constant ground speed
    assert [r.seed for r in request_builder.variation_requests(req, 3)] == [7, 8, 9]

    spec.tracks[0].frame_end = 200
    with pytest.raises(RequestError, match=r"track 1 \('waves'\) covers frames 36-200, outside the motion's frames"):
        request_builder.build_request(spec)
    with pytest.raises(RequestError, match="type a prompt or add a track"):
        request_builder.build_request(request_builder.PanelSpec(prompt=" ", seconds=2, fps=30))


def _job(delay=0.0, requests=None):
    req = engine.request.GenerationRequest.from_text("a person jumps", seconds=2.0, fps=30)
    gen = lambda r, **kw: fake_generate(r, delay=delay, **kw)  # noqa: E731
    return generation.GenerationJob(requests or [req, req], lambda m: generation.Channels({}, {}), generate=gen)


def test_generation_job_progress_and_cancel():
    job = _job().run()
    assert job.succeeded and len(job.results) == 2 and job.progress == 1.0

    job = _job(delay=0.05).start()
    seen = []
    while not job.done:
        seen.append(job.progress)
        time.sleep(0.01)
    assert job.succeeded and seen == sorted(seen) and 0 < max(seen) <= 1

    job = _job(delay=0.2).start()
    time.sleep(0.05)
    job.cancel()
    assert job.wait(2.0), "the worker stops at the next step after cancel"
    assert job.cancelled and not job.results and job.error is None

    def broken(request, **kwargs):
        raise RequestError("constraint 1 is outside the clip")

    job = generation.GenerationJob([1], lambda m: generation.Channels({}, {}), generate=broken).run()
    assert job.error == "constraint 1 is outside the clip" and not job.succeeded


def test_generate_writes_new_actions_and_keeps_the_users(scene):
    rig = add_rig()
    mine = user_action(rig)
    before = snapshot(mine)
    s = scene.motion_composer
    s.prompt, s.seconds, s.seed, s.variations, s.frame_start = "a person walks forward", 2.0, 5, 2, 10
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}

    new = [a for a in bpy.data.actions if a != mine]
    assert sorted(a.name for a in new) == ["Canonical|a person walks forward 1", "Canonical|a person walks forward 2"]
    active = rig.animation_data.action
    assert active.name == "Canonical|a person walks forward 1"
    curves = fcurves(active)
    bones = {fc.data_path.split('"')[1] for fc in curves}
    assert bones == set(CANONICAL.names)
    assert len(curves) == 22 * 4 + 3
    for fc in curves:
        assert tuple(fc.range()) == (10.0, 70.0)  # 2 s at 30 fps from frame 10
    values = np.array([[k.co[1] for k in fc.keyframe_points] for fc in curves])
    assert (values.std(axis=1) > 1e-4).sum() > 60, "keys must move"
    assert json.loads(active[results.PROP_REQUEST])["tracks"][0]["text"] == "a person walks forward"
    assert (active[results.PROP_SEED], new[1][results.PROP_SEED]) == (5, 6) or (
        active[results.PROP_SEED], new[0][results.PROP_SEED]) == (5, 6)  # fmt: skip
    assert active[results.PROP_MODEL] == "fake-test-model"

    # the user's Action: same keys, kept alive with a fake user, not deleted or renamed
    assert snapshot(mine) == before and mine.name == "MyHandKeys" and mine.use_fake_user


def test_the_constraints_panel_shows_each_residual_of_the_result(scene, monkeypatch):
    rows = [{"label": "constraint 0 (joint) left_wrist", "type": "JointTarget", "model_mean": 0.03, "model_max": 0.04,
             "mean": 0.0, "max": 0.0002},
            {"label": "constraint 1 (joint) left_wrist", "type": "JointTarget", "model_mean": 0.5, "model_max": 0.6,
             "mean": 0.55, "max": 0.56},
            {"label": "constraint 2 (joint) head", "type": "JointTarget", "model_mean": 0.01, "model_max": 0.01,
             "mean": 0.0, "max": 0.0, "rig_max": 0.035}]  # fmt: skip
    conflict = "constraint 0 (joint) left_wrist and constraint 1 (joint) left_wrist: targets 1.00 m apart"

    def with_residuals(request, **kwargs):
        motion = fake_generate(request, **kwargs)
        motion.metadata |= {"constraints": rows, "warnings": [conflict, "prompt 'x' is unlike anything"]}
        return motion

    monkeypatch.setattr(engine, "generate", with_residuals)
    rig = add_rig()
    scene.motion_composer.target = rig
    assert not [b for name, b in _draw_all_panels(bpy.context) if b.get("text", "").startswith("constraint ")]
    scene.motion_composer.prompt = "a person waves"
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    labels = [(b.get("text"), b.get("icon")) for name, b in _draw_all_panels(bpy.context) if name == "label"]
    assert ("constraint 0 (joint) left_wrist: 0.0 cm (model alone 4.0 cm)", "CHECKMARK") in labels
    assert ("constraint 1 (joint) left_wrist: 56.0 cm (model alone 60.0 cm)", "ERROR") in labels
    # met on the canonical skeleton, but the rig's own head is 3.5 cm off (its proportions): a miss
    assert ("constraint 2 (joint) head: 0.0 cm (model alone 1.0 cm; on the rig 3.5 cm)", "ERROR") in labels
    assert (conflict, "ERROR") in labels  # the prompt warning has its own note under the prompt
    assert not any(t.startswith("prompt ") for t, _ in labels)


def test_nla_placement_leaves_active_action(scene):
    rig = add_rig()
    mine = user_action(rig)
    s = scene.motion_composer
    s.prompt, s.seconds, s.variations, s.placement = "a person bows", 1.0, 2, "NLA"
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    assert rig.animation_data.action == mine
    tracks = rig.animation_data.nla_tracks
    assert [t.strips[0].action.name for t in tracks] == ["Canonical|a person bows 1", "Canonical|a person bows 2"]
    assert [t.mute for t in tracks] == [False, True]


def test_regenerate_reproduces_the_stored_action(scene):
    rig = add_rig()
    s = scene.motion_composer
    s.prompt, s.seconds, s.seed = "a person spins", 1.0, 42
    bpy.ops.motion_composer.generate()
    first = rig.animation_data.action
    s.prompt, s.seed = "something else", 1  # panel changed since; regenerate uses the stored settings
    assert bpy.ops.motion_composer.regenerate() == {"FINISHED"}
    second = rig.animation_data.action
    assert second != first and second[results.PROP_SEED] == 42
    assert snapshot(second) == snapshot(first)
    assert bpy.ops.motion_composer.load_settings() == {"FINISHED"}
    assert (s.prompt, s.seed) == ("a person spins", 42)


def test_regenerate_warns_when_the_model_changed(scene, capfd):
    rig = add_rig()
    scene.motion_composer.prompt = "a person spins"
    bpy.ops.motion_composer.generate()
    rig.animation_data.action[results.PROP_MODEL] = "mc-older-model"
    capfd.readouterr()
    assert bpy.ops.motion_composer.regenerate() == {"FINISHED"}
    assert "made with model mc-older-model, this is fake-test-model" in capfd.readouterr().out


def test_regenerate_warns_when_the_action_was_sampled_with_the_old_step_spacing(scene, capfd):
    rig = add_rig()
    scene.motion_composer.prompt = "a person spins"
    bpy.ops.motion_composer.generate()
    action = rig.animation_data.action
    made = json.loads(action[results.PROP_PROVENANCE])
    assert made["step_spacing"] == "trailing"
    capfd.readouterr()
    assert bpy.ops.motion_composer.regenerate() == {"FINISHED"}
    assert "differs from the source" not in capfd.readouterr().out  # same model, same sampler: no warning
    del made["step_spacing"]  # stored before spacings had names
    action = rig.animation_data.action
    action[results.PROP_PROVENANCE] = json.dumps(made)
    assert bpy.ops.motion_composer.regenerate() == {"FINISHED"}
    out = capfd.readouterr().out
    assert "sampled with 'linspace' step spacing, this engine uses 'trailing'" in out and "made with model" not in out


def test_undo_restores_the_previous_state(scene):
    rig = add_rig()
    mine = user_action(rig)
    name, keys = mine.name, snapshot(mine)
    s = scene.motion_composer
    s.prompt, s.seconds = "a person waves", 1.0
    bpy.ops.ed.undo_push(message="before")
    count = len(bpy.data.actions)
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    bpy.ops.ed.undo_push(message="Generate Motion")  # what the window manager does after an UNDO operator
    assert len(bpy.data.actions) == count + 1
    bpy.ops.ed.undo()
    assert len(bpy.data.actions) == count
    restored = bpy.data.objects["Canonical"].animation_data.action  # Python references die with undo
    assert restored.name == name and snapshot(restored) == keys and not restored.use_fake_user


def _panel_requests(context):
    return job_operators.MOTION_COMPOSER_OT_generate._requests(None, context)


def test_modal_generate_never_blocks_and_escape_cancels(scene, monkeypatch):
    rig = add_rig()
    mine = user_action(rig)
    s = scene.motion_composer
    s.prompt, s.seconds, s.variations = "a person runs", 10.0, 2
    monkeypatch.setattr(engine, "generate", lambda r, **kw: fake_generate(r, delay=0.02, **kw))
    context = bpy.context

    status, _wall, worst_cpu = ModalDriver(_panel_requests).run(context)
    assert status == {"FINISHED"} and job_operators.running_job() is None
    # the main thread's own work per step (wall time is for tools/bench_blender.py: it depends on the machine's load)
    assert worst_cpu < 0.1, f"a modal step used {worst_cpu * 1000:.0f} ms of the UI thread"
    generated = [a for a in bpy.data.actions if a != mine]
    assert len(generated) == 2

    count = len(bpy.data.actions)
    monkeypatch.setattr(engine, "generate", lambda r, **kw: fake_generate(r, delay=0.3, **kw))
    op = ModalDriver(_panel_requests)
    op.start(context)
    assert op.modal(context, Event("MOUSEMOVE")) == {"PASS_THROUGH"}
    assert op.modal(context, Event("ESC", "PRESS")) == {"CANCELLED"}
    assert job_operators.running_job() is None
    op._job.wait(2.0)
    assert len(bpy.data.actions) == count and rig.animation_data.action == generated[0]
    assert any("cancelled" in m for _, m in op.reports)


def test_cancel_operator_stops_a_running_job(scene, monkeypatch):
    add_rig()
    scene.motion_composer.prompt = "a person sits"
    monkeypatch.setattr(engine, "generate", lambda r, **kw: fake_generate(r, delay=0.3, **kw))
    op = ModalDriver(_panel_requests)
    op.start(bpy.context)
    assert bpy.ops.motion_composer.generate.poll() is False  # one generation at a time
    assert bpy.ops.motion_composer.cancel() == {"FINISHED"}
    assert op.modal(bpy.context, Event("TIMER")) == {"CANCELLED"}
    assert not [a for a in bpy.data.actions]

    op = ModalDriver(_panel_requests)  # Blender itself ends the modal operator (e.g. a file is opened)
    op.start(bpy.context)
    op.cancel(bpy.context)
    assert op._job.cancelled and job_operators.running_job() is None
    assert op._job.wait(2.0) and not op._job.results


def test_errors_are_reported_not_raised(scene):
    s = scene.motion_composer
    s.prompt = "a person walks"
    with pytest.raises(RuntimeError, match="choose an armature as the target"):
        bpy.ops.motion_composer.generate()  # bpy turns an ERROR report into RuntimeError for scripts
    add_rig()
    bpy.ops.motion_composer.track_add()
    s.tracks[0].frame_end = 500
    with pytest.raises(RuntimeError, match=r"track 1 .* covers frames"):
        bpy.ops.motion_composer.generate()
    assert not bpy.data.actions


def test_constraint_operators_feed_the_request(scene):
    rig = add_rig()
    s = scene.motion_composer
    s.prompt, s.seconds, s.target = "a person reaches", 4.0, rig
    rig.location = (1.0, 0.0, 0.0)
    empty = bpy.data.objects.new("Handle", None)
    empty.location = (1.3, -0.2, 1.5)
    scene.collection.objects.link(empty)
    curve = bpy.data.curves.new("Path", "CURVE")
    spline = curve.splines.new("POLY")
    spline.points.add(2)
    for p, co in zip(spline.points, [(1, 0, 0, 1), (1, -2, 0, 1), (3, -2, 0, 1)], strict=True):
        p.co = co
    path_obj = bpy.data.objects.new("Path", curve)
    scene.collection.objects.link(path_obj)
    scene.frame_current = 31
    bpy.context.view_layer.objects.active = empty
    assert bpy.ops.motion_composer.constraint_add_joint_target() == {"FINISHED"}
    bpy.context.view_layer.objects.active = path_obj
    assert bpy.ops.motion_composer.constraint_add_root_path() == {"FINISHED"}
    bpy.context.view_layer.objects.active = rig
    assert bpy.ops.motion_composer.constraint_add_keyframe() == {"FINISHED"}
    req = request_builder.build_request(request_builder.read_panel(scene))
    joint, path, key = req.to_dict()["constraints"]
    assert joint["time"] == 1.0 and joint["position"] == pytest.approx([0.3, -0.2, 1.5])  # rig space
    assert path["points"][0] == pytest.approx([0.0, 0.0, 0.0]) and path["points"][-1] == pytest.approx([4.0, 2, -2])
    assert key["time"] == 1.0 and len(key["pose"]["rotations"]) == 22
    bpy.ops.motion_composer.constraint_remove()
    assert len(s.constraints) == 2


def test_foreach_set_writing_speed(scene):
    """The issue's goal, 300 frames onto 22 bones in <= 50 ms, on the main thread's own CPU time (load-independent)."""
    rig = add_rig()
    motion = fake_generate(engine.request.GenerationRequest.from_text("x", seconds=299 / 30, fps=30))
    assert motion.num_frames == 300
    t0 = time.perf_counter()
    channels = results.to_channels(results.read_target(rig), motion)
    retarget_ms = (time.perf_counter() - t0) * 1000
    best = float("inf")
    for _ in range(3):
        t0 = time.thread_time()
        action = results.write_action(rig, channels, frame_start=1, name="bench", properties=None)
        best = min(best, time.thread_time() - t0)
        bpy.data.actions.remove(action)
    print(f"\nwrite_action: 300 frames x 22 bones in {best * 1000:.1f} ms CPU (retargeting {retarget_ms:.0f} ms)")
    assert best < 0.05


def test_worker_thread_never_touches_bpy(scene, monkeypatch):
    """Generation and conversion run on the worker; only apply_results runs on the main thread."""
    add_rig()
    scene.motion_composer.prompt = "a person walks"
    threads = []

    def spy(request, **kwargs):
        threads.append(threading.current_thread().name)
        return fake_generate(request, **kwargs)

    monkeypatch.setattr(engine, "generate", spy)
    op = ModalDriver(_panel_requests)
    op.start(bpy.context)
    op._job.wait(5.0)
    assert op.modal(bpy.context, Event("TIMER")) == {"FINISHED"}
    assert threads == ["motion-composer-generate"]


def test_bone_mapping_is_stored_edited_and_checked(scene):
    rig = add_rig()
    scene.motion_composer.prompt, scene.motion_composer.seconds = "a person walks", 1.0
    assert bpy.ops.motion_composer.mapping_auto() == {"FINISHED"}
    stored = json.loads(rig["motion_composer_mapping"])
    assert stored["joints"]["left_wrist"] == "left_wrist" and len(stored["joints"]) == 22
    assert bpy.ops.motion_composer.mapping_pick_bone(joint="head", bone="__none__") == {"FINISHED"}
    _draw_all_panels(bpy.context)
    with pytest.raises(RuntimeError, match="no bone mapped for head"):
        bpy.ops.motion_composer.generate()
    assert bpy.ops.motion_composer.mapping_pick_bone(joint="head", bone="head") == {"FINISHED"}
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    assert bpy.ops.motion_composer.mapping_clear() == {"FINISHED"}
    assert "motion_composer_mapping" not in rig


def test_tracks_draw_on_the_timeline(scene, monkeypatch):
    """The draw callback with the GPU modules stubbed (background mode has no GPU): one strip per enabled track."""
    import sys
    import types

    s = scene.motion_composer
    for start, end, on in ((1, 30, True), (10, 20, False), (40, 60, True)):
        track = s.tracks.add()
        track.frame_start, track.frame_end, track.enabled, track.text = start, end, on, f"t{start}"
    drawn, texts = [], []
    shader = types.SimpleNamespace(bind=lambda: None, uniform_float=lambda name, value: None)
    batch = types.SimpleNamespace(draw=lambda sh: None)

    def batch_for_shader(sh, kind, content, indices=None):
        drawn.append(content["pos"])
        return batch

    monkeypatch.setitem(sys.modules, "gpu", types.SimpleNamespace(
        shader=types.SimpleNamespace(from_builtin=lambda name: shader),
        state=types.SimpleNamespace(blend_set=lambda mode: None)))  # fmt: skip
    monkeypatch.setitem(sys.modules, "gpu_extras.batch", types.SimpleNamespace(batch_for_shader=batch_for_shader))
    monkeypatch.setitem(sys.modules, "blf", types.SimpleNamespace(
        size=lambda *a: None, color=lambda *a: None, position=lambda *a: None, draw=lambda f, text: texts.append(text)))  # fmt: skip
    view2d = types.SimpleNamespace(view_to_region=lambda x, y, clip=True: (int(10 * x), 0))
    region = types.SimpleNamespace(height=200, view2d=view2d)
    fake = types.SimpleNamespace(scene=scene, region=region, preferences=bpy.context.preferences)
    monkeypatch.setattr(bpy, "context", fake)
    gui._draw_tracks()
    assert texts == ["t1", "t40"]
    assert [(pos[0][0], pos[1][0]) for pos in drawn] == [(10, 300), (400, 600)]


@pytest.mark.skipif(not MODEL_PRESENT, reason=NEEDS_MODEL)
def test_real_model_click_to_keys(monkeypatch):
    """The shipped model through the modal path: keys on every bone, moving, and the time from click to keys."""
    scene = empty_scene()
    rig = add_rig()
    s = scene.motion_composer
    s.prompt, s.seconds, s.seed = "a person walks forward", 10.0, 0
    model_on_two_threads(monkeypatch)
    context = bpy.context
    engine.generate(engine.request.GenerationRequest.from_text("warm up", seconds=1.0), threads=2)  # load the models
    got = click_to_keys(context, 10.0)
    elapsed, worst, worst_cpu = got["click_to_keys_s"], got["longest_ui_step_s"], got["longest_ui_step_cpu_s"]
    print(f"\nclick to keys, 10 s motion, 2 threads: {elapsed:.2f} s (longest UI step {worst * 1000:.0f} ms wall, "
          f"{worst_cpu * 1000:.0f} ms CPU); speed goals: tools/bench_blender.py")  # fmt: skip
    action = rig.animation_data.action
    curves = fcurves(action)
    assert {fc.data_path.split('"')[1] for fc in curves} == set(CANONICAL.names)
    assert tuple(curves[0].range()) == (1.0, 301.0)
    assert sum(np.std([k.co[1] for k in fc.keyframe_points]) > 1e-3 for fc in curves) > 40
    assert action[results.PROP_MODEL] not in ("", "unknown")
    assert worst_cpu < 0.1  # the UI thread's own work per step; wall-clock goals are measured by the benchmark


def test_generate_fills_the_prompt_note_for_an_unknown_prompt_and_clears_it_for_a_known_one(monkeypatch):
    """After Generate, the loaded model's vocabulary decides the note under the prompt (engine.prompt_help)."""
    scene = empty_scene()
    add_rig()
    s = scene.motion_composer
    model_on_two_threads(monkeypatch)
    s.prompt, s.seconds, s.seed = "a person swims", 1.0, 0
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    assert s.prompt_note and s.prompt_suggestions.strip(), "an unknown action warns and names known prompts"
    s.prompt = "a person walks forward"
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    assert not s.prompt_note


def test_a_cuda_that_cannot_load_is_reported_once_and_the_keys_still_land(monkeypatch, capfd):
    scene = empty_scene()
    rig = add_rig()
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(runtime, "_cache", {})
    monkeypatch.setattr(preferences, "runtime_options",
                        lambda context=None: preferences.RuntimeOptions(provider="auto", threads=2))  # fmt: skip
    scene.motion_composer.prompt, scene.motion_composer.seconds = "a person walks forward", 1.0
    capfd.readouterr()
    assert bpy.ops.motion_composer.generate() == {"FINISHED"}
    out = capfd.readouterr().out
    assert out.count("CUDA could not be loaded") == 1 and "running on the CPU" in out
    assert rig.animation_data.action is not None
