"""SMPL-format motion files (.npz, AMASS-like keys), and SMPL meshes when the user has model files.

No SMPL model files are needed to write or read motion: the canonical
skeleton has SMPL's 22 body joints in SMPL order, and both rest poses are
T-poses with identity rotations, so local rotations carry over as they are
(only the axes change). The differences in rest offsets between our skeleton
and a given SMPL body shape are the usual SMPL caveat: joint rotations
transfer, absolute joint positions follow the body's own shape.

Axes. SMPL bodies are Y-up, facing +Z, left side +X. The engine is Z-up,
facing -Y, left +X, so engine (x, y, z) = SMPL (x, -z, y), i.e.
p_smpl = A p_engine with A = [[1,0,0],[0,0,1],[0,-1,0]] (-90 degrees about X),
and every rotation R becomes A R A^T.
- up="y" (default): the file's world is SMPL's own Y-up frame (like
  HumanML3D-style data).
- up="z": the file's world is Z-up like AMASS mocap; root_orient then
  includes the +90 degrees about X that stands the Y-up body up.

Translation. SMPL rotates the body about its pelvis joint J0 (which depends
on the body shape), so trans = pelvis - J0. Without model files J0 is taken
as the SMPL neutral model's rest pelvis for zero betas, DEFAULT_PELVIS_REST;
pass the real one (`pelvis_rest=`, e.g. from `smpl_rest_joints`) to place a
particular body exactly.

Keys written: poses (T,66) axis-angle (root then 21 body joints), trans
(T,3), mocap_framerate, gender, betas (10 zeros), plus root_orient (T,3),
pose_body (T,63), up_axis, joint_names, and foot_contacts when known.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .. import quaternion as quat
from ..errors import MotionComposerError
from ..motion import Motion
from ..skeleton import CANONICAL, JOINT_NAMES
from .output import write_atomic

#: engine (Z-up, facing -Y) -> SMPL (Y-up, facing +Z): p_smpl = A @ p_engine
A = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
_A_Q = quat.from_matrix(A)
#: SMPL neutral model, zero betas: rest position of the pelvis joint (metres, Y-up)
DEFAULT_PELVIS_REST = np.array([-0.0018, -0.2233, 0.0282])
#: SMPL's 24 joints: our 22 body joints, then the two hands (children of the wrists)
SMPL_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)
NUM_BETAS = 10


class SMPLError(MotionComposerError):
    """An SMPL motion or model file that cannot be used; the message says why."""


def _check_up(up: str) -> str:
    up = str(up).lower()
    if up not in ("y", "z"):
        raise SMPLError(f"up axis must be 'y' or 'z', got {up!r}")
    return up


def to_smpl(motion: Motion, *, up: str = "y", pelvis_rest: np.ndarray = DEFAULT_PELVIS_REST) -> dict:
    """SMPL parameters of a canonical motion: {'poses': (T,66), 'trans': (T,3), ...}."""
    up = _check_up(up)
    if tuple(motion.skeleton.names) != JOINT_NAMES:
        raise SMPLError("SMPL export needs a motion on the canonical skeleton")
    a, a_inv = _A_Q, quat.conjugate(_A_Q)
    local = quat.multiply(quat.multiply(a, motion.rotations), a_inv)  # same rotations in SMPL axes
    pelvis = motion.root_translation
    if up == "z":
        local[:, 0] = quat.multiply(motion.rotations[:, 0], a_inv)
    else:
        pelvis = pelvis @ A.T
    poses = quat.to_axis_angle(local).reshape(len(local), -1)
    return {
        "poses": poses,
        "trans": pelvis - np.asarray(pelvis_rest, dtype=np.float64),
        "mocap_framerate": float(motion.fps),
        "root_orient": poses[:, :3],
        "pose_body": poses[:, 3:],
        "up_axis": up,
    }


def write_smpl_npz(
    path: str | os.PathLike,
    motion: Motion,
    *,
    gender: str = "neutral",
    up: str = "y",
    pelvis_rest: np.ndarray = DEFAULT_PELVIS_REST,
    overwrite: bool = False,
) -> None:
    """Write `motion` as an AMASS-like SMPL .npz (see the module docstring for axes and keys).

    Atomic; an existing file is replaced only with `overwrite` (engine.io.output).
    """
    if gender not in ("neutral", "male", "female"):
        raise SMPLError(f"gender must be neutral, male or female, got {gender!r}")
    data = to_smpl(motion, up=up, pelvis_rest=pelvis_rest)
    extra = {} if motion.contacts is None else {"foot_contacts": motion.contacts.astype(np.float32)}
    if motion.metadata:  # the provenance (engine.pipeline.provenance) as JSON: the file reproduces itself
        extra["provenance"] = np.array(json.dumps(motion.metadata, sort_keys=True))
    arrays = dict(
        poses=data["poses"].astype(np.float32),
        trans=data["trans"].astype(np.float32),
        mocap_framerate=np.float64(data["mocap_framerate"]),
        gender=np.array(gender),
        betas=np.zeros(NUM_BETAS, dtype=np.float32),
        root_orient=data["root_orient"].astype(np.float32),
        pose_body=data["pose_body"].astype(np.float32),
        up_axis=np.array(data["up_axis"]),
        joint_names=np.array(JOINT_NAMES),
        **extra,
    )
    write_atomic(path, lambda tmp: np.savez(tmp, **arrays), overwrite=overwrite)


def read_smpl_npz(
    path: str | os.PathLike, *, up: str | None = None, pelvis_rest: np.ndarray = DEFAULT_PELVIS_REST
) -> Motion:
    """A canonical Motion from an SMPL .npz (ours or AMASS). `up` defaults to the file's
    up_axis key, else "z" (AMASS). Extra joints (SMPL-H hands, SMPL-X face) are ignored."""
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except (OSError, ValueError) as e:
        raise SMPLError(f"cannot read SMPL file {path}: {e}") from None
    for key in ("poses", "trans"):
        if key not in data:
            raise SMPLError(f"{path}: not an SMPL motion file (no {key!r} array)")
    poses, trans = np.asarray(data["poses"], np.float64), np.asarray(data["trans"], np.float64)
    if poses.ndim != 2 or poses.shape[1] < 66 or poses.shape[1] % 3 or trans.shape != (len(poses), 3):
        raise SMPLError(f"{path}: poses must be (T, 3*joints >= 66) and trans (T, 3); got {poses.shape}, {trans.shape}")
    fps = float(data.get("mocap_framerate", data.get("mocap_frame_rate", 30.0)))
    up = _check_up(up if up is not None else str(data.get("up_axis", "z")))
    local = quat.from_axis_angle(poses[:, :66].reshape(len(poses), 22, 3))
    a, a_inv = _A_Q, quat.conjugate(_A_Q)
    rot = quat.multiply(quat.multiply(a_inv, local), a)
    pelvis = trans + np.asarray(pelvis_rest, dtype=np.float64)
    if up == "z":
        rot[:, 0] = quat.multiply(local[:, 0], a)
    else:
        pelvis = pelvis @ A  # A^T applied to row vectors
    contacts = data.get("foot_contacts")
    try:
        metadata = json.loads(str(data["provenance"])) if "provenance" in data else {}
    except json.JSONDecodeError:
        raise SMPLError(f"{path}: its 'provenance' entry is not valid JSON") from None
    return Motion(fps=fps, root_translation=pelvis, rotations=quat.normalize(rot), skeleton=CANONICAL,
                  contacts=contacts, metadata=metadata)  # fmt: skip


# -- meshes from user-supplied SMPL model files (numpy linear blend skinning) -----------------


def load_smpl_model(path: str | os.PathLike) -> dict:
    """Arrays of an SMPL model .npz (v_template, shapedirs, posedirs, J_regressor, weights, f, kintree_table).

    The .pkl files of the original release need `chumpy` to unpickle; convert
    them to .npz once (the smplx project documents how) and point here.
    """
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise SMPLError(f"{path.name}: give an SMPL model as .npz (convert the .pkl release once)")
    try:
        with np.load(path, allow_pickle=False) as f:
            model = {k: np.asarray(f[k]) for k in f.files}
    except (OSError, ValueError) as e:
        raise SMPLError(f"cannot read SMPL model {path}: {e}") from None
    need = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "f")
    missing = [k for k in need if k not in model]
    if missing:
        raise SMPLError(f"{path.name} is not an SMPL model file: missing {', '.join(missing)}")
    v = len(model["v_template"])
    if model["weights"].shape != (v, 24) or model["J_regressor"].shape != (24, v):
        raise SMPLError(f"{path.name}: expected a 24-joint SMPL body (weights (V,24), J_regressor (24,V))")
    return model


def smpl_rest_joints(model: dict, betas: np.ndarray | None = None) -> np.ndarray:
    """Rest joint positions (24,3), Y-up, for a body shape; [0] is the pelvis_rest to pass above."""
    return model["J_regressor"] @ _shaped(model, betas)


def smpl_vertices(model: dict, poses: np.ndarray, trans: np.ndarray, betas: np.ndarray | None = None) -> np.ndarray:
    """Posed vertices (T,V,3) in the file's world frame, by SMPL's linear blend skinning.

    poses: (T, >=66) axis-angle; joints beyond the 22 body joints (hands) stay at rest.
    """
    poses = np.asarray(poses, dtype=np.float64)
    t = len(poses)
    aa = np.zeros((t, 24, 3))
    n = min(poses.shape[1] // 3, 24)
    aa[:, :n] = poses[:, : 3 * n].reshape(t, n, 3)
    rot = quat.to_matrix(quat.from_axis_angle(aa))  # (T,24,3,3)
    shaped = _shaped(model, betas)
    joints = model["J_regressor"] @ shaped
    pose_feature = (rot[:, 1:] - np.eye(3)).reshape(t, -1)
    raw = np.asarray(model["posedirs"], dtype=np.float64)
    if raw.ndim == 2 and raw.shape[0] == pose_feature.shape[1]:
        posedirs = raw.T  # the (207, V*3) layout of some conversions
    else:
        posedirs = raw.reshape(len(shaped) * 3, -1)  # SMPL's (V, 3, 207)
    posed = shaped[None] + (pose_feature @ posedirs.T).reshape(t, -1, 3)
    parents = _parents(model)
    world_r = np.zeros_like(rot)
    world_t = np.zeros((t, 24, 3))
    for j, p in enumerate(parents):
        if p < 0:
            world_r[:, j], world_t[:, j] = rot[:, j], joints[j]
        else:
            world_r[:, j] = world_r[:, p] @ rot[:, j]
            world_t[:, j] = world_t[:, p] + np.einsum("tij,j->ti", world_r[:, p], joints[j] - joints[p])
    skin_t = world_t - np.einsum("tjik,jk->tji", world_r, joints)  # moves rest joints onto posed ones
    w = np.asarray(model["weights"], dtype=np.float64)
    blend_r = np.einsum("vj,tjik->tvik", w, world_r)
    blend_t = np.einsum("vj,tji->tvi", w, skin_t)
    return np.einsum("tvik,tvk->tvi", blend_r, posed) + blend_t + np.asarray(trans, dtype=np.float64)[:, None]


def _shaped(model: dict, betas: np.ndarray | None) -> np.ndarray:
    v = np.asarray(model["v_template"], dtype=np.float64)
    if betas is None:
        return v
    betas = np.asarray(betas, dtype=np.float64).ravel()
    dirs = np.asarray(model["shapedirs"], dtype=np.float64)
    k = min(len(betas), dirs.shape[-1])
    return v + dirs[..., :k] @ betas[:k]


def _parents(model: dict) -> tuple[int, ...]:
    if "kintree_table" not in model:
        return SMPL_PARENTS
    p = np.asarray(model["kintree_table"])[0].astype(np.int64)
    return tuple(int(x) if 0 <= x < len(p) else -1 for x in p)
