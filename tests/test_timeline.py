"""Timeline composition with a synthetic denoiser whose prediction is its text's id.

With guidance 1 the guided prediction of a track is exactly its id and the
unconditional prediction is 0, so the sampled features say which track each
body part followed at each frame.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from engine import features as feat
from engine.manifest import ModelManifest
from engine.pipeline import generation
from engine.pipeline.sample import Conditions, sample_windows
from engine.pipeline.settings import SamplerSettings
from engine.request import GenerationRequest, Track
from engine.sampling import DDIMSampler
from engine.timeline import compose, plan
from engine.timeline.parts import PART_COLUMNS, infer_body_parts

FPS = 20.0
F = feat.FEATURE_DIM
OBS = F + 4


class FakeText:
    def __init__(self):
        self.ids: dict[str, int] = {}

    def encode(self, texts):
        out = np.zeros((len(texts), 384), np.float32)
        for i, t in enumerate(texts):
            if t:
                self.ids.setdefault(t, len(self.ids) + 1)
                out[i, self.ids[t]] = 1.0
        return out


class FakeNet:
    """x0 = id of the row's text everywhere (0 for the unconditional row); records every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, x_t, t, text, obs, obs_mask, valid):
        self.calls.append(dict(x=x_t.copy(), t=t.copy(), text=text.copy(), obs=obs.copy(), mask=obs_mask.copy(),
                               valid=valid.copy()))  # fmt: skip
        ids = np.where(text.any(axis=1), text.argmax(axis=1), 0).astype(np.float32)
        return np.broadcast_to(ids[:, None, None], x_t.shape).astype(np.float32).copy()


def run(tracks, seconds, *, steps=3, window=200, overlap=40, net=None, text=None, fill_text=None):
    net = net or FakeNet()
    text = text or FakeText()
    total = int(round(seconds * FPS)) + 1
    total += total % 2
    spans = plan.spans_from_tracks(tracks, FPS)
    out = sample_windows(Conditions(spans, last=seconds * FPS, fill_text=fill_text), total, stand_in(net, text.encode),
                         SamplerSettings(steps, 1.0), 0, window=window, overlap=overlap)  # fmt: skip
    return out, net, text


def stand_in(network, encode, obs_dim: int = OBS):
    """The model as the per-window sampler sees it (what runtime.Models offers)."""
    return SimpleNamespace(denoise=network, encode=encode, mean=np.zeros(F), std=np.ones(F), fps=FPS,
                           frames_per_token=2, obs_dim=obs_dim)  # fmt: skip


def part_value(out, part, seconds):
    """The (single) value of a body part's columns at a time."""
    cols = out[int(round(seconds * FPS)), PART_COLUMNS[part]]
    assert np.ptp(cols) < 1e-6, f"{part} mixes predictions at {seconds} s"
    return float(cols[0])


EXAMPLE = [
    Track("a person walks forward", 0.0, 6.0, ["legs", "torso"]),
    Track("a person waves the right hand", 2.0, 5.0),
    Track("a person bows", 6.0, 8.0),
]


def test_each_body_part_takes_its_tracks_prediction():
    out, _, text = run(EXAMPLE, 8.0)
    walk, wave, bow = (text.ids[t.text] for t in EXAMPLE)
    assert part_value(out, "legs", 1.0) == walk
    assert part_value(out, "torso", 3.5) == walk
    assert part_value(out, "right_arm", 3.5) == wave
    assert part_value(out, "right_arm", 1.0) == 0.0  # no track: the unconditional fill
    assert part_value(out, "left_arm", 3.5) == wave  # inferred track: background for unclaimed parts
    assert part_value(out, "head", 1.0) == 0.0
    for part in ("torso", "head", "legs", "left_arm"):
        assert part_value(out, part, 7.0) == bow  # bow: torso+head, and the background for the rest
    assert part_value(out, "right_arm", 5.0) == pytest.approx(0.5 * wave)  # halfway through the ramp


