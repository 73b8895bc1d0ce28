"""Rest-posture conformance: a source rig standing at rest becomes the canonical standing pose.

Mapping by rest-pose bone directions (source_mapping.py) copies every bone's
direction, which carries a rig's own build into the canonical skeleton: a
Character Creator spine is an S-curve in five bones (its short waist bone
leans 36 degrees forward) and its ankle joint sits 2 cm above the ball of
the foot, so a flat CC foot points 11 degrees below horizontal where the
canonical flat foot points 40 degrees down. Copied, a standing CC clip
becomes a canonical figure with a spine bent in three places and ankles
about 30 degrees off their standing angle, far from every base clip.

When the rest pose is a neutral stance (legs straight under the hips, feet
level, trunk upright, arms out in a T- or A-pose), the rig's rest spine and
rest foot pitch are its straight spine and flat foot: every torso joint
takes the trunk's alignment (pelvis to neck line and hips) instead of its
own bone's, so the rest curvature maps to the canonical straight spine, and
each ankle keeps the canonical foot pitch (only the foot's heading is
copied). Limbs keep direction mapping, so an A-pose rest still maps arms.
"""

from __future__ import annotations

import numpy as np

from .. import quaternion as quat
from ..retarget import BoneMapping, TargetSkeleton
from ..retarget.rest import RestAlignment, frame_alignment
from ..skeleton import CANONICAL, JOINT_NAMES

TORSO = ("pelvis", "spine1", "spine2", "spine3", "neck")
LEG_BEND_DEG = 15.0  # straight leg: thigh and shin within this of each other and of the vertical
TRUNK_LEAN_DEG = 15.0
FEET_LEVEL = 0.05  # ankle heights differ by less than this share of the leg length
ARM_BELOW_DEG = (-20.0, 55.0)  # T-pose (0) to A-pose (about 45) arm angle below the horizontal

_REST = CANONICAL.rest_positions()


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a / max(np.linalg.norm(a), 1e-12), b / max(np.linalg.norm(b), 1e-12)
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b), -1.0, 1.0))))


def _joint_heads(skeleton: TargetSkeleton, mapping: BoneMapping) -> dict[str, np.ndarray]:
    """Rest head of each mapped canonical joint."""
    return {j: skeleton.heads[skeleton.index(mapping.reference(j))] for j in mapping.joints}


def _trunk_top(at: dict[str, np.ndarray]) -> str | None:
    """The highest mapped trunk joint (the trunk's line runs from the pelvis to it)."""
    return next((j for j in ("neck", "head", "spine3", "spine2") if j in at), None)


def stance_problem(skeleton: TargetSkeleton, mapping: BoneMapping) -> str | None:
    """Why the rest pose is not a neutral T- or A-pose stance, or None when it is."""
    at, up = _joint_heads(skeleton, mapping), skeleton.up_axis()
    legs = [np.linalg.norm(at[f"{s}_knee"] - at[f"{s}_hip"]) + np.linalg.norm(at[f"{s}_ankle"] - at[f"{s}_knee"])
            for s in ("left", "right")]  # fmt: skip
    for s in ("left", "right"):
        thigh, shin = at[f"{s}_knee"] - at[f"{s}_hip"], at[f"{s}_ankle"] - at[f"{s}_knee"]
        if _angle(thigh, shin) > LEG_BEND_DEG or _angle(thigh + shin, -up) > LEG_BEND_DEG:
            return f"the {s} leg is not straight under the hip"
    if abs(np.dot(at["left_ankle"] - at["right_ankle"], up)) > FEET_LEVEL * np.mean(legs):
        return "the feet are not level"
    top = _trunk_top(at)
    if top is not None and _angle(at[top] - at["pelvis"], up) > TRUNK_LEAN_DEG:
        return "the trunk is not upright"
    left = at["left_hip"] - at["right_hip"]
    for s, side in (("left", left), ("right", -left)):
        if f"{s}_shoulder" in at and f"{s}_wrist" in at:
            arm = at[f"{s}_wrist"] - at[f"{s}_shoulder"]
            below = 90.0 - _angle(arm, -up)
            outward = np.dot(arm - np.dot(arm, up) * up, side) > 0
            if not (outward and ARM_BELOW_DEG[0] <= below <= ARM_BELOW_DEG[1]):
                return f"the {s} arm is not out to the side (a T- or A-pose)"
    return None


def conformed(rest: RestAlignment, skeleton: TargetSkeleton, mapping: BoneMapping) -> dict[str, np.ndarray]:
    """Compensations that map the rest spine to the straight canonical spine and the rest feet to flat feet."""
    at = _joint_heads(skeleton, mapping)
    comp = dict(rest.compensation)
    top = _trunk_top(at)
    if top is not None:
        can_trunk = quat.rotate(rest.frame, _REST[JOINT_NAMES.index(top)] - _REST[0])
        can_left = quat.rotate(rest.frame, np.array([1.0, 0.0, 0.0]))
        trunk = frame_alignment(at[top] - at["pelvis"], at["left_hip"] - at["right_hip"], can_trunk, can_left)
        comp.update({j: trunk for j in TORSO if j in at})
    for s in ("left", "right"):
        ankle, foot = f"{s}_ankle", f"{s}_foot"
        if foot not in at:
            continue
        can = quat.rotate(rest.frame, _REST[JOINT_NAMES.index(foot)] - _REST[JOINT_NAMES.index(ankle)])
        heading = _horizontal(at[foot] - at[ankle], rest.up)
        if heading is None:
            continue
        flat = np.linalg.norm(_horizontal_part(can, rest.up)) * heading + np.dot(can, rest.up) * rest.up
        comp[ankle] = quat.from_two_vectors(flat, can)
    return comp


def _horizontal_part(v: np.ndarray, up: np.ndarray) -> np.ndarray:
    return v - np.dot(v, up) * up


def _horizontal(v: np.ndarray, up: np.ndarray) -> np.ndarray | None:
    h = _horizontal_part(v, up)
    n = np.linalg.norm(h)
    return h / n if n > 1e-6 * max(np.linalg.norm(v), 1e-12) else None
