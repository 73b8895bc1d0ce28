"""A user's BVH library -> canonical motion: any humanoid skeleton, rest pose from the file or a given frame.

The bones are mapped with the retargeting presets and automatic bone mapping
(engine/retarget), or with a mapping file (the JSON the Blender panel stores:
`{"joints": {"pelvis": "Hips", ...}}`) when the names defeat the automatic
guess. The rest pose is the file's OFFSETs with identity rotations, unless
`rest_frame` names a frame that holds a standing pose (files whose offsets
are in bone-local axes, such as the CMU conversions on a Character Creator
rig, start with a T-pose frame for this); that frame and the ones before it
are dropped from the motion.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import quaternion as quat
from ..errors import MotionComposerError
from ..io.bvh import read_bvh
from ..motion import Motion
from ..retarget import BoneMapping
from .source_mapping import SourceDataError, SourcePose, to_canonical


def read_mapping_file(path: Path) -> BoneMapping:
    """A bone mapping from JSON: {"joints": {canonical joint: source bone}} (extra keys as the panel stores)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise MotionComposerError(f"cannot read the mapping file {path}: {exc}") from None
    try:
        return BoneMapping.from_dict(data)
    except MotionComposerError as exc:
        raise MotionComposerError(f"mapping file {path}: {exc}") from None


def source_pose(motion: Motion, rest_frame: int | None, what: str) -> SourcePose:
    """World positions and rotations of a file's own skeleton, with its rest pose (offsets or a frame)."""
    positions, rotations = motion.forward_kinematics()
    names, parents = tuple(motion.skeleton.names), tuple(motion.skeleton.parents)
    if rest_frame is None:
        rest_pos = motion.skeleton.rest_positions()
        rest_rot = quat.identity((len(names),))
        keep = slice(None)
    else:
        if not 0 <= rest_frame < motion.num_frames - 1:
            raise SourceDataError(f"{what}: --rest-frame {rest_frame} is outside its {motion.num_frames} frames")
        rest_pos, rest_rot = positions[rest_frame], rotations[rest_frame]
        keep = slice(rest_frame + 1, None)
    return SourcePose(names, parents, positions[keep], rotations[keep], rest_pos, rest_rot, motion.fps)


def read_library_clip(path: Path, mapping: BoneMapping | None = None, rest_frame: int | None = None,
                      up: str = "Y") -> tuple[Motion, str]:  # fmt: skip
    """Canonical Motion of one BVH file (at its own frame rate) and the preset that mapped it."""
    motion = read_bvh(path, up=up)
    return to_canonical(source_pose(motion, rest_frame, path.name), mapping, what=path.name)


def list_bvh(folder: Path) -> list[Path]:
    """BVH files under `folder` (recursively, sorted); a one-line error when there are none."""
    if not folder.is_dir():
        raise MotionComposerError(f"--bvh {folder} is not a folder")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".bvh" and p.is_file())
    if not files:
        raise MotionComposerError(f"no .bvh files in {folder} (searched its subfolders too)")
    return files


def clip_key(path: Path, folder: Path) -> str:
    """The name a caption file uses for a clip: its path under the folder, without the extension."""
    return path.relative_to(folder).with_suffix("").as_posix()
