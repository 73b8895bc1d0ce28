"""AMASS-style SMPL motion (.npz) -> canonical motion, through the `smplx` package's body model.

A motion file holds `poses` (T, 3*J axis-angle: root, 21 body joints, then
hands / face), `trans` (T,3), `betas`, `gender` and `mocap_framerate`
(SMPL-H: 52 joints, 156 numbers; SMPL-X: 55 joints, 165; SMPL: 24, 72).
The body model (the user's licensed files: `smplh/SMPLH_MALE.npz`,
`smplx/SMPLX_NEUTRAL.npz`, ... or the same names directly in the folder;
nothing is downloaded) gives the subject's own joints for its `betas`: the
rest skeleton and, per frame, the posed joints. Those, with the world
rotations from the pose chain, go through the same rest-direction mapping
as BVH libraries (engine/training/source_mapping.py), so the root path is
scaled by the subject's leg length and limb directions carry over exactly.

Axes: SMPL bodies are Y-up facing +Z; AMASS worlds are Z-up (the root
orientation stands the body up). A file with `up_axis` "y" is taken as a
Y-up world. smplx is optional: without it, --smpl says how to install it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import quaternion as quat
from ..errors import MotionComposerError
from ..io.smpl import A as SMPL_AXES
from ..motion import Motion
from ..skeleton import JOINT_NAMES
from .source_mapping import SourcePose, to_canonical

try:
    import smplx
except ImportError:  # optional: only --smpl needs it
    smplx = None

SMPLX_HINT = "install the smplx package (pip install smplx==0.1.28) to read SMPL motion files"
#: poses width -> body model type
MODEL_TYPES = {156: "smplh", 165: "smplx", 72: "smpl"}
BODY_JOINTS = 22
CHUNK = 512  # frames per body-model call (bounds the vertex memory)
_A_Q = quat.from_matrix(SMPL_AXES)  # engine -> SMPL body axes


class BodyModelError(MotionComposerError):
    """A body-model folder that is missing or holds the wrong kind of files."""


def list_motion_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise MotionComposerError(f"--smpl {folder} is not a folder")
    files = sorted(p for p in folder.rglob("*.npz") if p.is_file())
    if not files:
        raise MotionComposerError(f"no .npz motion files in {folder} (searched its subfolders too)")
    return files


class BodyModels:
    """The user's body-model folder; loads each (type, gender, betas count) model once."""

    def __init__(self, folder: Path):
        if smplx is None:
            raise MotionComposerError(SMPLX_HINT)
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise BodyModelError(f"--body-model {folder} is not a folder; give the folder with your SMPL-H / SMPL-X "
                                 "model files (e.g. smplh/SMPLH_MALE.npz)")  # fmt: skip
        if not any(self.folder.rglob("*.npz")) and not any(self.folder.rglob("*.pkl")):
            raise BodyModelError(f"--body-model {folder} holds no model files (.npz); expected e.g. "
                                 "smplh/SMPLH_MALE.npz or smplx/SMPLX_NEUTRAL.npz")  # fmt: skip
        self._cache: dict[tuple, object] = {}

    def path(self, kind: str, gender: str) -> Path:
        name = f"{kind.upper()}_{gender.upper()}.npz"
        for p in (self.folder / kind / name, self.folder / name):
            if p.is_file():
                return p
        raise BodyModelError(f"--body-model {self.folder} has no {kind}/{name} (nor {name}): the {kind.upper()} "
                             f"{gender} model the motion asks for")  # fmt: skip

    def get(self, kind: str, gender: str, num_betas: int):
        key = (kind, gender, num_betas)
        if key not in self._cache:
            path = self.path(kind, gender)
            extra = {"use_pca": False} if kind in ("smplh", "smplx") else {}
            try:
                self._cache[key] = smplx.create(str(path), model_type=kind, gender=gender, ext="npz",
                                                num_betas=num_betas, **extra)  # fmt: skip
            except (KeyError, AttributeError, ValueError, OSError, RuntimeError) as exc:
                raise BodyModelError(f"{path} is not a usable {kind.upper()} model file ({exc!r:.120})") from None
        return self._cache[key]


def _text(value) -> str:
    value = np.asarray(value)
    item = value.item() if value.size == 1 else value
    return item.decode() if isinstance(item, bytes) else str(item)


