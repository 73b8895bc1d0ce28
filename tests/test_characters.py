"""Several characters (engine.characters): the cast job file, interactions, crowd planning, lockstep
sampling with a stand-in denoiser, clean-up and the CLI's one-file-per-character output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_constraints import InpaintingModels

from engine import cli
from engine import features as feat
from engine import quaternion as quat
from engine.characters import cast_pipeline as cgen
from engine.characters import parse_cast
from engine.characters.bodies import SEGMENTS, body_distance, segment_distance
from engine.characters.coupling import Coupling, anchored_targets, contact_targets, smooth_push
from engine.characters.interactions import Apart, Contact, Face, JointRef
from engine.characters.planner import Agent, plan_paths
from engine.characters.reach_path import contact_path
from engine.characters.terms import APPROACH_S, RELEASE_S, ContactTrack, FaceTrack
from engine.constraints.types import JointTarget
from engine.errors import RequestError
from engine.kinematics.glide_steps import glides, step_glides
from engine.motion import Motion
from engine.prompt_words import stays_put
from engine.request import GenerationRequest
from engine.sampling import SamplingRun
from engine.skeleton import CANONICAL

ROOT = Path(__file__).resolve().parent.parent

TWO = {
    "seconds": 4.0, "fps": 30, "seed": 0,
    "characters": [
        {"name": "ana", "text": "a person walks forward and shakes hands", "position": [0.0, 0.0], "facing": 0},
        {"name": "ben", "tracks": [{"text": "a person stands still", "start": 0.0, "end": 4.0}],
         "position": [0.0, -2.4], "facing": 180},
    ],
    "interactions": [
        {"type": "contact", "a": "ana.right_wrist", "b": "ben.right_wrist", "start": 2.0, "end": 3.0},
        {"type": "apart", "min_distance": 0.35},
        {"type": "face", "a": "ben", "b": "ana", "start": 0.0, "end": 1.0},
    ],
}  # fmt: skip


def job(**changes):
    data = json.loads(json.dumps(TWO))
    data.update(changes)
    return data


def test_cast_parses_characters_and_interactions():
    cast = parse_cast(job())
    assert cast.names == ["ana", "ben"]
    ben = cast.character("ben")
    assert ben.frame.origin == (0.0, -2.4) and ben.frame.yaw == pytest.approx(np.pi)
    assert ben.request.tracks[0].text == "a person stands still" and ben.request.seconds == 4.0
    assert cast.character("ana").request.seed != ben.request.seed  # same prompt twice would not be twins
    kinds = [type(i) for i in cast.interactions]
    assert kinds == [Contact, Apart, Face]
    contact = cast.interactions[0]
    assert str(contact.a) == "ana.right_wrist" and (contact.start, contact.end, contact.distance) == (2.0, 3.0, 0.0)
    assert ben.stays is True and cast.character("ana").stays is None  # ben's prompt: "a person stands still"
    assert cast.warnings == ["ben stays where it is during its contacts, as its prompt says ('a person stands "
                             'still\'); set "stays": false to have it meet its partner halfway']  # fmt: skip


@pytest.mark.parametrize("texts, stays", [
    (["a person stands still"], True),
    (["a person sits on a chair and waits"], True),
    (["A person  is STANDING in place"], True),
    (["a person stands still", "a person waves with the right hand"], True),  # an arm track goes nowhere
    (["a person walks forward and shakes hands"], False),
    (["a person stands up and walks over to the table"], False),
    (["a person waits", "a person runs"], False),  # a later track goes
    (["a person stands and turns around"], False),
    (["a person waves"], False),  # says nothing of staying: meets halfway, as before
    (["a person understands"], False),  # whole words only
])  # fmt: skip
def test_stays_is_read_from_the_prompt_when_the_job_leaves_it_out(texts, stays):
    assert stays_put(texts) is stays
    tracks = [{"text": t, "start": 0.0, "end": 4.0} for t in texts]
    for given in (None, False, True):
        data = job()
        data["characters"][1] = {"name": "ben", "tracks": tracks, "position": [0.0, -2.4], "facing": 180}
        if given is not None:
            data["characters"][1]["stays"] = given
        ben = parse_cast(data).character("ben")
        assert bool(ben.stays) is (stays if given is None else given)  # the job's word wins
    data["characters"][1].pop("stays")
    data["interactions"] = [{"type": "apart"}]
    assert parse_cast(data).character("ben").stays is None  # only a contact needs to know


def test_single_character_jobs_are_unchanged_and_point_casts_elsewhere():
    assert GenerationRequest.from_dict({"text": "a person walks"}).tracks[0].text == "a person walks"
    with pytest.raises(RequestError, match="engine.characters"):
        GenerationRequest.from_dict(job())


@pytest.mark.parametrize("change, message", [
    ({"interactions": [{"type": "contact", "a": "cat.right_wrist", "b": "ben.head", "start": 1, "end": 2}]},
     "unknown character 'cat'; characters: ana, ben"),
    ({"interactions": [{"type": "contact", "a": "ana.hand", "b": "ben.head", "start": 1, "end": 2}]},
     "unknown joint 'hand'; joints: pelvis, left_hip"),
    ({"interactions": [{"type": "contact", "a": "ana.left_wrist", "b": "ana.right_wrist", "time": 1}]},
     "same character"),
    ({"interactions": [{"type": "contact", "a": "ana.head", "b": "ben.head", "start": 3, "end": 2}]}, "before start"),
    ({"interactions": [{"type": "contact", "a": "ana.head", "b": "ben.head", "start": 1, "end": 9}]}, "outside the clip"),
    ({"interactions": [{"type": "apart", "min_distance": -1}]}, "min_distance"),
    ({"interactions": [{"type": "hug"}]}, "unknown type 'hug'"),
    ({"interactions": [{"type": "face", "a": "ana", "b": "ana"}]}, "cannot face itself"),
    ({"characters": [{"name": "ana", "text": "x"}, {"name": "ana", "text": "y"}]}, "two characters are named 'ana'"),
    ({"characters": [{"name": "a b", "text": "x"}]}, "name must start with a letter"),
    ({"characters": [{"name": "ana", "text": "x", "steps": 3}]}, "share one clock"),
    ({"characters": [{"name": "ana", "text": "x", "facing": "north"}]}, "facing must be degrees"),
    ({"characters": [{"name": "ana", "text": "x", "colour": 1}]}, "unknown field"),
    ({"characters": [{"name": "ana", "text": "x", "stays": "yes"}]}, "stays must be true or false (got 'yes')"),
    ({"characters": [{"name": "ana"}]}, "has no text"),
    ({"characters": []}, "non-empty list"),
    ({"text": "everyone waves"}, "gives each character its own"),
    ({"characters": [{"crowd": {"count": 50, "from": {"min": [0, 0], "max": [1, 1]}, "to": {"min": [5, 0],
                                                                                         "max": [6, 1]}}}]},
     "do not fit in the from area"),
    ({"characters": [{"crowd": {"count": 2, "from": [[0, 0]], "to": [[1, 1], [2, 2]]}}]}, "needs 2 points"),
])  # fmt: skip
def test_bad_cast_jobs_say_what_to_fix(change, message):
    data = job(**change)
    if "characters" in change and "interactions" not in change:
        data.pop("interactions")
    with pytest.raises(RequestError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        parse_cast(data)
    assert "\n" not in str(info.value)


def test_contact_that_cannot_hold_is_a_warning_with_its_residual():
    data = job(characters=[{"name": "ana", "text": "x", "position": [0, 0]},
                           {"name": "ben", "text": "y", "position": [20, 0]}],
               interactions=[{"type": "contact", "a": "ana.right_wrist", "b": "ben.left_wrist", "time": 1.0}])  # fmt: skip
    cast = parse_cast(data)
    assert len(cast.warnings) == 1
    assert "20.0 m apart" in cast.warnings[0] and "residual of at least 10.2 m" in cast.warnings[0]
    for c in data["characters"]:  # nobody walks: the two wrists reach 0.9 m from the pelvis each, no more
        c.update(position=[0, 0] if c["name"] == "ana" else [2.4, 0], stays=True)
    cast = parse_cast(data)
    assert len(cast.warnings) == 1 and "both stay, and their arms do not reach" in cast.warnings[0]
    assert "2.4 m apart" in cast.warnings[0] and "residual of at least 0.6 m" in cast.warnings[0]


def test_contact_targets_meet_at_the_distance_and_share_the_gap():
    a, b = np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 1.0]])
    ta, tb = contact_targets(a, b, 0.2, 0.5), contact_targets(b, a, 0.2, 0.5)
    assert np.linalg.norm(ta - tb) == pytest.approx(0.2)
    assert ta[0, 0] == pytest.approx(0.4) and tb[0, 0] == pytest.approx(0.6)
    assert np.allclose(contact_targets(a, b, 0.0, 1.0), b) and np.allclose(contact_targets(a, b, 0.0, 0.0), a)


def test_contacts_ease_in_before_and_out_after_their_span():
    """A contact term moves the arm with minimum-jerk weights over APPROACH_S before its span and RELEASE_S after
    it (no jump where the arm leaves or rejoins its path); the walk over is spread from the clip's start and
    held through the release; one who stays does not walk."""
    term = ContactTrack(CANONICAL.index("right_wrist"), 2.0, 3.0)
    frames = term.frames(20.0, 100)
    assert frames[0] == 0 and frames[-1] == 60 + 16 and list(term.span_index) == list(range(40, 61))
    w = term.weights
    assert np.allclose(w[term.span_index], 1.0) and not w[: 40 - 20].any() and w[-1] < 0.01
    assert np.abs(np.diff(w)).max() < 2.0 / 16  # no step anywhere: a minimum-jerk curve peaks at 1.875 / its frames
    assert w[21] - w[20] < 0.2 / 20  # leaves its path slowly: a fifth of a linear ramp's first step
    pos = np.zeros((len(frames), CANONICAL.num_joints, 3))
    term.aim(np.tile([[2.0, 0.0, 1.0]], (len(term.span_index), 1)))
    excess = term.root_excess(pos)[:, 0]
    assert np.allclose(excess[61:], excess[60])  # held through the release: no walking back
    assert excess[0] < 0.01 * excess[40] and excess[20] > 0.3 * excess[40]  # the walk starts with the clip
    assert np.all(np.diff(excess[:41]) >= -1e-12)
    term.moves_root = False
    assert not term.root_excess(pos).any()


def test_face_turns_eased_in_before_its_range_and_out_after_it():
    """Each frame of a face term's window turns by its minimum-jerk weight times the turn its nearest frame
    of the range needs: the whole turn on the range, none where the window starts, no step between frames."""
    term = FaceTrack(2.0, 3.0)
    frames = term.frames(20.0, 100)
    assert frames[0] == 20 and frames[-1] == 76
    rest = CANONICAL.forward_kinematics(np.tile([1.0, 0.0, 0.0, 0.0], (CANONICAL.num_joints, 1)), np.zeros(3))[0]
    pos = np.repeat(rest[None], len(frames), axis=0)
    side = pos[0, CANONICAL.index("left_shoulder"), :2] - pos[0, CANONICAL.index("right_shoulder"), :2]
    term.aim(np.tile(np.array([side[0], side[1], 0.0]) * 10, (len(frames), 1)))  # far off to the left: a 90 degree turn
    turn = term.turn(pos)
    whole = np.deg2rad(90 - 10)  # beyond the 10 degree tolerance
    assert np.allclose(np.abs(turn[term.span_index]), whole, atol=1e-3) and abs(turn[0]) < 0.01 * whole
    assert np.abs(np.diff(turn)).max() < 2.0 / 16 * whole  # minimum-jerk ramps over 20 and 16 frames: no step
    assert np.allclose(term.residual(pos), whole, atol=1e-3) and len(term.residual(pos)) == 21
    step = term.step(pos)
    assert np.allclose(step[:, 0], 0.0) and np.abs(step[0]).max() < 0.01  # about the pelvis; nothing at the start


def test_one_who_stays_reaches_within_its_reach_and_the_partner_takes_the_gap():
    pelvis = np.array([[0.0, 0.0, 0.9]])
    own, other = anchored_targets(np.array([[0.1, 0.0, 0.9]]), np.array([[2.0, 0.0, 1.1]]), pelvis,
                                  reach=0.4, distance=0.1)  # fmt: skip
    assert np.linalg.norm((own - 0.5 * (own - other))[0, :2]) == pytest.approx(0.4)
    assert np.linalg.norm(own - other) == pytest.approx(0.1) and own[0, 0] < other[0, 0]


@pytest.mark.parametrize("stays, fixed, meet_x", [
    ((), (), 1.0),  # two movers meet halfway
    (("ben",), (), 2.0 - 0.7 * 0.55),  # ben stays: at his contact reach (70 % of a wrist's comfortable 0.55 m)
    (("ana", "ben"), (), 1.0),  # both stay: the arms reach for the midpoint
    (("ana",), ("ben",), 2.0),  # ben was generated already: ana's arm takes the whole gap
])  # fmt: skip
def test_who_reaches_how_far_and_who_walks(stays, fixed, meet_x):
    wrist = CANONICAL.index("right_wrist")
    it = Contact(JointRef("ana", wrist), JointRef("ben", wrist), 0.0, 1.0)
    coupling = Coupling([it, Apart()], ["ana", "ben"], 20.0, 21, fixed=set(fixed), stays=set(stays))
    wa, wb = np.zeros((21, CANONICAL.num_joints, 3)), np.zeros((21, CANONICAL.num_joints, 3))
    wb[:, :, 0] = 2.0  # ben stands 2 m along x (every joint at his pelvis, for the test)
    ta, tb = coupling.meeting(coupling.contacts[0], wa, wb)
    assert np.allclose(ta, tb) and np.allclose(ta[:, 0], meet_x)  # distance 0: both targets on one point
    walkers = [n for n in ("ana", "ben") if n not in stays and n not in fixed]
    for name, partner in (("ana", "ben"), ("ben", "ana")):
        share = coupling.share(name, partner)
        assert share == (0.0 if name not in walkers else 0.5 if partner in walkers else 1.0)
        if name not in fixed:
            track = next(t for t in coupling.terms[name] if isinstance(t, ContactTrack))
            assert track.moves_root is (name in walkers)


def test_own_joint_target_on_a_contact_joint_sets_the_meeting_point(fake_models):
    """ana's own target for her right wrist at the contact's time pins the meeting point there (eased in and out
    over the reach window, so the target does not jump), ben takes the gap; and the residual every result
    reports for ana's own target is measured on the finished motion, after the interactions' clean-up."""
    wrist = CANONICAL.index("right_wrist")
    target = JointTarget(wrist, 2.0, 2.0, np.array([0.3, -1.2, 1.6]))
    it = Contact(JointRef("ana", wrist), JointRef("ben", wrist), 1.8, 2.2, distance=0.1)
    coupling = Coupling([it], ["ana", "ben"], 20.0, 81, pins={"ana": [target]})
    link = coupling.contacts[0]
    w = link.pin_a[:, 3]
    assert np.allclose(w[link.frames == 40], 1.0) and 0 < w[0] < 1 and not link.pin_b[:, 3].any()
    wa, wb = np.zeros((len(link.frames), CANONICAL.num_joints, 3)), np.zeros((len(link.frames), 22, 3))
    wb[:, :, 1] = -2.4
    ta, tb = coupling.meeting(link, wa, wb)
    on = link.frames == 40
    assert np.allclose(ta[on], target.position) and np.allclose(np.linalg.norm(ta - tb, axis=-1), 0.1)
    assert np.linalg.norm(np.diff(ta, axis=0), axis=-1).max() < 0.1 * 1.6  # eased in: no jump over the 1.6 m gap
    data = job(interactions=[{"type": "contact", "a": "ana.right_wrist", "b": "ben.right_wrist", "start": 1.8,
                              "end": 2.2, "distance": 0.1}])  # fmt: skip
    data["characters"][1] = {"name": "ben", "text": "a person stands still", "position": [0.0, -2.4], "facing": 180}
    data["characters"][0]["constraints"] = [{"type": "joint", "joint": "right_wrist", "time": 2.0,
                                             "position": [0.3, -1.2, 1.6]}]  # fmt: skip
    out = cgen.generate_cast(parse_cast(data))
    own = out["ana"].metadata["constraints"][0]
    pos = out["ana"].positions()[60, wrist]
    assert own["max"] == pytest.approx(float(np.linalg.norm(pos - [0.3, -1.2, 1.6])), abs=1e-9)
    assert own["max"] < 0.02 and out["ana"].metadata["interactions"][0]["max"] < 0.02


def test_body_distance_matches_brute_force_and_pushes_apart():
    rng = np.random.default_rng(1)
    pa = rng.normal(size=(5, 22, 3)) * 0.3
    pb = pa + np.array([0.5, 0.2, 0.0])
    d, away = body_distance(pa, pb)
    for f in range(5):
        brute = min(segment_distance(pa[f, i], pa[f, j], pb[f, k], pb[f, m])[0]
                    for i, j in SEGMENTS for k, m in SEGMENTS)  # fmt: skip
        assert d[f] == pytest.approx(brute)
    assert np.all(np.linalg.norm(away, axis=-1) == pytest.approx(1.0))
    far, _ = body_distance(pa, pa + np.array([30.0, 0.0, 0.0]))
    assert np.all(np.isinf(far))  # not measured: farther than anything can reach
    # a push on one frame becomes a smooth detour that keeps its size
    push = np.zeros((40, 2))
    push[20] = [0.1, 0.0]
    smooth = smooth_push(push, 20.0)
    assert smooth[20, 0] == pytest.approx(0.1, abs=0.02) and np.abs(np.diff(smooth[:, 0])).max() < 0.05


def test_body_distance_below_a_bound_measures_only_what_can_come_that_close():
    """`only_below` (what the apart pushes ask) skips segments that cannot come within the bound: below it the
    distance and push direction are the full measurement's, above it at least the bound."""
    rng = np.random.default_rng(2)
    pa = rng.normal(size=(60, 22, 3)) * 0.25
    pb = pa + np.stack([np.linspace(0.2, 1.6, 60), np.zeros(60), np.zeros(60)], -1)[:, None]  # one walks away
    skip = rng.random((60, len(SEGMENTS))) < 0.2
    full, away = body_distance(pa, pb, skip, None, 0.3)
    part, part_away = body_distance(pa, pb, skip, None, 0.3, only_below=True)
    below = full < 0.3
    assert below.any() and (~below).any()
    assert np.array_equal(part[below], full[below]) and np.allclose(part_away[below], away[below])
    assert np.all(part[~below] >= 0.3)


