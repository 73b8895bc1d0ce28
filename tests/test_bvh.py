"""BVH reader and writer: round trips, axes and units, odd files, Blender's importer, errors, big files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings

import numpy as np
import pytest

from engine import quaternion as quat
from engine.errors import BVHError
from engine.io import bvh_math
from engine.io.bvh import read_bvh, write_bvh
from engine.motion import Motion
from engine.skeleton import CANONICAL, Skeleton

MM = 1e-3


def random_motion(rng, skeleton=CANONICAL, frames=12, spread=0.8, fps=30.0) -> Motion:
    rot = quat.from_axis_angle(rng.normal(0.0, spread, (frames, skeleton.num_joints, 3)))
    root = rng.normal(0.0, 1.0, (frames, 3)) + np.array([0.0, 0.0, 1.0])
    return Motion(fps, root, rot, skeleton)


def random_skeleton(rng, joints=15) -> Skeleton:
    parents = (-1,) + tuple(int(rng.integers(0, j)) for j in range(1, joints))
    names = tuple(f"bone {j}" if j % 5 == 4 else f"J{j}_x" for j in range(joints))  # some names with spaces
    return Skeleton(names, parents, rng.normal(0.0, 0.15, (joints, 3)))


def world_by_name(motion: Motion) -> dict[str, np.ndarray]:
    pos = motion.positions()
    return {name: pos[:, j] for j, name in enumerate(motion.skeleton.names)}


def assert_same_world(a: dict[str, np.ndarray], b: dict[str, np.ndarray], tol: float = MM) -> None:
    assert sorted(a) == sorted(b)
    worst = max(float(np.abs(a[n] - b[n]).max()) for n in a)
    assert worst < tol, f"world positions differ by {worst * 1000:.3f} mm"


def write_text(path, text: str):
    path.write_text(textwrap.dedent(text).lstrip())
    return path


# ---------------------------------------------------------------- conversions


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_euler_round_trip_every_order(order):
    rng = np.random.default_rng(1)
    q = quat.normalize(rng.normal(size=(200, 4)))
    # include gimbal lock: middle angle at +-90 degrees
    locked = bvh_math.euler_to_quat(np.array([[0.3, np.pi / 2, -0.7], [1.2, -np.pi / 2, 0.4]]), order)
    q = np.concatenate([q, locked])
    back = bvh_math.euler_to_quat(bvh_math.quat_to_euler(q, order), order)
    assert np.all(quat.angle_between(q, back) < 1e-6)


def test_euler_matches_the_matrix_product_of_the_channels():
    a, b, c = 0.3, -1.1, 2.0
    rx = quat.to_matrix(quat.from_axis_angle([a, 0, 0]))
    ry = quat.to_matrix(quat.from_axis_angle([0, b, 0]))
    rz = quat.to_matrix(quat.from_axis_angle([0, 0, c]))
    m = quat.to_matrix(bvh_math.euler_to_quat(np.array([c, a, b]), "ZXY"))
    assert np.allclose(m, rz @ rx @ ry)


def test_unit_guess():
    human = CANONICAL.rest_positions()
    assert bvh_math.guess_metres_per_unit(human) == 1.0
    assert bvh_math.guess_metres_per_unit(human * 100) == 0.01
    assert bvh_math.guess_metres_per_unit(human / 0.0254) == 0.0254
    assert bvh_math.guess_metres_per_unit(human * 1000) == 0.001


# ---------------------------------------------------------------- round trips


def test_round_trip_canonical(tmp_path):
    motion = random_motion(np.random.default_rng(0))
    path = tmp_path / "canonical.bvh"
    write_bvh(path, motion)
    back = read_bvh(path)
    assert back.skeleton is CANONICAL
    assert back.fps == 30.0 and back.num_frames == motion.num_frames
    assert np.allclose(back.root_translation, motion.root_translation, atol=1e-5)
    assert np.all(quat.angle_between(back.rotations, motion.rotations) < 1e-5)
    assert_same_world(world_by_name(back), world_by_name(motion), tol=1e-5)


@pytest.mark.parametrize(("up", "scale", "order"), [("Y", "cm", "ZXY"), ("Z", 100.0, "XYZ"), ("Y", "in", "YZX")])
def test_round_trip_other_skeleton_units_and_axes(tmp_path, up, scale, order):
    rng = np.random.default_rng(2)
    skeleton = random_skeleton(rng)
    motion = random_motion(rng, skeleton, spread=2.0, fps=24.0)  # rotations far past 180 degrees
    path = tmp_path / "other.bvh"
    write_bvh(path, motion, up=up, scale=scale, order=order)
    back = read_bvh(path, up=up, scale=scale if isinstance(scale, str) else 1.0 / scale)
    assert back.fps == 24.0
    expected = {"_".join(k.split()): v for k, v in world_by_name(motion).items()}
    assert_same_world(world_by_name(back), expected)


def test_written_file_is_y_up_and_in_the_asked_units(tmp_path):
    motion = Motion(30.0, [[0.1, -0.2, 0.9]], quat.identity((1, CANONICAL.num_joints)))
    path = tmp_path / "units.bvh"
    write_bvh(path, motion, scale="cm")
    text = path.read_text()
    head = CANONICAL.index("head")
    x, y, z = CANONICAL.offsets[head] * 100 + 0.0
    assert f"OFFSET {x:.6f} {z:.6f} {-y + 0.0:.6f}" in text  # engine (x, y, z) -> file (x, z, -y)
    assert text.splitlines()[-1].split()[:3] == ["10.000000", "90.000000", "20.000000"]
    assert read_bvh(path).positions()[0, 0] == pytest.approx([0.1, -0.2, 0.9])  # units guessed as cm


def test_single_joint_skeleton_and_empty_motion(tmp_path):
    lone = Skeleton(("only",), (-1,), np.zeros((1, 3)))
    motion = Motion(10.0, [[0.0, 0.0, 1.0], [0.5, 0.0, 1.0]], quat.identity((2, 1)), lone)
    write_bvh(tmp_path / "one.bvh", motion)
    back = read_bvh(tmp_path / "one.bvh", scale="m")
    assert back.skeleton.names == ("only",) and back.fps == 10.0
    assert np.allclose(back.root_translation, motion.root_translation)
    with pytest.raises(BVHError, match="no frames"):
        write_bvh(tmp_path / "none.bvh", motion[0:0])
    assert not (tmp_path / "none.bvh").exists()


def test_write_is_atomic(tmp_path):
    path = tmp_path / "keep.bvh"
    motion = random_motion(np.random.default_rng(3))
    write_bvh(path, motion)
    before = path.read_bytes()
    broken = motion.copy()
    broken.rotations[5, 3] = np.nan
    with pytest.raises(BVHError, match="frame 5"):
        write_bvh(path, broken)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.bvh"]  # no temporary file left behind


# ---------------------------------------------------------------- hand-written files


def test_y_up_centimetre_file(tmp_path):
    path = write_text(
        tmp_path / "yup.bvh",
        """
        HIERARCHY
        ROOT Hips
        {
          OFFSET 0 0 0
          CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
          JOINT Chest
          {
            OFFSET 0 50 0
            CHANNELS 3 Zrotation Xrotation Yrotation
            JOINT Nose
            {
              OFFSET 0 0 20
              CHANNELS 3 Zrotation Xrotation Yrotation
              End Site
              {
                OFFSET 0 10 0
              }
            }
          }
          JOINT LeftLeg
          {
            OFFSET 10 -90 0
            CHANNELS 3 Zrotation Xrotation Yrotation
            End Site
            {
              OFFSET 0 -10 0
            }
          }
        }
        MOTION
        Frames: 2
        Frame Time: 0.0333333
        0 90 0 0 0 0 0 0 0 0 0 0 0 0 0
        10 90 -20 90 0 0 0 0 0 0 0 0 0 0 0
        """,
    )
    motion = read_bvh(path)  # centimetres guessed from the 160-unit-tall rest pose
    assert motion.fps == 30.0
    pos = world_by_name(motion)
    # frame 0: Y up -> Z up, the nose (+Z in the file, the BVH "front") points to -Y
    assert pos["Hips"][0] == pytest.approx([0, 0, 0.9])
    assert pos["Chest"][0] == pytest.approx([0, 0, 1.4])
    assert pos["Nose"][0] == pytest.approx([0, -0.2, 1.4])
    assert pos["LeftLeg"][0] == pytest.approx([0.1, 0, 0])
    # frame 1: hips at file (10, 90, -20), rolled 90 degrees about the file's Z axis
    assert pos["Hips"][1] == pytest.approx([0.1, 0.2, 0.9])
    assert pos["Chest"][1] == pytest.approx([-0.4, 0.2, 0.9])
    assert pos["Nose"][1] == pytest.approx([-0.4, 0.0, 0.9])
    assert pos["LeftLeg"][1] == pytest.approx([0.1 + 0.9, 0.2, 0.9 + 0.1])
    assert read_bvh(path, scale=0.01).positions() == pytest.approx(motion.positions())


UNUSUAL = """
    HIERARCHY
    ROOT Root
    {
      OFFSET 1 2 3
      CHANNELS 6 Xrotation Yrotation Zrotation Zposition Xposition Yposition
      JOINT Mid
      {
        OFFSET 0 0 0.5
        CHANNELS 6 Xposition Yposition Zposition Xrotation Yrotation Zrotation
        JOINT Tip
        {
          OFFSET 0 0.3 0
          CHANNELS 3 Yrotation Xrotation Zrotation
          End Site
          {
            OFFSET 0 0.1 0
          }
        }
      }
      JOINT Side
      {
        OFFSET 0.2 0 0
        CHANNELS 3 Xrotation Zrotation Yrotation
      }
    }
    MOTION
    Frames: 3
    Frame Time: 0.04

    0 0 0 1.0 0.5 0.25 0 0 0.6 0 0 0 0 0 0 0 0 0
    90 0 90 1.0 0.5 0.25 0 0 0.6 0 90 0 0 0 0 0 0 0
    12 -40 77 1.5 -0.5 0.3 0 0 0.6 -30 20 135 50 -60 10 30 40 50
    """


def test_unusual_channel_order_and_joint_position_channels(tmp_path):
    path = write_text(tmp_path / "unusual.bvh", UNUSUAL)
    motion = read_bvh(path, up="Z", scale="m")
    assert motion.fps == 25.0
    assert motion.skeleton.names == ("Root", "Mid", "Tip", "Side")
    # Mid's position channels (0, 0, 0.6) replace its OFFSET (0, 0, 0.5), as in Blender
    assert motion.skeleton.offsets[1] == pytest.approx([0, 0, 0.6])
    pos = world_by_name(motion)
    assert pos["Root"][0] == pytest.approx([0.5, 0.25, 1.0])  # Zposition Xposition Yposition = 1.0 0.5 0.25
    assert pos["Mid"][0] == pytest.approx([0.5, 0.25, 1.6])
    assert pos["Tip"][0] == pytest.approx([0.5, 0.55, 1.6])
    # frame 1: root R = Rx(90) Ry(0) Rz(90), Mid R = Ry(90)
    assert pos["Mid"][1] == pytest.approx([0.5, -0.35, 1.0])
    assert pos["Tip"][1] == pytest.approx([0.2, -0.35, 1.0])
    assert pos["Side"][1] == pytest.approx([0.5, 0.25, 1.2])
    # our own writer keeps what we read
    write_bvh(tmp_path / "again.bvh", motion)
    assert_same_world(world_by_name(read_bvh(tmp_path / "again.bvh")), pos, tol=1e-5)


def test_joint_position_channels_that_move_warn(tmp_path):
    text = UNUSUAL.replace("1.5 -0.5 0.3 0 0 0.6", "1.5 -0.5 0.3 0 0.05 0.6")
    path = write_text(tmp_path / "stretch.bvh", text)
    with pytest.warns(UserWarning, match="'Mid' moves by up to 50.0 mm"):
        motion = read_bvh(path, up="Z")
    assert motion.skeleton.offsets[1] == pytest.approx([0, 0.05 / 3, 0.6])


STATIC_ROOT = """
    HIERARCHY
    ROOT joint_Root
    {
      OFFSET 0 0 0
      CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
      JOINT Hips
      {
        OFFSET 0 90 0
        CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
        JOINT Head
        {
          OFFSET 0 60 0
          CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
          End Site
          {
            OFFSET 0 20 0
          }
        }
        JOINT Foot
        {
          OFFSET 10 -90 0
          CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
        }
      }
    }
    MOTION
    Frames: 3
    Frame Time: 0.0333333
    5 0 0 0 0 90 0 90 0 0 0 0 0 60 0 0 0 0 10 -90 0 0 0 0
    5 0 0 0 0 90 20 95 -30 90 0 0 0 60 0 10 20 30 10 -90 0 0 0 0
    5 0 0 0 0 90 40 92 -60 0 45 0 0 60 0 0 0 0 10 -90 0 -20 0 0
    """


def test_static_root_with_moving_child_is_folded(tmp_path):
    """Bandai-style files: a fixed joint_Root whose child Hips carries the translation."""
    path = write_text(tmp_path / "static_root.bvh", STATIC_ROOT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is approximated, so nothing to warn about
        motion = read_bvh(path)
    assert motion.skeleton.names == ("Hips", "Head", "Foot")
    assert motion.skeleton.parents == (-1, 0, 0)
    pos = world_by_name(motion)
    # the root's constant pose: at file (5, 0, 0), turned 90 degrees about Y: (x, y, z) -> (z, y, -x)
    assert pos["Hips"][0] == pytest.approx([0.05, 0.0, 0.9])
    assert pos["Hips"][1] == pytest.approx([-0.25, 0.2, 0.95])  # file (5,0,0) + (-30, 95, -20)
    assert pos["Head"][1] == pytest.approx([-0.25, -0.4, 0.95])  # + Ry(90) Rz(90) (0, 60, 0) = (0, 0, 60)
    assert np.allclose(motion.root_translation, pos["Hips"])


# ---------------------------------------------------------------- Blender's importer

_BLENDER_SCRIPT = """
import json, sys
import bpy
import numpy as np