def read_motion_file(path: Path) -> dict:
    """The arrays of an AMASS-style file, checked; one-line errors naming the file."""
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except (OSError, ValueError) as exc:
        raise MotionComposerError(f"cannot read {path.name}: {exc}") from None
    missing = [k for k in ("poses", "trans") if k not in data]
    if missing:
        raise MotionComposerError(f"{path.name} is not an AMASS-style motion file (no {', '.join(missing)})")
    poses = np.asarray(data["poses"], np.float64)
    if poses.ndim != 2 or poses.shape[1] not in MODEL_TYPES or data["trans"].shape != (len(poses), 3):
        raise MotionComposerError(
            f"{path.name}: poses must be (T, 156) SMPL-H, (T, 165) SMPL-X or (T, 72) SMPL with trans (T, 3); "
            f"got {poses.shape} and {np.shape(data['trans'])}"
        )
    if "mocap_framerate" not in data and "mocap_frame_rate" not in data:
        raise MotionComposerError(f"{path.name} has no mocap_framerate")
    return data


def body_joints(model, poses: np.ndarray, trans: np.ndarray, betas: np.ndarray, kind: str) -> np.ndarray:
    """Posed joint positions (T, 22, 3) from the body model, in chunks."""
    out = []
    nb = model.num_betas
    for start in range(0, len(poses), CHUNK):
        p = torch.as_tensor(poses[start : start + CHUNK], dtype=torch.float32)
        t = len(p)
        args = {
            "betas": torch.as_tensor(betas[:nb], dtype=torch.float32).expand(t, nb),
            "global_orient": p[:, :3],
            "transl": torch.as_tensor(trans[start : start + CHUNK], dtype=torch.float32),
        }
        if kind == "smpl":
            args["body_pose"] = p[:, 3:72]
        else:
            args["body_pose"] = p[:, 3 : 3 * BODY_JOINTS]
            args["left_hand_pose"] = torch.zeros(t, 45)
            args["right_hand_pose"] = torch.zeros(t, 45)
        if kind == "smplx":
            args |= {k: torch.zeros(t, 3) for k in ("jaw_pose", "leye_pose", "reye_pose")}
            args["expression"] = torch.zeros(t, model.num_expression_coeffs)
        with torch.no_grad():
            out.append(model(**args).joints[:, :BODY_JOINTS].numpy().astype(np.float64))
    return np.concatenate(out)


def world_rotations(poses: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """World rotations (T, 22, 4) of the body joints: the pose chain of local axis-angle rotations."""
    local = quat.from_axis_angle(poses[:, : 3 * BODY_JOINTS].reshape(len(poses), BODY_JOINTS, 3))
    world = np.empty_like(local)
    for j, p in enumerate(parents):
        world[:, j] = local[:, j] if p < 0 else quat.multiply(world[:, p], local[:, j])
    return world


def read_amass(path: Path, body_models: BodyModels) -> tuple[Motion, str]:
    """Canonical Motion (at the file's frame rate) of one AMASS-style file, and what mapped it."""
    data = read_motion_file(path)
    poses = np.asarray(data["poses"], np.float64)
    trans = np.asarray(data["trans"], np.float64)
    kind = _text(data["surface_model_type"]).lower() if "surface_model_type" in data else MODEL_TYPES[poses.shape[1]]
    gender = _text(data.get("gender", "neutral")).lower() or "neutral"
    betas = np.asarray(data.get("betas", np.zeros(10)), np.float64).ravel()
    model = body_models.get(kind, gender, max(1, min(len(betas), 16)))
    betas = np.pad(betas, (0, max(0, model.num_betas - len(betas))))
    parents = tuple(int(p) for p in model.parents[:BODY_JOINTS].tolist())
    parents = (-1,) + parents[1:]
    rest = body_joints(model, np.zeros((1, poses.shape[1])), np.zeros((1, 3)), betas, kind)[0]
    positions = body_joints(model, poses, trans, betas, kind)
    rotations = world_rotations(poses, parents)
    if _text(data.get("up_axis", "z")).lower() == "y":  # a Y-up world: into the engine's Z-up
        positions = positions @ SMPL_AXES
        rotations = quat.multiply(quat.conjugate(_A_Q), rotations)
    fps = float(data.get("mocap_framerate", data.get("mocap_frame_rate")))
    source = SourcePose(
        names=JOINT_NAMES,
        parents=parents,
        positions=positions,
        rotations=rotations,
        rest_positions=rest @ SMPL_AXES,  # body frame (Y-up) -> engine axes
        rest_rotations=np.broadcast_to(quat.conjugate(_A_Q), (BODY_JOINTS, 4)),
        fps=fps,
    )
    motion, _ = to_canonical(source, None, what=path.name)
    return motion, f"{kind} body model"