def test_planner_keeps_crossing_agents_apart():
    agents = [Agent(np.array([0.0, 0.0]), np.array([8.0, 0.0]), 1.2, 0.0),
              Agent(np.array([8.0, 0.1]), np.array([0.0, 0.1]), 1.2, 0.3)]  # fmt: skip
    plan = plan_paths(agents, 10.0, 0.8)
    assert plan.min_distance > 0.7
    assert np.linalg.norm(plan.paths[0, -1] - [8.0, 0.0]) < 0.05 and np.linalg.norm(plan.paths[1, -1] - [0, 0.1]) < 0.05
    assert np.array_equal(plan.paths[1, :3], np.repeat([[8.0, 0.1]], 3, 0))  # waits for its start delay


def test_crowd_agents_dodge_without_walking_back():
    """The example crowd under 8 seeds: a dodge that walked back read as a loop (23 half-second plan steps against
    the goal before the backward cost, 5 with it)."""
    job = json.loads((ROOT / "examples" / "characters_crowd.json").read_text())
    back = 0
    for seed in range(8):
        chars = [dict(c, crowd=dict(c["crowd"], seed=c["crowd"]["seed"] + 10 * seed)) for c in job["characters"]]
        for c in parse_cast(dict(job, characters=chars)).characters:
            path = c.request.constraints[0]
            xy, t = np.asarray(path.points), np.asarray(path.times)
            goal = (xy[-1] - xy[0]) / np.linalg.norm(xy[-1] - xy[0])
            back += int(((np.diff(xy, axis=0) / np.diff(t)[:, None]) @ goal < -0.1).sum())
    assert back <= 8