for job in json.loads(sys.argv[1]):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_anim.bvh(filepath=job["path"], global_scale=job["scale"], axis_forward=job["forward"],
                            axis_up=job["up"], frame_start=1, use_fps_scale=False)
    arm = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
    names = [b.name for b in arm.pose.bones]
    frames = []
    for frame in range(job["frames"]):
        bpy.context.scene.frame_set(1 + frame)
        frames.append([list(arm.matrix_world @ b.head) for b in arm.pose.bones])
    np.savez(job["out"], names=np.array(names), positions=np.array(frames))
"""


@pytest.fixture(scope="module")
def blender_cases(tmp_path_factory):
    """Files we wrote or read, imported by Blender's own BVH importer in a separate bpy process."""
    pytest.importorskip("bpy")  # only to skip cleanly where bpy is missing; the work runs in a subprocess
    tmp = tmp_path_factory.mktemp("blender")
    rng = np.random.default_rng(7)
    cases = {}
    canonical = random_motion(rng, frames=8)
    write_bvh(tmp / "canonical.bvh", canonical)
    cases["canonical"] = (tmp / "canonical.bvh", 1.0, "-Z", "Y", world_by_name(canonical))
    other = random_motion(rng, random_skeleton(rng), frames=6, spread=2.0)
    write_bvh(tmp / "other.bvh", other, up="Z", scale="cm", order="XYZ")
    other_world = {"_".join(k.split()): v for k, v in world_by_name(other).items()}
    cases["other"] = (tmp / "other.bvh", 0.01, "Y", "Z", other_world)
    unusual = write_text(tmp / "unusual.bvh", UNUSUAL)
    cases["unusual"] = (unusual, 1.0, "Y", "Z", world_by_name(read_bvh(unusual, up="Z", scale="m")))
    static = write_text(tmp / "static_root.bvh", STATIC_ROOT)
    cases["static_root"] = (static, 0.01, "-Z", "Y", world_by_name(read_bvh(static)))
    jobs = [
        {"path": str(p), "scale": s, "forward": f, "up": u, "frames": len(next(iter(w.values()))), "out": str(tmp / k)}
        for k, (p, s, f, u, w) in cases.items()
    ]
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp / "blender_user"))
    run = subprocess.run([sys.executable, "-c", _BLENDER_SCRIPT, json.dumps(jobs)], env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    result = {}
    for key, (*_, world) in cases.items():
        data = np.load(tmp / f"{key}.npz")
        result[key] = ({str(n): data["positions"][:, i] for i, n in enumerate(data["names"])}, world)
    return result


@pytest.mark.parametrize("case", ["canonical", "other", "unusual", "static_root"])
def test_blender_importer_agrees(blender_cases, case):
    blender_world, ours = blender_cases[case]
    if case == "static_root":  # we fold the fixed joint_Root away; Blender keeps it
        assert blender_world.pop("joint_Root")[:, :] == pytest.approx(np.array([[0.05, 0.0, 0.0]] * 3))
    assert_same_world(blender_world, ours)


# ---------------------------------------------------------------- malformed files

GOOD = """HIERARCHY
ROOT Hips
{
\tOFFSET 0 0 0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\tJOINT Chest
\t{
\t\tOFFSET 0 10 0
\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0 10 0
\t\t}
\t}
}
MOTION
Frames: 2
Frame Time: 0.033333
0 90 0 0 0 0 0 0 0
1 90 0 0 0 0 0 0 0
"""


def _edit(line: int, new: str | None = None, cut: bool = False):
    """A copy of GOOD with 1-based `line` replaced (or the file cut before it)."""

    def make() -> str:
        lines = GOOD.splitlines()
        if cut:
            return "\n".join(lines[: line - 1]) + "\n"
        lines[line - 1] = new
        return "\n".join(lines) + "\n"

    return make


MALFORMED = {
    "truncated inside HIERARCHY": (_edit(10, cut=True), 9, "file ends inside HIERARCHY"),
    "truncated before MOTION": (_edit(16, cut=True), 15, "no MOTION"),
    "truncated after MOTION": (_edit(17, cut=True), 16, "file ends before 'Frames:'"),
    "truncated frame rows": (_edit(20, cut=True), 19, "after 1 of 2 frames"),
    "truncated row": (_edit(20, "1 90 0 0"), 20, "4 values, the HIERARCHY declares 9"),
    "extra value": (_edit(19, "0 90 0 0 0 0 0 0 0 7"), 19, "10 values"),
    "non-numeric value": (_edit(20, "1 9O 0 0 0 0 0 0 0"), 20, "value 2 '9O' is not a finite number"),
    "nan value": (_edit(19, "0 90 0 0 nan 0 0 0 0"), 19, "'nan'"),
    "empty MOTION": (_edit(17, "Frames: 0"), 17, "MOTION section is empty"),
    "more rows than Frames": (_edit(17, "Frames: 1"), 20, "more frame rows than 'Frames: 1'"),
    "fewer rows than Frames": (_edit(17, "Frames: 3"), 20, "after 2 of 3 frames"),
    "impossible Frames": (_edit(17, "Frames: 1000000000"), 17, "cannot fit"),
    "non-numeric Frames": (_edit(17, "Frames: many"), 17, "needs a number"),
    "missing Frame Time": (_edit(18, "0 90 0 0 0 0 0 0 0"), 18, "expected 'Frame Time: <value>'"),
    "zero Frame Time": (_edit(18, "Frame Time: 0"), 18, "Frame Time must be positive"),
    "unknown joint keyword": (_edit(6, "\tJOINTS Chest"), 6, "unknown keyword 'JOINTS'"),
    "misspelt OFFSET": (_edit(8, "\t\tOFSET 0 10 0"), 8, "unknown keyword 'OFSET'"),
    "non-numeric OFFSET": (_edit(8, "\t\tOFFSET 0 ten 0"), 8, "OFFSET needs 3 numbers"),
    "unknown channel": (_edit(9, "\t\tCHANNELS 3 Zrotation Xrot Yrotation"), 9, "unknown channel 'Xrot'"),
    "wrong channel count": (_edit(9, "\t\tCHANNELS 3 Zrotation Xrotation"), 9, "CHANNELS needs a count"),
    "not a BVH": (_edit(1, "HIERARCH"), 1, "starts with 'HIERARCHY'"),
    "missing closing brace": (_edit(15, ""), 16, "'MOTION' comes before the HIERARCHY is complete"),
    "empty file": (lambda: "", 1, "no HIERARCHY"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_file_names_the_line(tmp_path, case):
    make, line, what = MALFORMED[case]
    path = tmp_path / "bad.bvh"
    path.write_text(make())
    with pytest.raises(BVHError) as err:
        read_bvh(path)
    message = str(err.value)
    assert f"{path}: line {line}: " in message, message
    assert what in message, message


def test_good_base_file_reads(tmp_path):
    path = tmp_path / "good.bvh"
    path.write_text(GOOD.replace("\n", "\r\n"))  # Windows line endings too
    assert read_bvh(path).num_frames == 2


def test_missing_file_is_a_bvh_error(tmp_path):
    with pytest.raises(BVHError, match="nope.bvh does not exist"):
        read_bvh(tmp_path / "nope.bvh")


# ---------------------------------------------------------------- big files


def test_100mb_file_streams(tmp_path):
    """A ~100 MB file parses without holding its text: peak traced memory is about the result's size."""
    motion = random_motion(np.random.default_rng(5), frames=1000)
    small = tmp_path / "small.bvh"
    write_bvh(small, motion, scale="cm")
    header, rows = small.read_text().split("Frames: 1000\n")
    time_line, block = rows.split("\n", 1)
    repeats = (100 * 2**20) // len(block) + 1
    big = tmp_path / "big.bvh"
    with open(big, "w") as f:
        f.write(f"{header}Frames: {1000 * repeats}\n{time_line}\n")
        for _ in range(repeats):
            f.write(block)
    size = big.stat().st_size
    assert size >= 100 * 2**20

    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = read_bvh(big)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    result_bytes = result.rotations.nbytes + result.root_translation.nbytes
    print(f"\n100 MB BVH: {size / 2**20:.0f} MiB, {result.num_frames} frames, parsed in {seconds:.1f} s, "
          f"peak traced {peak / 2**20:.0f} MiB, result {result_bytes / 2**20:.0f} MiB")  # fmt: skip
    assert result.num_frames == 1000 * repeats
    expected = read_bvh(small).positions()
    assert np.allclose(result[-1000:].positions(), expected, atol=1e-6)
    assert np.allclose(result[3000:3010].positions(), expected[:10], atol=1e-6)
    assert peak < 1.25 * size  # the text is never held twice (or even once): far below 2x
    assert peak - result_bytes < 0.1 * size  # beyond the preallocated result, only a few MB of blocks