def test_borders_are_linear_ramps_of_the_documented_width():
    out, _, text = run(EXAMPLE, 8.0)
    wave = text.ids[EXAMPLE[1].text]
    arm = out[:, PART_COLUMNS["right_arm"]][:, 0] / wave
    half = plan.RAMP_S / 2
    t = np.arange(len(arm)) / FPS
    expect = np.clip(np.minimum((t - (2.0 - half)) / plan.RAMP_S, ((5.0 + half) - t) / plan.RAMP_S), 0, 1)
    before_bow = t < 5.5
    np.testing.assert_allclose(arm[before_bow], expect[before_bow], atol=1e-6)


def test_later_starting_track_wins_on_a_shared_body_part():
    tracks = [Track("a person walks", 0.0, 6.5, ["legs"]), Track("a person kicks", 3.0, 5.0, ["legs"])]
    out, _, text = run(tracks, 8.0)
    walk, kick = text.ids["a person walks"], text.ids["a person kicks"]
    assert part_value(out, "legs", 2.0) == walk
    assert part_value(out, "legs", 4.0) == kick
    assert part_value(out, "legs", 5.0 + plan.RAMP_S / 2 + 0.1) == walk  # the earlier track resumes after it
    assert part_value(out, "legs", 3.0) == pytest.approx(0.5 * kick + 0.5 * walk)
    assert part_value(out, "legs", 7.5) == 0.0


def test_fill_text_replaces_the_unconditional_fill():
    out, _, text = run([Track("a person waves the right hand", 2.0, 4.0)], 6.0, fill_text="a person stands still")
    assert part_value(out, "legs", 5.5) == text.ids["a person stands still"]


def step_rows(net, step: int) -> dict:
    """All rows the network saw at one denoising step (possibly over several length-grouped calls)."""
    ts = sorted({int(c["t"][0]) for c in net.calls}, reverse=True)
    calls = [c for c in net.calls if int(c["t"][0]) == ts[step]]
    keys = ("x", "text", "valid", "obs", "mask")
    return {"calls": len(calls), **{k: [row for c in calls for row in c[k]] for k in keys}}


def test_rows_are_cropped_tracks_with_their_own_unconditional_rows_in_few_calls_per_step():
    out, net, text = run(EXAMPLE, 8.0, steps=4)
    total = len(out)
    step = step_rows(net, 0)
    assert 1 <= step["calls"] <= compose.MAX_CALLS
    assert len(net.calls) == 4 * step["calls"]
    # three body-part tracks, each with an unconditional row on the same crop, + the window's one
    assert len(step["x"]) == 7
    lengths = [int(v.sum()) for v in step["valid"]]
    uncond = [i for i, t in enumerate(step["text"]) if not t.any()]
    assert len(uncond) == 4 and sum(lengths[i] == total for i in uncond) == 1
    window_row = [i for i in uncond if lengths[i] == total][0]
    # the wave (2-5 s) sees its interval plus context, starting at its crop: shorter than the window
    wave_row = [i for i, t in enumerate(step["text"]) if t[text.ids[EXAMPLE[1].text]]][0]
    a, b = plan.crop(plan.spans_from_tracks([EXAMPLE[1]], FPS)[0], 0, total, FPS, 2)
    assert lengths[wave_row] == b - a < total
    np.testing.assert_array_equal(step["x"][wave_row][: b - a], step["x"][window_row][a:b])
    assert not step["x"][wave_row][b - a :].any()
    assert all(n % 2 == 0 for n in lengths)