def test_crowd_expands_into_planned_characters():
    crowds = [{"crowd": {"count": 6, "text": ["a person walks forward", "a person walks slowly"], "seed": 3,
                         "from": {"min": [-5, -2], "max": [-3, 2]}, "to": {"min": [3, -2], "max": [5, 2]}}},
              {"crowd": {"count": 6, "seed": 4, "name": "other",
                         "from": {"min": [3, -2], "max": [5, 2]}, "to": {"min": [-5, -2], "max": [-3, 2]}}}]  # fmt: skip
    cast = parse_cast({"seconds": 10, "characters": crowds})
    assert cast.names[:2] == ["crowd1_01", "crowd1_02"] and cast.names[-1] == "other_06"
    assert cast.plan.min_distance > 0.7  # spacing 0.8 between pelvises, less what smoothing the paths takes
    assert all("short of its goal" in w and "\n" not in w for w in cast.warnings)
    texts = {c.request.tracks[0].text for c in cast.characters[:6]}
    assert texts <= {"a person walks forward", "a person walks slowly"}
    starts = {round(float(c.request.constraints[0].points[1][0]), 3) for c in cast.characters}
    assert len(starts) == 12  # nobody moves in step
    again = parse_cast({"seconds": 10, "characters": crowds})
    assert [c.frame for c in again.characters] == [c.frame for c in cast.characters]


