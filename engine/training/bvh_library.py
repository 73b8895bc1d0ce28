"""A user's BVH library -> canonical motion: any humanoid skeleton, rest pose from the file or a given frame.

The bones are mapped with the retargeting presets and automatic bone mapping
(engine/retarget), or with a mapping file (the JSON the Blender panel stores:
`{"joints": {"pelvis": "Hips", ...}}`) when the names defeat the automatic
guess. The rest pose is the file's OFFSETs with identity rotations, unless
`rest_frame` names a frame that holds a standing pose (files whose offsets
are in bone-local axes, such as the CMU conversions on a Character Creator
rig, may start with a T-pose frame for this); that frame and the ones before
it are dropped from the motion. A clip whose rest frame is not a neutral
T- or A-pose stance borrows the rest pose (the local rotations of that frame)
of a clip with the same bones whose rest frame is one (`LibraryRests`): in
the CMU set only 12 of 61 files start with their T-pose, and the rest pose
decides the bones' roll and the posture conformance (posture.py).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from .. import quaternion as quat
from ..errors import MotionComposerError
from ..io.bvh import read_bvh
from ..motion import Motion
from ..retarget import BoneMapping
from .source_mapping import SourceDataError, SourcePose, rest_stance_problem, to_canonical


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


class LibraryRests:
    """The rest pose of each rig in a library: the first file (sorted) whose rest frame is a neutral stance.

    Files are read only when a clip needs a rest pose to borrow, and each at most once for it.
    """

    def __init__(self, files: list[Path], mapping: BoneMapping | None, rest_frame: int, up: str = "Y"):
        self.files, self.mapping, self.rest_frame, self.up = list(files), mapping, rest_frame, up
        self.found: dict[tuple[str, ...], tuple[np.ndarray, str]] = {}
        self.scanned = 0

    def offer(self, motion: Motion, name: str) -> bool:
        """Keep this clip's rest frame for its rig if it is a neutral stance; True when it is."""
        rig = tuple(motion.skeleton.names)
        try:
            ok = rest_stance_problem(source_pose(motion, self.rest_frame, name), self.mapping, name) is None
        except SourceDataError:
            ok = False
        if ok:
            self.found.setdefault(rig, (motion.rotations[self.rest_frame].copy(), name))
        return ok

    def borrow(self, rig: tuple[str, ...]) -> tuple[np.ndarray, str] | None:
        """Local rotations of a neutral rest frame of this rig and the file it is from, or None."""
        while rig not in self.found and self.scanned < len(self.files):
            path = self.files[self.scanned]
            self.scanned += 1
            try:
                motion = read_bvh(path, up=self.up)
            except (OSError, ValueError, KeyError, MotionComposerError):
                continue
            if tuple(motion.skeleton.names) == rig:
                self.offer(motion, path.name)
        return self.found.get(rig)


def with_rest(motion: Motion, source: SourcePose, local_rotations: np.ndarray, root: np.ndarray) -> SourcePose:
    """`source` with its rest pose rebuilt from another clip's local rotations on this clip's own bones."""
    rest_pos, rest_rot = motion.skeleton.forward_kinematics(local_rotations, root)
    return SourcePose(source.names, source.parents, source.positions, source.rotations, rest_pos, rest_rot, source.fps)


def read_library_clip(path: Path, mapping: BoneMapping | None = None, rest_frame: int | None = None,
                      up: str = "Y", rests: LibraryRests | None = None) -> tuple[Motion, str]:  # fmt: skip
    """Canonical Motion of one BVH file (at its own frame rate) and the preset that mapped it.

    With `rests`, a clip whose rest frame is no neutral stance takes its rig's rest pose from another file
    (a note says which).
    """
    motion = read_bvh(path, up=up)
    source = source_pose(motion, rest_frame, path.name)
    if rests is not None and not rests.offer(motion, path.name):
        donor = rests.borrow(tuple(motion.skeleton.names))
        if donor is not None:
            source = with_rest(motion, source, donor[0], motion.root_translation[rest_frame])
            warnings.warn(f"frame {rest_frame} is not a T- or A-pose stance; rest pose from {donor[1]}", stacklevel=2)
    return to_canonical(source, mapping, what=path.name)


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