def test_a_body_part_track_sees_its_private_sample_on_the_parts_it_does_not_own():
    _, net, text = run(EXAMPLE, 8.0, steps=4)
    step = step_rows(net, 2)
    lengths = [int(v.sum()) for v in step["valid"]]
    window_row = [i for i, t in enumerate(step["text"]) if not t.any() and lengths[i] == max(lengths)][0]
    walk_row = [i for i, t in enumerate(step["text"]) if t[text.ids[EXAMPLE[0].text]]][0]
    walk_uncond = [i for i, t in enumerate(step["text"]) if not t.any() and i != window_row
                   and np.array_equal(step["x"][i], step["x"][walk_row])]  # fmt: skip
    assert len(walk_uncond) == 1  # guidance compares the walk with no text on the same input
    f = int(3.5 * FPS)  # walk fully on, crop starts at frame 0
    walk, shared = step["x"][walk_row][f], step["x"][window_row][f]
    for part, own in (("legs", True), ("torso", True), ("right_arm", False), ("head", False)):
        cols = PART_COLUMNS[part]
        assert np.array_equal(walk[cols], shared[cols]) == own, part


def test_one_call_per_step_unless_lengths_differ_a_lot():
    assert compose.length_groups([202, 202]) == [([0, 1], 202)]
    assert compose.length_groups([202, 190, 202]) == [([0, 1, 2], 202)]
    assert compose.length_groups([40, 202, 40, 40, 202, 40]) == [([1, 4], 202), ([0, 2, 3, 5], 40)]
    assert len(compose.length_groups([202, 150, 100, 60, 30, 20], max_calls=2)) <= 2


def test_tracks_outside_a_window_are_not_in_its_batch():
    tracks = [Track("a person walks", 0.0, 30.0, ["legs"]), Track("a person waves the right hand", 2.0, 4.0)]
    spans = plan.spans_from_tracks(tracks, FPS)
    emb = {t.text: np.zeros(384, np.float32) for t in tracks} | {"": np.zeros(384, np.float32)}
    wins = plan.windows(602, 202, 40, 2)
    rows = [len(compose.WindowComposer(FakeNet(), emb, spans, lo, hi, last=600.0, fps=FPS, guidance=1.0,
                                       frames_per_token=2, obs_dim=OBS, step=DDIMSampler(2).step).rows)
            for lo, hi in wins]  # fmt: skip
    # where the two overlap each comes with its own unconditional row; the walk alone needs none
    assert rows == [5] + [2] * (len(wins) - 1)


class WindowNet(FakeNet):
    """Predicts the index of the window being sampled (+1), to see how windows are stitched."""

    def __call__(self, x_t, t, text, obs, obs_mask, valid):
        super().__call__(x_t, t, text, obs, obs_mask, valid)
        windows = sum(1 for c in self.calls if c["t"][0] == self.calls[0]["t"][0])
        return np.full(x_t.shape, float(windows), np.float32)


def test_windows_are_conditioned_on_and_blended_into_the_previous_window():
    net = WindowNet()
    seconds = 40.0
    out, _, _ = run([Track("a person walks", 0.0, seconds)], seconds, steps=2, net=net)
    wins = plan.windows(len(out), 200, 40, 2)
    assert len(wins) == 5 and wins[-1][1] == len(out)
    assert all(a1 < b0 for (_, b0), (a1, _) in zip(wins, wins[1:], strict=False))
    for k, (lo, _) in enumerate(wins[1:], start=1):
        prev_end = wins[k - 1][1]
        p = prev_end - lo
        first = [c for c in net.calls if c["t"][0] == net.calls[0]["t"][0]][k]
        assert first["mask"][:, :p].all() and not first["mask"][:, p:].any()
        assert first["obs"][-1, 0, 0] == pytest.approx(k)  # the previous window's value observed
        assert out[lo, 0] == pytest.approx(k)  # start of the overlap: the previous window
        assert out[prev_end - 1, 0] == pytest.approx(k + 1, abs=0.05)  # end of it: this window
        assert np.all(np.diff(out[lo:prev_end, 0]) >= -1e-6)  # a monotone cross-fade
        assert out[prev_end, 0] == pytest.approx(k + 1)