def test_a_contact_arm_that_rose_in_two_pops_reaches_in_one_smooth_move():
    """The high five's arm rose in two pops 0.3 s apart under the approach (easing the contact onto that path
    kept two humps of speed). contact_path replaces the way in and out by one minimum-jerk move each, in the
    body's frame (a walk and a turn carry it along), from where the arm rests before the approach to the
    contact, and from the contact back to where it rests after the release."""
    fps, n = 30.0, 150
    wrist, shoulder = CANONICAL.index("right_wrist"), CANONICAL.index("right_shoulder")
    lift = np.zeros(n)
    lift[45:], lift[54:] = 0.6, 1.2  # two pops (radians about the body's forward axis): 1.5 s and 1.8 s
    rot = np.tile(np.array([1.0, 0, 0, 0]), (n, CANONICAL.num_joints, 1))
    rot[:, shoulder] = quat.from_axis_angle(np.outer(lift, [0.0, 1.0, 0.0]))
    rot[:, 0] = quat.about_z(np.linspace(0.0, 0.6, n))  # turning while it walks
    root = np.stack([np.linspace(0, 1.5, n), np.zeros(n), np.full(n, 0.94)], -1)
    motion = Motion(fps, root, rot)
    term = ContactTrack(wrist, 2.6, 2.9)
    term.frames(fps, n)
    pos = motion.positions()
    term.aim(pos[term.span_index, wrist] + [0.0, 0.0, 0.15])  # the partner's hand: a little higher
    frames, path = contact_path(motion, term)
    span = term.span_index
    assert np.allclose(path[np.isin(frames, span)], term.position)  # on target where the contact holds
    assert frames[0] <= 45 and frames[-1] >= span[-1] + round(RELEASE_S * fps)  # starts before the pops, at rest
    assert np.allclose(path[0], pos[frames[0], wrist]) and np.allclose(path[-1], pos[frames[-1], wrist])
    yaw = np.interp(frames, np.arange(n), np.linspace(0.0, 0.6, n))
    rel = path - pos[frames, 0]
    c, s = np.cos(-yaw), np.sin(-yaw)
    local = np.stack([c * rel[:, 0] - s * rel[:, 1], s * rel[:, 0] + c * rel[:, 1], rel[:, 2]], -1)
    into = frames <= span[0]
    speed = np.linalg.norm(np.diff(local[into], axis=0), axis=-1) * fps
    peak = int(np.argmax(speed))
    assert np.all(np.diff(speed[: peak + 1]) >= -1e-3) and np.all(np.diff(speed[peak:]) <= 1e-3)  # one hump
    mean = np.linalg.norm(local[into][-1] - local[into][0]) * fps / (into.sum() - 1)
    assert speed.max() == pytest.approx(1.875 * mean, rel=0.05)  # a minimum-jerk move's peak
    before = np.linalg.norm(np.diff(pos[40:60, wrist] - pos[40:60, 0], axis=0), axis=-1).max() * fps
    assert speed.max() < 0.2 * before  # the pops were several times faster


