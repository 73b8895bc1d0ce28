"""The example casts with the trained model: what the characters suite measures, held so it cannot slip back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.characters import generate_cast, parse_cast
from engine.eval import metrics as M
from engine.kinematics import contact
from engine.skeleton import CANONICAL, FOOT_INDICES

ROOT = Path(__file__).resolve().parent.parent
NEEDS_MODEL = pytest.mark.skipif(not (ROOT / "exported_models" / "manifest.json").exists(),
                                 reason="needs the trained model: exported_models/manifest.json is missing")  # fmt: skip
REAL_SKATE = {"all": 0.099, "walks": 0.328}  # real test clips at 30 fps (engine.eval.characters_suite.real_skating)


def _cast(name: str) -> dict:
    data = json.loads((ROOT / "examples" / f"{name}.json").read_text())
    return generate_cast(parse_cast(data, base_dir=ROOT / "examples"), threads=2)


def _speed_steps(motion, joint: str) -> np.ndarray:
    """(T-2,) frame-to-frame change of a joint's speed relative to the pelvis (m/s): a pop is one large step."""
    p = motion.positions()
    rel = p[:, CANONICAL.index(joint)] - p[:, 0]
    speed = np.linalg.norm(np.diff(rel, axis=0), axis=-1) * motion.fps
    return np.abs(np.diff(speed))


@NEEDS_MODEL
def test_handshake_contact_is_exact_and_the_arm_that_stays_does_not_pop():
    """ben's elbow swung its bend plane in one frame after the release (2.7 m/s in a frame; 0.15 with model
    mc-2026-11-24, 0.51 with mc-2026-12-03: a one-frame twitch of 2 cm before the release, no swing)."""
    out = _cast("characters_handshake")
    contact = [r for r in out["ben"].metadata["interactions"] if r["type"] == "contact"][0]
    assert contact["max"] < 0.02
    assert _speed_steps(out["ben"], "right_elbow").max() < 0.6


@NEEDS_MODEL
def test_example_casts_skate_no_more_than_real_clips_of_their_kind():
    """Everyone in the contact jobs against all real clips (9.9 %), crowd members against real walks (32.8 %)."""
    for name in ("characters_high_five", "characters_crowd"):
        for motion in _cast(name).values():
            kind = "walks" if motion.metadata["character"]["crowd"] else "all"
            assert M.foot_skate_ratio([motion.positions()], motion.fps) < 0.6 * REAL_SKATE[kind], name


@NEEDS_MODEL
def test_high_five_feet_do_not_slide_where_the_legs_cannot_reach_the_floor():
    """cam's reach to 1.75 m lifts the pelvis to standing height: its last re-planting pulled a lifting foot back
    onto the floor, where the straight leg pivoted it on its sliding ball for 3 frames (and dee's landing ball for
    2): 3.2 % skating with the contact against 1.3 % without. Now that end of the plant is lifted: no foot joint
    slides on the floor (within 1 cm of its standing height) for more than two frames (one with model mc-2026-11-24;
    two with mc-2026-12-03: dee's left ball twice at a landing after the contact, 1.3 and 1.0 m/s). Skating by the benchmark's
    metric (within 5 cm) counts take-offs and landings too: 2.3 % with the sampler's old step spacing, 2.8 % with
    the trailing one (two-frame take-offs 1-5 cm up; real clips 9.9 %), 3.6 % since far joint targets walk the
    body over (cam's own wrist target is far at the first step; seeds 0-3: 3.6-4.6 %, before 2.4-3.4 %)."""
    out = _cast("characters_high_five")
    skating = []
    for motion in out.values():
        pos = motion.positions()
        feet = pos[:, list(FOOT_INDICES)]
        on_floor = feet[:, :, 2] < contact.FOOT_REST + 0.01
        slide = on_floor[1:] & on_floor[:-1] & (contact.horizontal_speed(feet, motion.fps) > contact.SPEED)
        runs = [b - a for j in range(4) for a, b in contact.contact_runs(slide[:, j])]
        assert max(runs, default=0) <= 2
        skating.append(M.foot_skate_ratio([pos], motion.fps))
    assert np.mean(skating) < 0.045


@NEEDS_MODEL
def test_high_five_bodies_stay_apart_after_the_hands_meet():
    """The contact's root assist stepped the bodies back in after each apart push (b6: 31 -> 27.9 cm with 30 cm
    asked, four rounds shaving only 2.4 -> 1.2 cm); the last round now reaches with the arms alone."""
    out = _cast("characters_high_five")
    rows = [r for m in out.values() for r in m.metadata["interactions"]]
    apart = [r for r in rows if r["type"] == "apart"]
    contact_rows = [r for r in rows if r["type"] == "contact"]
    assert apart and all(r["closest"] >= r["min_distance"] - 1e-3 for r in apart), apart
    assert max(r["max"] for r in contact_rows) < 0.005


@NEEDS_MODEL
def test_the_arms_that_reach_for_a_contact_keep_their_elbow_side():
    """The reaches moved ana's and cam's wrists onto their partners' and handed the IK an elbow on the far side of
    the new arm line: it swung round in one frame (4.9 and 3.8 m/s speed change in a frame with mc-2026-12-03).
    The finished arm keeps the side of the model's own elbow (kinematics.swivel). Matched by a swivel angle, b9's
    straightening arm turned ana's elbow from her side to shoulder height in 0.25 s (4.8 m/s, largest step 1.49);
    matched by the elbow's position: 0.43, and cam 0.60."""
    for name, who in (("characters_handshake", "ana"), ("characters_high_five", "cam")):
        out = _cast(name)
        assert _speed_steps(out[who], "right_elbow").max() < 0.8, name
        contacts = [r for m in out.values() for r in m.metadata["interactions"] if r["type"] == "contact"]
        assert max(r["max"] for r in contacts) < 0.005, name
