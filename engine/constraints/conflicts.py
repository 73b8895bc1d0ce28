"""Constraints that cannot all hold: one warning line each, before sampling, naming the constraints involved.

The generator still makes its best effort (guidance and clean-up trade the
constraints off, the residuals say by how much each was missed); these lines
tell the animator why, and which constraint to change, before they wait for
the result. Checked, from the request alone (no model):

- two targets for one joint farther apart than the joint can travel in the
  time between them (MAX_JOINT_SPEED, about the fastest wrist of the real
  test clips);
- a joint target out of the body's reach: higher than the joint reaches
  standing on tiptoe, below the floor, or farther from the root path at that
  time than the chain from the pelvis to the joint is long;
- a foot plant and a root path that take the pelvis farther from the planted
  foot than the leg reaches (the issue's "root path moves 3 m in 0.5 s");
- two plants of one foot at the same time on different spots.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from ..skeleton import CANONICAL, FOOT_REST_HEIGHTS
from .types import ConstraintSet, FootPlant, JointTarget, RootPath

MAX_JOINT_SPEED = 7.0  # m/s: the fastest real left wrist of the test split peaks at 7.2 m/s
TOLERANCE = 0.02  # m: closer than this counts as the same place
STANDING_PELVIS = 0.94  # m: pelvis height of the standing pose (kinematics.reach.STANDING_HEIGHT)
TIPTOE = 0.1  # m: how much higher than standing the pelvis gets without jumping
LUNGE_PELVIS = 0.6  # m: the pelvis height of a deep lunge, where a leg reaches farthest along the floor


def conflicts(cset: ConstraintSet) -> list[str]:
    """One line per pair (or single constraint) that cannot hold; empty when nothing contradicts."""
    joints = [j for j in cset.joints if j.weight > 0]
    plants = [p for p in cset.plants if p.weight > 0]
    paths = [p for p in cset.paths if p.weight > 0]
    out = [_too_fast(a, b) for a, b in combinations(joints, 2) if a.joint == b.joint]
    out += [_out_of_reach(j) for j in joints]
    out += [_far_from_path(j, p) for j in joints for p in paths]
    out += [_plant_vs_path(f, p) for f in plants for p in paths]
    out += [_two_spots(a, b) for a, b in combinations(plants, 2) if a.side == b.side]
    return [line for line in out if line]


def names(line: str, label: str) -> bool:
    """Whether a conflict line (``"A and B: ..."`` or ``"A: ..."``) is about the constraint labelled `label`."""
    head, sep, _ = line.partition(": ")
    return bool(sep) and label in head.split(" and ")


def _name(joint: int) -> str:
    return CANONICAL.names[joint]


def chain_length(joint: int) -> float:
    """Length (m) of the bones from the pelvis to `joint`."""
    lengths = CANONICAL.bone_lengths()
    total = 0.0
    while CANONICAL.parents[joint] >= 0:
        total += float(lengths[joint])
        joint = CANONICAL.parents[joint]
    return total


def _gap(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    """Seconds between two spans (0 when they overlap)."""
    return max(0.0, max(a_start, b_start) - min(a_end, b_end))


def _too_fast(a: JointTarget, b: JointTarget) -> str:
    dist = float(np.linalg.norm(np.asarray(a.position) - b.position))
    dt = _gap(a.start, a.end, b.start, b.end)
    if dist <= MAX_JOINT_SPEED * dt + TOLERANCE:
        return ""
    when = "at the same time" if dt == 0 else f"{dt:g} s apart"
    return (f"{a.label} and {b.label}: targets for the {_name(a.joint)} {dist:.2f} m apart {when} (a joint moves at "
            f"most {MAX_JOINT_SPEED:g} m/s): both cannot hold; the result is a compromise")  # fmt: skip


def _out_of_reach(j: JointTarget) -> str:
    z = float(j.position[2])
    highest = STANDING_PELVIS + TIPTOE + chain_length(j.joint)
    if z > highest:
        return (f"{j.label}: the target at {z:.2f} m is above what the body reaches without jumping "
                f"(about {highest:.2f} m): it will be missed; the residual is reported")  # fmt: skip
    if z < 0.0:
        return f"{j.label}: the target at {z:.2f} m is below the floor: it will be missed"
    return ""


def _path_points(p: RootPath, start: float, end: float) -> np.ndarray:
    """Root ground positions (N, 2) the path gives within [start, end] (its own points there and both ends)."""
    a, b = max(start, float(p.times[0])), min(end, float(p.times[-1]))
    if a > b:
        return np.zeros((0, 2))
    inside = p.times[(p.times > a) & (p.times < b)]
    return p.at(np.concatenate([[a], inside, [b]]))[0]


def _far_from_path(j: JointTarget, p: RootPath) -> str:
    if j.joint == 0:
        return ""
    root = _path_points(p, j.start, j.end)
    if not len(root):
        return ""
    far = float(np.linalg.norm(root - np.asarray(j.position)[:2], axis=-1).max())
    reach = chain_length(j.joint)
    if far <= reach + TOLERANCE:
        return ""
    return (f"{j.label} and {p.label}: the {_name(j.joint)} target is {far:.2f} m from where the root path puts the "
            f"pelvis, farther than it reaches ({reach:.2f} m): both cannot hold; the result is a compromise")  # fmt: skip


def _floor_reach(side: str) -> float:
    """How far (m) over the ground a planted ankle can be from the pelvis: the leg stretched from a lunge, plus
    the hip's sideways offset."""
    hip, ankle = CANONICAL.index(f"{side}_hip"), CANONICAL.index(f"{side}_ankle")
    leg = chain_length(ankle) - chain_length(hip)
    drop = LUNGE_PELVIS - FOOT_REST_HEIGHTS[f"{side}_ankle"]
    return float(np.sqrt(max(leg**2 - drop**2, 0.0)) + np.linalg.norm(CANONICAL.offsets[hip][:2]))


def _plant_vs_path(f: FootPlant, p: RootPath) -> str:
    root = _path_points(p, f.start, f.end)
    if not len(root):
        return ""
    horizontal = _floor_reach(f.side)
    if f.position is not None:
        far = float(np.linalg.norm(root - f.position, axis=-1).max())
        limit, what = horizontal, f"puts the pelvis {far:.2f} m from the planted {f.side} foot"
    else:
        far = float(np.linalg.norm(root[:, None] - root[None], axis=-1).max())
        limit, what = 2 * horizontal, f"moves the pelvis {far:.2f} m while the {f.side} foot stays planted"
    if far <= limit + TOLERANCE:
        return ""
    return (f"{f.label} and {p.label}: the path {what} ({f.start:g}-{f.end:g} s), farther than the leg reaches "
            f"({limit:.2f} m): both cannot hold; the result is a compromise")  # fmt: skip


def _two_spots(a: FootPlant, b: FootPlant) -> str:
    if a.position is None or b.position is None or _gap(a.start, a.end, b.start, b.end) > 0:
        return ""
    dist = float(np.linalg.norm(np.asarray(a.position) - b.position))
    if dist <= TOLERANCE:
        return ""
    return (f"{a.label} and {b.label}: the {a.side} foot is planted on two spots {dist:.2f} m apart at the same "
            "time: both cannot hold; the result is a compromise")  # fmt: skip
