"""The neutral standing pose: what `"start": "rest"` and `"end": "rest"` put at a clip's first and last frame.

Hand-made on the canonical skeleton (not taken from any clip): upright, feet
under the hips, arms hanging at the sides with the elbows slightly bent and
the palms in, so a clip that starts and ends in it can be dropped between two
idle clips. It becomes an ordinary keyframe constraint (root anywhere on the
floor), so the sampler observes it and the clean-up puts it exactly there.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..errors import RequestError
from ..prompt_words import only_stands, stands_idle
from ..skeleton import CANONICAL
from .conflicts import chain_length
from .coordinates import standing_root
from .types import ConstraintSet, FootPlant, JointTarget, KeyframePose, RootPath

ARM_DOWN = 1.35  # rad: from the T-pose's horizontal arm to hanging, a little away from the thigh
ELBOW_BEND = 0.2  # rad, forearm forwards
HOLD = "stands in place"  # the label of the constraints in_place adds
HOLD_FACING_S = 0.25  # s between the held heading's samples
ENDS = ("auto", "free", "rest")  # values of the job's "start" and "end" fields; "auto" resolves to one of the others
#: what "auto" did to an idle prompt: said once, in the request's warnings (the model stands for such a prompt
#: since b9, but its ends are its own: the standing pose lets the clip drop between other clips, held in place)
IDLE_NOTE = (
    'a standing-idle prompt, so the clip {what} in the standing pose; set {fields} to "free" to keep the model\'s own'
)


def standing_rotations() -> np.ndarray:
    """(J, 4) local rotations of the neutral standing pose."""
    rot = quat.identity((CANONICAL.num_joints,))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        rot[CANONICAL.index(f"{side}_shoulder")] = quat.from_axis_angle(np.array([0.0, sign * ARM_DOWN, 0.0]))
        rot[CANONICAL.index(f"{side}_elbow")] = quat.from_axis_angle(np.array([0.0, 0.0, -sign * ELBOW_BEND]))
    return rot


def check_end(value, name: str) -> str:
    """A job's "start" / "end" value, checked."""
    if value not in ENDS:
        raise RequestError(f"'{name}' must be one of {', '.join(repr(e) for e in ENDS)} (got {value!r})")
    return value


def resolve_ends(start: str, end: str, tracks, seconds: float) -> tuple[str, str, str | None]:
    """(start, end, note): an "auto" end is "rest" where the prompts on at that end only stand (a standing-idle
    prompt: prompt_words.stands_idle), else "free"; the note says which ends were stood up (None: none)."""
    on = {"start": [t.text for t in tracks if t.start <= 0.0], "end": [t.text for t in tracks if t.end >= seconds]}
    asked = {"start": start, "end": end}
    stood = [name for name, value in asked.items() if value == "auto" and stands_idle(on[name])]
    out = {name: ("rest" if name in stood else "free") if value == "auto" else value for name, value in asked.items()}
    if not stood:
        return out["start"], out["end"], None
    what = {("start",): "starts", ("end",): "ends", ("start", "end"): "starts and ends"}[tuple(stood)]
    fields = " and ".join(f'"{name}"' for name in stood)
    return out["start"], out["end"], f"{on[stood[0]][0]!r}: " + IDLE_NOTE.format(what=what, fields=fields)


def rest_keyframes(start: str, end: str, seconds: float) -> list[KeyframePose]:
    """Keyframes of the standing pose at 0 s and/or at the last frame, as the job's "start" / "end" ask."""
    times = [(name, t) for name, t, value in (("start", 0.0, start), ("end", seconds, end)) if value == "rest"]
    return [KeyframePose(t, standing_rotations(), label=f"{name}: rest", any_heading=True) for name, t in times]


def in_place(start: str, end: str, tracks, cset: ConstraintSet, seconds: float,
             origin: tuple[float, float] = (0.0, 0.0), yaw: float = 0.0) -> list:  # fmt: skip
    """The root held where the clip starts (`origin` on the floor, facing `yaw`) and both feet planted, over the
    whole clip, for a clip that only stands (prompt_words.only_stands over all its tracks: nothing but standing)
    and starts and ends standing, and has no constraints of its own but wrist targets the standing arms reach
    over the ground (a target farther off may need a step, a path or a plant says where to be). The standing ends alone pin
    only the first and last frame: between them the model walks off ("a person is standing idle": 0.5-1.9 m and
    back) or turns round on the spot (175 degrees, its feet planted: they slide); with a wrist target and no
    hold the current model crouched to a head height of 0.4-0.5 m around it."""
    if (start, end) != ("rest", "rest") or not only_stands([t.text for t in tracks]):
        return []
    if cset.paths or cset.plants or cset.functions or any(k.places for k in cset.keyframes):
        return []
    xy = np.tile(np.asarray(origin, dtype=np.float64), (2, 1))
    rot = standing_rotations()
    rot[0] = quat.multiply(quat.about_z(yaw), rot[0])
    pos, _ = CANONICAL.forward_kinematics(rot, standing_root(rot))  # at the origin; the feet where the ends put them
    pos = pos + np.array([*xy[0], 0.0])
    if not all(_over_standing_reach(j, pos) for j in cset.joints):
        return []
    times = np.append(np.arange(0.0, seconds, HOLD_FACING_S), seconds)
    facing = np.stack([times, np.full(len(times), yaw)], axis=-1)
    root = RootPath(np.array([0.0, seconds]), xy, np.full(2, np.nan), facing, dense=True, label=f"{HOLD}: root",
                    places=False)  # fmt: skip
    return [root] + [FootPlant(side, 0.0, seconds, pos[CANONICAL.index(f"{side}_ankle"), :2],
                               label=f"{HOLD}: {side} foot") for side in ("left", "right")]  # fmt: skip


def _over_standing_reach(target: JointTarget, standing: np.ndarray) -> bool:
    """Whether a wrist target is over the ground within the arm's length of its shoulder in the standing pose
    `standing` (J, 3). How high does not count: no step gets the hand higher, and without the hold a target
    above the arm's reach (a wrist at 1.9 or 2.5 m) had the current model dive head first at seed 0 (head 5-12
    cm above the floor at 1 s, the target missed all the same); held, the arm reaches up as far as it goes and
    the rest is reported."""
    name = CANONICAL.names[target.joint]
    position = np.asarray(target.position, dtype=float)
    if not name.endswith("_wrist") or position.shape != (3,):
        return False
    shoulder = CANONICAL.index(name.replace("_wrist", "_shoulder"))
    arm = chain_length(target.joint) - chain_length(shoulder)
    return float(np.linalg.norm(position[:2] - standing[shoulder, :2])) <= arm
