"""Read constraint inputs from the scene: a pose, a selected empty or bone, a curve.

Positions are returned in the target armature's object space, which is the
engine's world frame for that character; without a target, world space.
"""

from __future__ import annotations

import numpy as np
from mathutils import Matrix, Vector, geometry

from . import results, rig_reader
from .engine_link import errors, inverse
from .engine_link import quaternion as quat
from .engine_link import skeleton as sk

MAX_PATH_POINTS = 64
_CURVE_RESOLUTION = 12


def _to_target(target_obj) -> Matrix:
    return target_obj.matrix_world.inverted() if target_obj is not None else Matrix.Identity(4)


def pose_from_armature(armature_obj) -> dict:
    """The armature's current (evaluated) pose as a keyframe pose {"root_translation", "rotations"} (canonical).

    Any mapped rig: the pose is read from its reader bones (FK or IK controls alike, e.g. Rigify's ORG
    bones) and taken back through the retargeting (engine.retarget.inverse).
    """
    if armature_obj is None or armature_obj.type != "ARMATURE":
        raise errors.RequestError("select the armature whose pose should become a keyframe")
    skeleton = rig_reader.read_armature(armature_obj, for_writing=False)
    mapping = results.current_mapping(armature_obj)
    mapping.validate(skeleton)
    bones = armature_obj.pose.bones
    orientations = {}
    for name in {mapping.reader(j) for j in mapping.joints}:
        m = np.array(bones[name].matrix)[:3, :3]
        orientations[name] = quat.from_matrix(m / np.linalg.norm(m, axis=0, keepdims=True))
    pelvis = np.array(tuple(bones[mapping.reference("pelvis")].head))
    root, rotations = inverse.pose_to_canonical(skeleton, mapping, orientations, pelvis)
    return {"root_translation": [round(float(v), 5) for v in root],
            "rotations": np.round(rotations, 6).tolist()}  # fmt: skip


def selected_target(context, target_obj) -> tuple[tuple[float, float, float], str | None, str]:
    """(position, joint name or None, source label) from the active pose bone or the active object."""
    obj = context.active_object
    if obj is None:
        raise errors.RequestError("select an empty, an object or a bone to use as the joint target")
    bone = context.active_pose_bone if obj.type == "ARMATURE" and obj.mode == "POSE" else None
    if bone is not None:
        world = obj.matrix_world @ bone.head
        joint = bone.name if bone.name in sk.CANONICAL.names else None
        source = f"{obj.name}:{bone.name}"
    else:
        if obj == target_obj:
            raise errors.RequestError("select an empty (or a bone in Pose Mode), not the target armature itself")
        world = obj.matrix_world.translation
        joint, source = None, obj.name
    local = _to_target(target_obj) @ Vector(world)
    return tuple(round(v, 5) for v in local), joint, source


def curve_points(curve_obj, target_obj) -> list[list[float]]:
    """Points along the curve's first spline (target space), evenly spaced, at most MAX_PATH_POINTS."""
    if curve_obj is None or curve_obj.type != "CURVE" or not curve_obj.data.splines:
        raise errors.RequestError("make a curve the active object to use it as the root path")
    spline = curve_obj.data.splines[0]
    if spline.type == "BEZIER":
        pts = _bezier_points(spline)
    else:
        pts = [Vector(p.co[:3]) for p in spline.points]
    if len(pts) < 2:
        raise errors.RequestError(f"curve {curve_obj.name!r} has fewer than two points: a path needs two")
    to_target = _to_target(target_obj) @ curve_obj.matrix_world
    points = np.array([tuple(to_target @ p) for p in pts])
    return np.round(_resample(points, MAX_PATH_POINTS), 5).tolist()


def _bezier_points(spline) -> list[Vector]:
    bp = list(spline.bezier_points)
    if spline.use_cyclic_u:
        bp.append(bp[0])
    pts = [bp[0].co.copy()] if bp else []
    for a, b in zip(bp, bp[1:], strict=False):
        seg = geometry.interpolate_bezier(a.co, a.handle_right, b.handle_left, b.co, _CURVE_RESOLUTION + 1)
        pts.extend(seg[1:])
    return pts


def _resample(points: np.ndarray, count: int) -> np.ndarray:
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] <= 1e-9:
        raise errors.RequestError("the curve has zero length: a path needs distinct points")
    n = min(count, max(2, len(points)))
    s = np.linspace(0.0, cum[-1], n)
    return np.stack([np.interp(s, cum, points[:, k]) for k in range(3)], axis=1)