def test_window_schedule_covers_everything_with_linear_cost():
    for total in (202, 400, 1202, 6002):
        wins = plan.windows(total, 200, 40, 2)
        assert wins[0][0] == 0 and wins[-1][1] == total
        assert all(b - a == 200 for a, b in wins[:-1]) and 42 <= wins[-1][1] - wins[-1][0] <= 200
        assert all(b0 - a1 >= 40 for (_, b0), (a1, _) in zip(wins, wins[1:], strict=False))
        assert len(wins) <= total / 160 + 1


@pytest.mark.parametrize(
    "text,parts",
    [
        ("a person waves the right hand", ("right_arm",)),
        ("someone waves with their left hand", ("left_arm",)),
        ("a person claps", ("left_arm", "right_arm")),
        ("a person walks forward", ("legs", "torso")),
        ("a man runs in a circle", ("legs", "torso")),
        ("a person bows", ("torso", "head")),
        ("a person nods", ("head",)),
        ("kicks with the left leg", ("legs",)),
        ("a person dances", ("legs", "torso", "head", "left_arm", "right_arm")),
        ("a person stands still", ("legs", "torso", "head", "left_arm", "right_arm")),
        ("walks while waving the right hand", ("legs", "torso", "right_arm")),
    ],
)
def test_body_part_inference_table(text, parts):
    assert infer_body_parts(text).parts == parts


def test_inference_explains_itself():
    inf = infer_body_parts("a person waves the right hand")
    assert "right_arm" in inf.describe() and "wav" in inf.describe()
    assert infer_body_parts("a person stands still").is_default


BAD = [
    ({"seconds": 8, "tracks": [{"text": "walk", "start": 3, "end": 3}]}, ["track 0", "walk", "before its end"]),
    ({"seconds": 8, "tracks": [{"text": "ok", "start": 0, "end": 2}, {"text": "wave", "start": 2, "end": 9}]},
     ["track 1", "wave", "beyond"]),
    ({"seconds": 8, "tracks": [{"text": "bow", "start": -1, "end": 2}]}, ["track 0", "bow", "negative"]),
    ({"seconds": 8, "tracks": [{"text": "wave", "start": 0, "end": 2, "body_parts": ["tail"]}]},
     ["track 0", "wave", "tail"]),
    ({"seconds": 8, "tracks": [{"text": "  ", "start": 0, "end": 2}]}, ["track 0", "no text"]),
    ({"seconds": 8, "tracks": [{"text": f"t{i}", "start": 0, "end": 1} for i in range(65)]}, ["65 tracks", "64"]),
    ({"seconds": 3 * 3600, "text": "walk"}, ["seconds", "600"]),
    ({"seconds": 8, "tracks": [{"text": "walk", "start": 0, "end": 3 * 3600}]}, ["track 0", "beyond"]),
]  # fmt: skip


@pytest.mark.parametrize("job,words", BAD)
def test_bad_timelines_name_the_problem(job, words):
    from engine.errors import RequestError

    with pytest.raises(RequestError) as err:
        GenerationRequest.from_dict(job)
    for w in words:
        assert w in str(err.value)


class FakeModels:
    """Stands in for runtime.Models (no ONNX): ids as predictions, unit statistics."""

    def __init__(self):
        self.manifest = ModelManifest("fake", FPS, frames_per_token=2, max_frames=320, default_steps=3,
                                      default_guidance=1.0)  # fmt: skip
        self.fps = FPS
        self.version = "fake"
        self.device_note = None  # runs where it was asked to (runtime.Models)
        self.directory = Path("/nonexistent/fake-model")  # no vocabulary: prompt help stays quiet
        self.mean = np.zeros(F, np.float32)
        self.std = np.ones(F, np.float32)
        self.text = FakeText()
        self.net = FakeNet()

    frames_per_token, obs_dim = 2, OBS

    def denoise(self, *args):
        return self.net(*args)

    def encode(self, texts):
        return self.text.encode(texts)


