"""Streaming BVH reader: HIERARCHY into a Skeleton, MOTION into a Motion.

The file is read once, line by line; frame rows are parsed in blocks straight
into preallocated output arrays, so a large file never sits in memory as text
and the result is never copied. Every problem raises BVHError naming the line.

Limits (engine.limits): file size, line length, joints, nesting depth, frames
and joints x frames. Memory follows the file's real content: a `Frames:` header
must fit in the file's size, lines are read with a length cap (a file of zeros
fails on its first line), and output pages are only touched as rows arrive.
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np

from .. import quaternion as quat
from ..errors import BVHError
from ..limits import as_int
from ..motion import Motion
from ..skeleton import CANONICAL, Skeleton
from . import bvh_math
from .bvh_hierarchy import Hierarchy, Joint
from .json_input import open_regular_file

_BLOCK = 1024  # frame rows parsed per numpy call
_STRETCH_TOLERANCE = 1e-3  # metres a joint's position channels may vary before we warn


class _Lines:
    """Non-blank lines of an open text file with their 1-based numbers, each at most the line limit."""

    def __init__(self, f, where: str):
        self.f, self.where, self.number = f, where, 0
        self.max_chars = as_int("bvh_line_chars")

    def __iter__(self):
        while line := self.f.readline(self.max_chars + 1):
            self.number += 1
            if len(line) > self.max_chars:
                raise BVHError(f"{self.where}: line {self.number}: longer than the limit of {self.max_chars:,} "
                               "characters (not a BVH file?)")  # fmt: skip
            if not line.isspace():
                yield self.number, line

    def next(self, expected: str) -> tuple[int, str]:
        for number, line in self:
            return number, line
        raise BVHError(f"{self.where}: line {self.number}: file ends before {expected} (truncated file?)")


def _header(lines: _Lines, key: str, convert):
    number, line = lines.next(f"'{key}:'")
    label, _, value = line.partition(":")
    if " ".join(label.split()).lower() != key.lower():
        raise BVHError(f"{lines.where}: line {number}: expected '{key}: <value>', found '{line.strip()}'")
    try:
        return number, value.strip(), convert(value)
    except ValueError:
        raise BVHError(f"{lines.where}: line {number}: '{key}:' needs a number, found '{value.strip()}'") from None


def _fps(frame_time: float, text: str) -> float:
    """1/frame_time, snapped to an integer rate when the file's digits cannot tell them apart."""
    fps = 1.0 / frame_time
    n = round(fps)
    decimals = len(text.partition(".")[2]) if "e" not in text.lower() else 0
    if n > 0 and decimals and float(f"{1.0 / n:.{decimals}f}") == float(text):
        return float(n)
    return fps


def _parse_rows(rows: list[str], numbers: list[int], num_channels: int, where: str) -> np.ndarray:
    """One block of frame rows to a (n, channels) array; on failure find the offending line."""
    try:
        values = np.loadtxt(rows, dtype=np.float64, ndmin=2, comments=None)
        if values.shape == (len(rows), num_channels) and np.isfinite(values).all():
            return values
    except ValueError:
        pass
    for number, row in zip(numbers, rows, strict=True):
        fields = row.split()
        if len(fields) != num_channels:
            raise BVHError(
                f"{where}: line {number}: frame row has {len(fields)} values, the HIERARCHY declares {num_channels} channels"
            )
        for col, text in enumerate(fields, 1):
            try:
                ok = np.isfinite(float(text))
            except ValueError:
                ok = False
            if not ok:
                raise BVHError(f"{where}: line {number}: value {col} '{text}' is not a finite number")
    raise BVHError(f"{where}: line {numbers[0]}: cannot parse frame rows")  # pragma: no cover


def _canonical_order(joints: list[Joint]) -> list[int] | None:
    """Destination index of each file joint when the file holds the canonical skeleton, else None."""
    names = [j.name for j in joints]
    if sorted(names) != sorted(CANONICAL.names):
        return None
    dest = [CANONICAL.names.index(n) for n in names]
    for j in joints:
        canon_parent = CANONICAL.parents[CANONICAL.names.index(j.name)]
        if (canon_parent < 0) != (j.parent < 0) or (j.parent >= 0 and dest[j.parent] != canon_parent):
            return None
    return dest