def test_a_release_joins_the_arms_own_motion_without_a_speed_step():
    """cam's high five ended its release on a lull between two humps of its own arm (where the arm was slow for
    a frame or two), and the arm's own motion then went from 0 to 1.1 m/s in three frames. The release now ends
    where the arm stays at rest (SETTLE_S), here after its own second drop, and joins it with its velocity."""
    fps, n = 30.0, 180
    wrist, shoulder = CANONICAL.index("right_wrist"), CANONICAL.index("right_shoulder")
    x1, x2 = (np.clip((np.arange(n) - a) / 13, 0.0, 1.0) for a in (100, 115))
    # raised, then two drops with a 2-frame lull between: the second sets off at once (a smoothstep)
    lift = 1.4 - 0.5 * x1**3 * (10 - 15 * x1 + 6 * x1**2) - 0.8 * x2**2 * (3 - 2 * x2)
    rot = np.tile(np.array([1.0, 0, 0, 0]), (n, CANONICAL.num_joints, 1))
    rot[:, shoulder] = quat.from_axis_angle(np.outer(lift, [0.0, 1.0, 0.0]))
    root = np.tile([0.0, 0.0, 0.94], (n, 1))
    motion = Motion(fps, root, rot)
    term = ContactTrack(wrist, 2.6, 2.9)
    term.frames(fps, n)
    pos = motion.positions()
    term.aim(pos[term.span_index, wrist] + [0.0, -0.1, 0.1])
    own = np.linalg.norm(np.diff(pos[:, wrist], axis=0), axis=-1) * fps
    assert own[113:115].max() < 0.1 and own[116] > 0.5  # the lull, then the second drop picks up within 3 frames
    frames, path = contact_path(motion, term)
    assert frames[-1] >= 128  # past the second drop: there the arm rests
    joined = np.concatenate([path, pos[frames[-1] + 1 : frames[-1] + 15, wrist]])
    speed = np.linalg.norm(np.diff(joined, axis=0), axis=-1) * fps
    release = np.flatnonzero(frames >= term.span_index[-1])[0]
    assert speed[release:].max() < 1.5  # one release hump: about 0.6 m in 1.4 s
    assert np.abs(np.diff(speed[release:])).max() < 0.1  # m/s per frame: no step where the own motion resumes


def test_a_reach_leaves_an_arm_still_moving_with_its_velocity():
    """ben's arm in the handshake was still moving (0.3-0.4 m/s) where its reach began, and the reach set off
    from a standstill: its speed fell from 0.42 to 0.08 m/s in three frames. The reach now leaves the arm's own
    path with the velocity it has there, as the release joins it."""
    fps, n = 30.0, 150
    wrist, shoulder = CANONICAL.index("right_wrist"), CANONICAL.index("right_shoulder")
    lift = 0.7 * np.arange(n) / fps  # an arm that never rests: it keeps rising at 0.7 rad/s (about 0.4 m/s)
    rot = np.tile(np.array([1.0, 0, 0, 0]), (n, CANONICAL.num_joints, 1))
    rot[:, shoulder] = quat.from_axis_angle(np.outer(lift, [0.0, 1.0, 0.0]))
    motion = Motion(fps, np.tile([0.0, 0.0, 0.94], (n, 1)), rot)
    term = ContactTrack(wrist, 2.6, 2.9)
    term.frames(fps, n)
    pos = motion.positions()
    term.aim(pos[term.span_index, wrist] + [0.0, -0.2, 0.1])
    frames, path = contact_path(motion, term)
    own = np.linalg.norm(np.diff(pos[:, wrist], axis=0), axis=-1) * fps
    assert own[frames[0] - 1] > 0.2  # still moving where the reach begins
    joined = np.concatenate([pos[frames[0] - 10 : frames[0], wrist], path[: term.span_index[0] - frames[0]]])
    velocity = np.diff(joined, axis=0) * fps
    assert np.linalg.norm(np.diff(velocity, axis=0), axis=-1).max() < 0.15  # m/s per frame: no stop and go


