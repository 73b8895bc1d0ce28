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
from .source_mapping import SourceDataError, SourcePose, mapped_bones, rest_stance_problem, to_canonical


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

    A file lends its rest pose to clips whose mapped bones it has (extra bones, such as a root bone above
    the hips in some files, do not matter). Files are read only when a clip needs a rest pose to borrow,
    and each at most once for it.
    """

    def __init__(self, files: list[Path], mapping: BoneMapping | None, rest_frame: int, up: str = "Y"):
        self.files, self.mapping, self.rest_frame, self.up = list(files), mapping, rest_frame, up
        self.found: list[tuple[dict[str, np.ndarray], str]] = []  # (world rotation per bone name, file)
        self.scanned = 0

    def offer(self, source: SourcePose, name: str) -> bool:
        """Keep this clip's rest frame as a rest pose to lend if it is a neutral stance; True when it is."""
        try:
            ok = rest_stance_problem(source, self.mapping, name) is None
        except SourceDataError:
            ok = False
        if ok and all(donor != name for _, donor in self.found):
            self.found.append((dict(zip(source.names, source.rest_rotations, strict=True)), name))
        return ok

    def borrow(self, bones: set[str]) -> tuple[dict[str, np.ndarray], str] | None:
        """World rest rotations (per bone name) of a neutral stance that has all these bones, and its file."""
        while True:
            donor = next((d for d in self.found if bones <= d[0].keys()), None)
            if donor is not None or self.scanned >= len(self.files):
                return donor
            path = self.files[self.scanned]
            self.scanned += 1
            try:
                self.offer(source_pose(read_bvh(path, up=self.up), self.rest_frame, path.name), path.name)
            except (OSError, ValueError, KeyError, MotionComposerError):
                continue


def with_rest(motion: Motion, source: SourcePose, world: dict[str, np.ndarray], root: np.ndarray) -> SourcePose:
    """`source` with its rest pose rebuilt on its own bones from another file's world rest rotations.

    Bones the other file lacks keep their parent's world rotation.
    """
    parents = motion.skeleton.parents
    rest_world = quat.identity((len(source.names),))
    for b, name in enumerate(source.names):  # parents come first
        if name in world:
            rest_world[b] = world[name]
        elif parents[b] >= 0:
            rest_world[b] = rest_world[parents[b]]
    local = rest_world.copy()
    local[1:] = quat.multiply(quat.conjugate(rest_world[list(parents[1:])]), rest_world[1:])
    rest_pos, rest_rot = motion.skeleton.forward_kinematics(local, root)
    return SourcePose(source.names, source.parents, source.positions, source.rotations, rest_pos, rest_rot, source.fps)


def read_library_clip(path: Path, mapping: BoneMapping | None = None, rest_frame: int | None = None,
                      up: str = "Y", rests: LibraryRests | None = None) -> tuple[Motion, str]:  # fmt: skip
    """Canonical Motion of one BVH file (at its own frame rate) and the preset that mapped it.

    With `rests`, a clip whose rest frame is no neutral stance takes its rig's rest pose from another file
    (a note says which).
    """
    motion = read_bvh(path, up=up)
    source = source_pose(motion, rest_frame, path.name)
    if rests is not None and rest_frame is not None and not rests.offer(source, path.name):
        bones = mapped_bones(source, mapping, path.name)
        donor = rests.borrow(bones) if bones else None
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