class _Frames:
    """Preallocated output that blocks of frame rows are converted into, in place."""

    def __init__(self, joints: list[Joint], num_frames: int, dest: list[int], axes: np.ndarray):
        self.joints, self.dest, self.axes = joints, dest, axes
        # np.empty pages are only touched by store(), so memory follows the rows actually read
        self.rotations = np.empty((num_frames, len(joints), 4))
        self.root_translation = np.empty((num_frames, 3))
        self.still = [dest[j] for j, jt in enumerate(joints) if not jt.rot_axes]  # no rotation channels
        self.groups: dict[str, list[int]] = {}  # joints sharing a rotation order convert together
        for j, jt in enumerate(joints):
            if jt.rot_axes:
                self.groups.setdefault(jt.rot_axes, []).append(j)
        self.moving = [j for j, jt in enumerate(joints) if jt.parent >= 0 and jt.pos_cols != [None] * 3]
        self.pos_sum = np.zeros((len(self.moving), 3))
        self.pos_min = np.full((len(self.moving), 3), np.inf)
        self.pos_max = np.full((len(self.moving), 3), -np.inf)
        # A root whose only child carries the translation (the Bandai files' joint_Root >
        # Hips) is folded away: that child becomes the root, world transforms unchanged.
        children = [j for j, jt in enumerate(joints) if jt.parent == 0]
        self.carrier = children[0] if len(children) == 1 and children[0] in self.moving else None
        self.carrier_pos = np.empty((num_frames, 3)) if self.carrier is not None else None

    @staticmethod
    def positions(values: np.ndarray, cols: list[int | None]) -> np.ndarray:
        """Position channels of one joint; axes without a channel read as 0, as in Blender's importer."""
        out = np.zeros((len(values), 3))
        for axis, col in enumerate(cols):
            if col is not None:
                out[:, axis] = values[:, col]
        return out

    def store(self, values: np.ndarray, start: int) -> None:
        stop = start + len(values)
        self.rotations[start:stop, self.still] = (1.0, 0.0, 0.0, 0.0)
        root = self.joints[0]
        if root.pos_cols == [None] * 3:
            self.root_translation[start:stop] = root.offset
        else:
            self.root_translation[start:stop] = self.positions(values, root.pos_cols)
        for axes_names, members in self.groups.items():
            angles = np.deg2rad(values[:, [self.joints[j].rot_cols for j in members]])
            q = bvh_math.euler_to_quat(angles, axes_names)
            self.rotations[start:stop, [self.dest[j] for j in members]] = bvh_math.convert_rotations(q, self.axes)
        if self.carrier is not None:
            self.carrier_pos[start:stop] = self.positions(values, self.joints[self.carrier].pos_cols)
        for s, j in enumerate(self.moving):
            p = self.positions(values, self.joints[j].pos_cols)
            self.pos_sum[s] += p.sum(0)
            np.minimum(self.pos_min[s], p.min(0), out=self.pos_min[s])
            np.maximum(self.pos_max[s], p.max(0), out=self.pos_max[s])

    def folds_root(self, metres: float) -> bool:
        """Whether the root's only child moves against it by more than the tolerance."""
        if self.carrier is None:
            return False
        s = self.moving.index(self.carrier)
        return float(np.max(self.pos_max[s] - self.pos_min[s])) * metres > _STRETCH_TOLERANCE

    def offsets(self, metres: float, where: str) -> np.ndarray:
        """File offsets, with position channels replacing OFFSET (their mean: bone lengths are fixed)."""
        offsets = np.array([j.offset for j in self.joints])
        for s, j in enumerate(self.moving):
            offsets[j] = self.pos_sum[s] / len(self.rotations)
            if j == self.carrier and self.folds_root(metres):
                continue
            spread = float(np.max(self.pos_max[s] - self.pos_min[s])) * metres
            if spread > _STRETCH_TOLERANCE:
                warnings.warn(f"{where}: joint '{self.joints[j].name}' moves by up to {spread * 1000:.1f} mm "
                              "against its parent; the engine skeleton has fixed bone lengths, so its mean offset "
                              "is used", stacklevel=3)  # fmt: skip
        return offsets


_TOKENS_PER_JOINT = 32  # a JOINT block with OFFSET, 6 channels and an End Site has about 20 tokens


def _read_hierarchy(lines: _Lines, where: str) -> Hierarchy:
    tokens: list[tuple[str, int]] = []
    motion_found = False
    max_tokens = _TOKENS_PER_JOINT * as_int("bvh_joints")
    for number, line in lines:
        words = line.split()
        if words[0].upper() == "MOTION":
            motion_found = True
            break
        tokens += [(w, number) for w in words]
        if len(tokens) > max_tokens:
            raise BVHError(f"{where}: line {number}: the HIERARCHY is longer than {as_int('bvh_joints'):,} joints "
                           "can need; more joints than the limit, or not a BVH file")  # fmt: skip
    if not tokens:
        raise BVHError(f"{where}: line {max(lines.number, 1)}: no HIERARCHY (empty file?)")
    hierarchy = Hierarchy(tokens, where, lines.number, motion_found)
    hierarchy.parse()
    if not motion_found:
        raise BVHError(
            f"{where}: line {lines.number}: file ends after the HIERARCHY, no MOTION section (truncated file?)"
        )
    if hierarchy.num_channels == 0:
        raise BVHError(f"{where}: line {lines.number}: the HIERARCHY declares no channels, so there is no motion")
    return hierarchy