def test_a_body_slid_over_the_floor_walks_instead():
    """Guidance walked the high five's characters over to each other while the model kept them standing: both
    feet slid along the floor (every frame skating), then foot planting lifted both at once. step_glides makes
    the feet take turns: one planted while the other steps, each foot lifted; a body at rest is left alone."""
    from engine.eval.metrics import foot_skate_ratio
    from engine.kinematics.reach import STANDING_HEIGHT

    fps, n = 30.0, 90
    ankles = [CANONICAL.index("left_ankle"), CANONICAL.index("right_ankle")]
    rot = np.tile(np.array([1.0, 0, 0, 0]), (n, CANONICAL.num_joints, 1))
    still = np.tile([0.0, 0.0, STANDING_HEIGHT], (n, 1))
    standing = Motion(fps, still, rot)
    assert glides(standing.positions(), fps) == [] and step_glides(standing, low_is_down=True) is standing
    root = still.copy()
    root[:, 1] = -1.2 * np.clip(np.linspace(-0.2, 1.2, n), 0, 1)  # 1.2 m along -Y in 2 s, standing before/after
    slid = Motion(fps, root, rot)
    before = slid.positions()
    assert foot_skate_ratio([before], fps) > 0.5
    (a, b), *rest = glides(before, fps)
    assert not rest and a <= 14 and b >= 70
    walked = step_glides(slid, low_is_down=True)
    pos = walked.positions()
    assert np.allclose(pos[:, 0, :2], before[:, 0, :2])  # the body travels as it did (a straight leg lowers it)
    lifted = pos[:, ankles, 2] - before[:, ankles, 2] > 0.03  # (T, 2) each foot off the floor
    assert lifted[:, 0].any() and lifted[:, 1].any() and not (lifted[:, 0] & lifted[:, 1]).any()  # in turns
    assert foot_skate_ratio([pos], fps) < 0.1
    assert walked.contacts is not None and walked.contacts.shape == (n, 4)


@pytest.fixture
def fake_models(monkeypatch):
    from engine.pipeline import generation

    models = InpaintingModels()
    monkeypatch.setattr(cgen, "load_models", lambda *a, **k: models)
    monkeypatch.setattr(generation, "load_models", lambda *a, **k: models)
    return models


def test_cast_generation_meets_contacts_and_keeps_bodies_apart(fake_models):
    cast = parse_cast(job())
    out = cgen.generate_cast(cast)
    assert list(out) == ["ana", "ben"]
    ana, ben = out["ana"], out["ben"]
    assert ana.num_frames == ben.num_frames == 121
    assert np.allclose(ana.root_translation[0, :2], [0, 0]) and np.allclose(ben.root_translation[0, :2], [0, -2.4])
    rows = {r["type"]: r for r in ana.metadata["interactions"]}
    assert rows["contact"]["max"] < 0.02, rows  # the bound after clean-up
    assert rows["contact"]["model_max"] > rows["contact"]["max"]
    face = next(r for r in ben.metadata["interactions"] if r["type"] == "face")
    assert face["characters"] == ["ben", "ana"] and face["max"] < 0.02, face  # radians beyond the 10 degrees
    assert ana.metadata["character"]["name"] == "ana" and ben.metadata["character"]["facing"] == pytest.approx(180)
    assert ana.metadata["cast"]["characters"][0]["name"] == "ana" and ana.metadata["seed"] == 0
    assert np.all(np.isfinite(ana.rotations)) and np.all(np.isfinite(ben.root_translation))


def test_a_character_with_tracks_is_generated_alone_and_its_partner_adapts(fake_models):
    """ben has body-part tracks (the timeline path): generated first, placed, then a fixed partner for ana."""
    ben_tracks = [{"text": "a person walks", "start": 0.0, "end": 4.0, "body_parts": ["legs", "torso"]},
                  {"text": "a person waves", "start": 1.0, "end": 3.0, "body_parts": ["right_arm"]}]  # fmt: skip
    data = job(interactions=TWO["interactions"][:1])
    data["characters"][1]["tracks"] = ben_tracks
    out = cgen.generate_cast(parse_cast(data))
    ben = out["ben"]
    assert ben.metadata["generated_alone"] and not out["ana"].metadata["generated_alone"]
    assert np.allclose(ben.root_translation[0, :2], [0.0, -2.4], atol=1e-6)  # put where the cast placed it
    contact = out["ana"].metadata["interactions"][0]
    assert contact["max"] < 0.02, contact
    assert any("generated on their own" in w for w in ben.metadata["warnings"])
    data["characters"][1]["constraints"] = [{"type": "joint", "joint": "head", "time": 1.0, "position": [0, -2, 1.6]}]
    with pytest.raises(RequestError, match="must pin where it starts"):
        cgen.generate_cast(parse_cast(data))


def test_a_partner_that_stays_keeps_its_place_and_the_other_comes(fake_models):
    """ben 'stays': his pelvis does not move while the contact comes, holds and goes, and ana walks the whole
    gap; without `stays` the two meet halfway."""
    moved, gap = {}, {}
    for stays in (False, True):
        data = job(interactions=TWO["interactions"][:2])
        data["characters"][1] = {"name": "ben", "text": "a person stands still", "position": [0.0, -2.4],
                                 "facing": 180, "stays": stays}  # fmt: skip
        out = cgen.generate_cast(parse_cast(data))
        lo, hi = int((2.0 - APPROACH_S) * 30), int((3.0 + RELEASE_S) * 30)
        ben = out["ben"].root_translation[lo:hi, :2]
        moved[stays] = float(np.linalg.norm(ben - ben[0], axis=-1).max())
        gap[stays] = float(np.linalg.norm(out["ana"].root_translation[60, :2] - ben[60 - lo]))
        contact = out["ana"].metadata["interactions"][0]
        assert contact["max"] < 0.02, contact
        assert out["ben"].metadata["character"]["stays"] is stays
        held = [r for r in out["ben"].metadata["interactions"] if r["type"] == "stays"]
        assert len(held) == stays and all(r["characters"] == ["ben"] and r["max"] < 0.05 for r in held), held
    assert moved[True] < 0.05 and moved[False] > 0.2, moved
    assert gap[True] < 1.2, gap  # ana came to him