def test_the_pipeline_runs_timelines_and_long_requests_in_windows(monkeypatch):
    fake = FakeModels()
    monkeypatch.setattr(generation, "load_models", lambda *a, **k: fake)
    req = GenerationRequest.from_json_file("examples/timeline.json")
    motion = generation.generate(req)
    assert motion.num_frames == 241 and motion.fps == 30
    long = GenerationRequest.from_dict({"text": "a person walks", "seconds": 60})
    assert generation.generate(long).num_frames == 60 * 30 + 1
    lengths = {len(c["x"][0]) for c in fake.net.calls}
    assert max(lengths) == 202 and 162 in lengths  # 8 s in one window, 60 s in 10 s windows


def test_a_single_prompt_is_one_track_in_one_window(monkeypatch):
    fake = FakeModels()
    monkeypatch.setattr(generation, "load_models", lambda *a, **k: fake)
    generation.generate(GenerationRequest.from_dict({"text": "a person walks", "seconds": 6}))
    assert len(fake.net.calls) == 3 and all(len(c["x"]) == 2 for c in fake.net.calls)  # cond + uncond, 3 steps
    assert not fake.net.calls[0]["mask"].any()


class FakeEvaluator:
    def texts(self, captions):
        return np.stack([np.random.default_rng(len(c)).standard_normal(8) for c in captions])

    def motions(self, clips):
        return np.stack([np.random.default_rng(len(c)).standard_normal(8) for c in clips])


def test_timeline_suite_runs_and_reports_rows(monkeypatch, tmp_path):
    from engine.eval import timeline_suite
    from engine.eval.clips import Split
    from engine.eval.suites import Context

    fake = FakeModels()
    monkeypatch.setattr(generation, "load_models", lambda *a, **k: fake)
    pairs = [("wave-right-hand", "normal"), ("walk", "normal"), ("bow", "active"), ("raise-up-both-hands", "normal")]
    test = Split([np.zeros((60, F), np.float32)] * 4, [p[0] for p in pairs], [p[1] for p in pairs],
                 ["a", "b", "c", "d"], np.zeros(4, bool), FPS)  # fmt: skip
    ctx = Context(tmp_path, tmp_path, 0, True, FakeEvaluator(), test)
    result = timeline_suite.run(ctx)
    names = [r.metric for r in result.rows]
    assert "segment R-precision top-1" in names and "transition / inside jerk" in names
    assert "wrist-target error after clean-up" in names
    assert {g.name for g in result.goals} == {"3-track 10 s timeline (s)", "transition jerk / inside jerk",
                                              "timeline wrist targets after clean-up (cm)"}  # fmt: skip


def test_a_window_skips_tracks_only_on_frames_whose_result_is_not_used():
    late = Track("a person bows", 9.8, 12.0)  # ramps in within the last second of the first window
    spans = plan.spans_from_tracks([Track("a person walks", 0.0, 12.0), late], FPS)
    emb = {s.text: np.zeros(384, np.float32) for s in spans} | {"": np.zeros(384, np.float32)}

    def rows(tail):
        return len(compose.WindowComposer(FakeNet(), emb, spans, 0, 202, last=240.0, fps=FPS, guidance=1.0,
                                          frames_per_token=2, obs_dim=OBS, redone_tail=tail).rows)  # fmt: skip

    assert rows(0) == 3 and rows(20) == 2


def test_long_timelines_are_deterministic_and_report_progress(monkeypatch):
    fake = FakeModels()
    monkeypatch.setattr(generation, "load_models", lambda *a, **k: fake)
    job = {"seconds": 30, "seed": 4, "tracks": [{"text": "a person walks", "start": 0, "end": 30, "body_parts": ["legs"]},
                                                {"text": "a person bows", "start": 12, "end": 16}]}  # fmt: skip
    seen: list[float] = []
    a = generation.generate(GenerationRequest.from_dict(job), progress=seen.append)
    b = generation.generate(GenerationRequest.from_dict(job))
    np.testing.assert_array_equal(a.rotations, b.rotations)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and len(seen) > 10