def read_bvh(path: str | os.PathLike, *, up: str = "Y", scale: float | str | None = None) -> Motion:
    """Read any BVH file into a Motion on the skeleton the file defines (see engine.io.bvh)."""
    where = os.fspath(path)
    axes = bvh_math.axis_matrix(up)
    metres = None if scale is None else bvh_math.metres_per_unit(scale)
    binary = open_regular_file(path, "BVH file", as_int("bvh_file_bytes"), BVHError)
    with io.TextIOWrapper(binary, encoding="utf-8", errors="replace") as f:
        lines = _Lines(f, where)
        hierarchy = _read_hierarchy(lines, where)
        joints, num_channels = hierarchy.joints, hierarchy.num_channels
        frames_line, _, num_frames = _header(lines, "Frames", int)
        time_line, time_text, frame_time = _header(lines, "Frame Time", float)
        if num_frames <= 0:
            raise BVHError(f"{where}: line {frames_line}: the MOTION section is empty (Frames: {num_frames})")
        if num_frames * 2 * num_channels > os.fstat(f.fileno()).st_size:  # before allocating for them
            raise BVHError(f"{where}: line {frames_line}: Frames: {num_frames} cannot fit in this file "
                           f"({num_channels} channels a frame); truncated file?")  # fmt: skip
        if num_frames > as_int("bvh_frames") or num_frames * len(joints) > as_int("bvh_joint_frames"):
            raise BVHError(f"{where}: line {frames_line}: Frames: {num_frames} x {len(joints)} joints is beyond "
                           f"the limits ({as_int('bvh_frames'):,} frames, {as_int('bvh_joint_frames'):,} joints x "
                           "frames); split the file")  # fmt: skip
        if not (frame_time > 0 and np.isfinite(frame_time)):
            raise BVHError(f"{where}: line {time_line}: Frame Time must be positive, found '{time_text}'")

        dest = _canonical_order(joints) or list(range(len(joints)))
        out = _Frames(joints, num_frames, dest, axes)
        done, rows, numbers = 0, [], []
        for number, line in lines:
            if done + len(rows) == num_frames:
                raise BVHError(
                    f"{where}: line {number}: more frame rows than 'Frames: {num_frames}' (line {frames_line})"
                )
            rows.append(line)
            numbers.append(number)
            if len(rows) == _BLOCK:
                out.store(_parse_rows(rows, numbers, num_channels, where), done)
                done, rows, numbers = done + len(rows), [], []
        if rows:
            out.store(_parse_rows(rows, numbers, num_channels, where), done)
            done += len(rows)
        if done < num_frames:
            raise BVHError(
                f"{where}: line {lines.number}: file ends after {done} of {num_frames} frames (truncated file?)"
            )

    if metres is None:
        metres = bvh_math.guess_metres_per_unit(hierarchy.rest_points())
    offsets = metres * out.offsets(metres, where) @ axes.T
    root_translation = out.root_translation
    root_translation *= metres
    root_translation[:] = root_translation @ axes.T
    order = np.argsort(dest)
    skeleton = Skeleton(
        names=tuple(joints[j].name for j in order),
        parents=tuple(-1 if joints[j].parent < 0 else dest[joints[j].parent] for j in order),
        offsets=offsets[order],
    )
    if skeleton.names == CANONICAL.names and np.allclose(skeleton.offsets[1:], CANONICAL.offsets[1:], atol=1e-5):
        skeleton = CANONICAL  # our own canonical files come back as the canonical skeleton itself
    fps = _fps(frame_time, time_text)
    if out.folds_root(metres) and dest == list(range(len(joints))):
        return _fold_root(skeleton, out, root_translation, metres * out.carrier_pos @ axes.T, fps)
    return Motion(fps=fps, root_translation=root_translation, rotations=out.rotations, skeleton=skeleton)


def _fold_root(skeleton: Skeleton, out: _Frames, root_translation: np.ndarray, carrier_pos: np.ndarray,
               fps: float) -> Motion:  # fmt: skip
    """Drop the root: its only child, which carries the translation, becomes the root (exact per frame)."""
    root_rot = out.rotations[:, 0]
    rotations = out.rotations[:, 1:].copy()
    rotations[:, 0] = quat.multiply(root_rot, rotations[:, 0])
    translation = root_translation + quat.rotate(root_rot, carrier_pos)
    folded = Skeleton(
        names=skeleton.names[1:],
        parents=tuple(p - 1 for p in skeleton.parents[1:]),
        offsets=skeleton.offsets[1:] * np.array([[0.0]] + [[1.0]] * (skeleton.num_joints - 2)),
    )
    return Motion(fps=fps, root_translation=translation, rotations=rotations, skeleton=folded)