def test_cast_characters_take_start_and_end_with_the_single_jobs_auto_rule():
    """#18: a character takes every field a single job takes; "auto" stands up a prompt that only stands (with the
    single job's warning, named), everything else stays free, and the standing start keeps position and facing."""
    cast = parse_cast(job())
    ana, ben = cast.character("ana"), cast.character("ben")
    assert (ana.request.start, ana.request.end) == ("free", "free")
    assert (ben.request.start, ben.request.end) == ("rest", "rest")
    assert ben.frame.origin == (0.0, -2.4) and ben.frame.yaw == pytest.approx(np.pi)  # not pinned by the pose
    idle = [w for w in cast.all_warnings if "standing pose" in w]
    assert len(idle) == 1 and idle[0].startswith("ben: 'a person stands still': ") and '"free"' in idle[0]
    data = job()
    data["characters"][0] |= {"start": "rest"}
    data["characters"][1] |= {"start": "free", "end": "free"}
    cast = parse_cast(data)
    assert (cast.character("ana").request.start, cast.character("ana").request.end) == ("rest", "free")
    assert (cast.character("ben").request.start, cast.character("ben").request.end) == ("free", "free")
    assert not [w for w in cast.all_warnings if "standing pose" in w or "ignored" in w]
    data["characters"][0]["start"] = "idle"
    with pytest.raises(RequestError, match="^character 'ana': 'start' must be one of 'auto', 'free', 'rest'"):
        parse_cast(data)


def test_a_character_starts_and_ends_standing_where_the_cast_places_it_and_its_contact_holds(fake_models):
    """The standing start and end of a cast character: the pose on its first and last frame, facing and placed
    where the job puts it, stored in its provenance; the contact still holds, and a character on the timeline
    path with only standing ends is placed as one without constraints."""
    from engine.constraints.coordinates import standing_root, turned_to
    from engine.constraints.standing import standing_rotations

    data = job(interactions=TWO["interactions"][:2])
    data["characters"][0]["end"] = "rest"
    out = cgen.generate_cast(parse_cast(data))
    ana, ben = out["ana"], out["ben"]
    assert ben.metadata["request"]["start"] == ben.metadata["request"]["end"] == "rest"
    assert (ana.metadata["request"]["start"], ana.metadata["request"]["end"]) == ("free", "rest")
    assert any("standing pose" in w for w in ben.metadata["warnings"])
    assert np.allclose(ben.root_translation[0, :2], [0.0, -2.4], atol=1e-6)
    for motion, frames in ((ben, (0, -1)), (ana, (-1,))):
        pos = motion.positions()
        for f in frames:
            pose = turned_to(standing_rotations(), motion.rotations[f, 0])
            want, _ = CANONICAL.forward_kinematics(pose, standing_root(pose))
            assert np.abs((pos[f] - pos[f, 0]) - (want - want[0])).max() < 0.01, (f, motion.metadata["character"])
    turn = (feat.heading(ben.rotations[0, 0]) - np.pi + np.pi) % (2 * np.pi) - np.pi
    assert abs(np.rad2deg(turn)) < 5  # faces ana, as placed
    assert ana.metadata["interactions"][0]["max"] < 0.02, ana.metadata["interactions"][0]
    assert all(r["max"] < 0.01 for r in ben.metadata["constraints"]), ben.metadata["constraints"]
    data["characters"][1]["tracks"] = [
        {"text": "a person stands still", "start": 0.0, "end": 4.0, "body_parts": ["legs", "torso"]},
        {"text": "a person waves", "start": 1.0, "end": 3.0, "body_parts": ["right_arm"]}]  # fmt: skip
    out = cgen.generate_cast(parse_cast(data))
    ben = out["ben"]
    assert ben.metadata["generated_alone"] and ben.metadata["request"]["start"] == "rest"
    assert np.allclose(ben.root_translation[0, :2], [0.0, -2.4], atol=1e-6)
    assert out["ana"].metadata["interactions"][0]["max"] < 0.02


def test_a_character_that_only_stands_outside_contacts_is_held_where_it_is_placed(fake_models):
    """A cast character whose prompt only stands is held in place as a single clip is (its root where the job
    places it, its feet planted); one in a contact is left to `stays`."""
    data = job(interactions=[{"type": "apart", "min_distance": 0.35}])
    data["characters"][1]["position"] = [5.0, -2.4]  # out of ana's way (an apart push would move it: reported)
    out = cgen.generate_cast(parse_cast(data))
    ben = out["ben"]
    labels = [r["label"] for r in ben.metadata["constraints"]]
    assert "stands in place: root" in labels and "stands in place: left foot" in labels
    root = ben.root_translation[:, :2]
    assert np.abs(root - [5.0, -2.4]).max() < 0.01 and all(r["max"] < 0.01 for r in ben.metadata["constraints"])
    assert not [r for r in out["ana"].metadata["constraints"] if "in place" in r["label"]]
    contact = cgen.generate_cast(parse_cast(job(interactions=TWO["interactions"][:2])))["ben"]
    assert not [r for r in contact.metadata["constraints"] if "in place" in r["label"]]


def test_lockstep_steps_every_character_through_the_shared_sampling_run(fake_models, monkeypatch):
    """#13: the cast's lockstep advances one engine.sampling.SamplingRun per character (no loop of its own)."""
    calls = []
    advance = SamplingRun.advance
    monkeypatch.setattr(SamplingRun, "advance", lambda run, x0: calls.append(run.index) or advance(run, x0))
    data = job(interactions=TWO["interactions"][:2])
    data["characters"][1] = {"name": "ben", "text": "a person stands still", "position": [0.0, -2.4]}
    cgen.generate_cast(parse_cast(data))
    steps = fake_models.manifest.default_steps
    assert sorted(calls) == sorted(list(range(steps)) * 2)  # two characters, every step once each


