"""BVH writer for a Motion on any single-root skeleton, written atomically."""

from __future__ import annotations

import os

import numpy as np

from ..errors import BVHError
from ..motion import Motion
from . import bvh_math
from .output import write_atomic


def _tidy(values: np.ndarray) -> np.ndarray:
    """Round to the 6 decimals written, without '-0.000000'."""
    return np.round(values, 6) + 0.0


def _depth_first(parents: tuple[int, ...]) -> list[tuple[int, int]]:
    """(joint, depth) in the nesting order a BVH file needs; children keep skeleton order."""
    roots = [j for j, p in enumerate(parents) if p < 0]
    if len(roots) != 1:
        raise BVHError(f"BVH needs a skeleton with exactly one root joint, this one has {len(roots)}")
    order, stack = [], [(roots[0], 0)]
    while stack:
        j, depth = stack.pop()
        order.append((j, depth))
        stack += [(c, depth + 1) for c, p in reversed(list(enumerate(parents))) if p == j]
    return order


def _hierarchy(motion: Motion, order: list[tuple[int, int]], to_file, rot_channels: str) -> list[str]:
    sk = motion.skeleton
    out = ["HIERARCHY"]

    def vec(v) -> str:
        return " ".join(f"{x:.6f}" for x in to_file(v))

    for n, (j, depth) in enumerate(order):
        pad = "\t" * depth
        name = "_".join(sk.names[j].split())  # BVH names cannot hold spaces (Blender's importer joins with '_')
        keyword = "ROOT" if depth == 0 else "JOINT"
        channels = ("CHANNELS 6 Xposition Yposition Zposition " if depth == 0 else "CHANNELS 3 ") + rot_channels
        out += [f"{pad}{keyword} {name}", f"{pad}{{", f"{pad}\tOFFSET {vec(sk.offsets[j])}", f"{pad}\t{channels}"]
        if not sk.children(j):
            # End Site only shapes the leaf bone's tail in other tools: half the leaf's own offset
            end = 0.5 * sk.offsets[j] if np.linalg.norm(sk.offsets[j]) > 1e-6 else np.array([0.0, 0.0, 0.05])
            out += [f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {vec(end)}", f"{pad}\t}}"]
            next_depth = order[n + 1][1] if n + 1 < len(order) else 0
            out += ["\t" * d + "}" for d in range(depth, next_depth - 1, -1)]
    return out


def write_bvh(
    path: str | os.PathLike,
    motion: Motion,
    *,
    scale: float | str = 1.0,
    up: str = "Y",
    order: str = "ZXY",
    overwrite: bool = False,
) -> None:
    """Write `motion` to a BVH file (see engine.io.bvh); the file appears whole or not at all.

    An existing file is replaced only with `overwrite` (engine.io.output).
    """
    if sorted(order) != ["X", "Y", "Z"]:
        raise ValueError(f"rotation order must be a permutation of XYZ, got {order!r}")
    # file units per metre: a unit name, or a factor like the global_scale of Blender's exporter
    units = 1.0 / bvh_math.metres_per_unit(scale) if isinstance(scale, str) else bvh_math.metres_per_unit(scale)
    axes = bvh_math.axis_matrix(up)  # file -> engine; its transpose goes back

    def to_file(v: np.ndarray) -> np.ndarray:
        return _tidy(units * (np.asarray(v) @ axes))

    if motion.num_frames == 0:
        raise BVHError(f"cannot write {path}: the motion has no frames")
    joints = _depth_first(motion.skeleton.parents)
    for name, data in (("root_translation", motion.root_translation), ("rotations", motion.rotations)):
        bad = ~np.isfinite(data).reshape(len(data), -1).all(axis=1)
        if bad.any():
            raise BVHError(f"cannot write {path}: {name} has non-finite values at frame {int(np.argmax(bad))}")
    rot_channels = " ".join(f"{a}rotation" for a in order)
    header = _hierarchy(motion, joints, to_file, rot_channels)
    header += ["MOTION", f"Frames: {motion.num_frames}", f"Frame Time: {1.0 / motion.fps:.8f}"]

    local = bvh_math.convert_rotations(motion.rotations[:, [j for j, _ in joints]], axes.T)
    euler = _tidy(np.rad2deg(np.unwrap(bvh_math.quat_to_euler(local, order), axis=0)))  # no 360-degree jumps
    data = np.concatenate([to_file(motion.root_translation), euler.reshape(motion.num_frames, -1)], axis=1)

    def write(tmp) -> None:
        with open(tmp, "x", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(header) + "\n")
            np.savetxt(f, data, fmt="%.6f")

    write_atomic(path, write, overwrite=overwrite)