def test_apart_keeps_side_by_side_walkers_at_their_distance(fake_models):
    """Two walkers 65 cm apart swing their arms into each other; apart (weight 0 only measures) separates them."""
    closest = {}
    for weight in (0.0, 1.0):
        cast = parse_cast({"seconds": 4.0, "characters": [
            {"name": "ana", "text": "walk", "position": [0, 0]},
            {"name": "ben", "text": "walk", "position": [0.65, 0.0], "facing": 10}],
            "interactions": [{"type": "apart", "min_distance": 0.35, "weight": weight}]})  # fmt: skip
        row = cgen.generate_cast(cast)["ana"].metadata["interactions"][0]
        closest[weight] = row["closest"]
        assert row["type"] == "apart" and row["characters"] == ["ana", "ben"]
    assert closest[0.0] < 0.3 and closest[1.0] >= 0.35 - 1e-3, closest


def test_cast_clean_up_measures_the_same_bodies_once(fake_models, monkeypatch):
    """Clean-up asks for the apart pushes of the same motions again and again (every round, after re-planting);
    they are measured once per set of motions (cleanup.Measured): far-apart walkers need no push, one measure."""
    from engine.characters import cleanup as cc

    cast = parse_cast({"seconds": 3.0, "characters": [
        {"name": "ana", "text": "walk", "position": [0, 0]}, {"name": "ben", "text": "walk", "position": [4.0, 0.0]}],
        "interactions": [{"type": "apart", "min_distance": 0.35}]})  # fmt: skip
    raw = cgen.generate_cast(cast, clean=False)
    calls = []
    pushes = Coupling.pushes
    monkeypatch.setattr(Coupling, "pushes", lambda self, *a, **k: calls.append(1) or pushes(self, *a, **k))
    out = cc.clean_cast(list(raw.values()), list(raw), cast.interactions)
    assert len(calls) == 1 and all(o is m for o, m in zip(out, raw.values(), strict=True))


def test_cli_writes_one_file_per_character_and_never_overwrites(fake_models, tmp_path, capsys):
    path = tmp_path / "two.json"
    path.write_text(json.dumps(job()))
    out = tmp_path / "shot"
    assert cli.main(["generate", "--job", str(path), "--out", str(out), "--format", "npz"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["ana.npz", "ben.npz", "cast.json"]
    manifest = json.loads((out / "cast.json").read_text())
    assert set(manifest["characters"]) == {"ana", "ben"} and manifest["characters"]["ben"]["file"] == "ben.npz"
    assert "interaction 0 (contact)" in capsys.readouterr().out
    before = (out / "ana.npz").read_bytes()
    assert cli.main(["generate", "--job", str(path), "--out", str(out), "--format", "npz"]) == 2
    assert "already exist" in capsys.readouterr().err and (out / "ana.npz").read_bytes() == before
    assert cli.main(["generate", "--job", str(path), "--out", str(tmp_path / "x.bvh")]) == 2
    assert "give a folder" in capsys.readouterr().err


def test_cast_examples_follow_the_schema_and_parse():
    from test_batch_schema import SCHEMA, _passes, validate

    from engine.characters import load_cast

    paths = sorted((ROOT / "examples").glob("characters_*.json"))
    assert len(paths) >= 4
    for path in paths:
        validate(json.loads(path.read_text()), SCHEMA)
        cast = load_cast(path)
        assert cast.characters and not [w for w in cast.warnings if "cannot meet" in w]
    assert not _passes({"characters": [{"name": "ana"}]}, SCHEMA, SCHEMA)  # no text
    assert not _passes({"characters": [{"name": "ana", "text": "x"}], "interactions": [{"type": "hug"}]}, SCHEMA,
                       SCHEMA)  # fmt: skip


def test_characters_suite_measures_a_job(fake_models):
    from engine.eval import characters_suite as suite

    data = json.loads((ROOT / "examples" / "characters_holding_hands.json").read_text())
    data["seconds"] = 3.0
    data["interactions"][0]["end"] = 3.0
    r = suite.measure_job(data)
    assert r["characters"] == 2 and r["contact_max"] < 0.02 and r["contact_model_max"] >= r["contact_max"]
    assert r["closest"] is not None and r["collisions"] >= 0 and len(r["skate"]) == 2
    assert r["peak_ratio"] > 0 and r["peak_speed"] > 0 and len(r["skate_free"]) == 2 and r["crowd"] == [False] * 2
    speeds = {"single": 0.2, "two": 0.5, "crowd5": 1.0, "crowd20": 4.0}
    table = suite.report({"holding hands": r}, speeds)
    assert "| holding hands | 2 |" in table and "crowd of 20 | 4.00 (0.200 per person) | 20.0 | <= 10 s |" in table
    real = {"all": 0.1, "walks": 0.3}
    with_real = suite.report({suite.JOBS[0]: r}, speeds, real)
    assert f"{suite.JOBS[0]} {suite.skate_against_real(r, real):.2f}" in with_real and "walks 30.0 %" in with_real


def test_characters_suite_holds_each_character_to_real_clips_of_its_kind():
    from engine.eval import characters_suite as suite

    result = {"skate": [0.05, 0.12], "crowd": [False, True]}
    assert suite.skate_against_real(result, {"all": 0.10, "walks": 0.30}) == pytest.approx(0.5)  # 5/10, 12/30
    assert suite.skate_against_real(dict(result, crowd=[False, False]), {"all": 0.10, "walks": 0.30}) == 1.2


def test_real_walks_skate_far_more_than_all_real_clips():
    """The crowd's reference: by the metric a walk's take-offs and landings skate (real walks about 33 % at
    30 fps, all real clips about 9 %), so a crowd of walkers is held to the real walks."""
    from engine.eval import characters_suite as suite
    from engine.eval.clips import DEFAULT_CORPUS, load_split

    if not (DEFAULT_CORPUS / "test.npz").exists():
        pytest.skip("the prepared corpus is absent")
    real = suite.real_skating(load_split(DEFAULT_CORPUS, "test"), 30.0)
    assert 0.05 < real["all"] < 0.15 and 0.25 < real["walks"] < 0.45
