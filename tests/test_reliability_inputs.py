"""Issue #17 regression cases for the engine's inputs: JSON files, pose paths, BVH files (no Blender here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.constraints.parse import parse_constraints, parse_items
from engine.errors import BVHError, RequestError
from engine.io.bvh import read_bvh
from engine.io.json_input import nesting_depth, parse_json_text, read_json_file
from engine.limits import LIMITS, as_int, clamp_threads, markdown_table

ROOT = Path(__file__).resolve().parent.parent
IDENTITY = [[1.0, 0.0, 0.0, 0.0]] * 22


def returns_within(seconds: float, fn, *args):
    """fn(*args) on a thread; fail the test (instead of hanging it) when it does not return in time."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{fn.__name__} did not return within {seconds} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


# ------------------------------------------------------------------ JSON files


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "folder"])
def test_non_regular_job_files_fail_at_once(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "job.json"
        os.mkfifo(path)
    elif kind == "dev_zero":
        path = Path("/dev/zero")
    else:
        path = tmp_path
    with pytest.raises(RequestError, match="not a regular file|is a folder"):
        returns_within(5, read_json_file, path)


def test_oversized_job_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as f:
        f.truncate(as_int("json_file_bytes") + 1)  # sparse: costs no disk
    with pytest.raises(RequestError, match="more than the limit of 16,777,216"):
        read_json_file(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[" * 100_000 + "]" * 100_000, "nests 100000 levels deep, more than the limit of 64"),
        ('{"seed": ' + "9" * 500 + "}", "has 500 characters, more than the limit of 40"),
        ('{"seconds": 1e999}', "number 1e999 is beyond the limit"),
        ('{"seconds": -1e400}', "number -1e400 is beyond the limit"),
        ('{"seconds": NaN}', "NaN is not a number JSON allows"),
        ('{"seconds": Infinity}', "Infinity is not a number JSON allows"),
        ('{"text": "walk",}', "is not valid JSON: Expecting property name"),
    ],
)
def test_hostile_json_is_one_line_error(text, message):
    with pytest.raises(RequestError) as err:
        returns_within(10, parse_json_text, text, "job file j.json")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert nesting_depth('{"text": "[[[[{{{{ \\" [[[["}') == 1
    assert parse_json_text('{"a": [[1]], "b": "]]]"}', "x") == {"a": [[1]], "b": "]]]"}


def test_non_utf8_job_file(tmp_path):
    path = tmp_path / "job.json"
    path.write_bytes(b'{"text": "caf\xe9"}')
    with pytest.raises(RequestError, match="is not UTF-8 text"):
        read_json_file(path)


# ------------------------------------------------------------------ pose paths


def keyframe(pose: str) -> list[dict]:
    return [{"type": "keyframe", "time": 1.0, "pose": pose}]


@pytest.fixture
def job_dir(tmp_path):
    job = tmp_path / "jobs"
    job.mkdir()
    (job / "pose.json").write_text(f'{{"rotations": {IDENTITY}}}')
    (tmp_path / "secret.json").write_text(f'{{"rotations": {IDENTITY}}}')
    return job


@pytest.mark.parametrize("name", ["../secret.json", "SECRET_ABS", "link.json", "sub/../../secret.json"])
def test_pose_files_outside_the_job_folder_are_refused(job_dir, name):
    (job_dir / "link.json").symlink_to(job_dir.parent / "secret.json")
    name = str(job_dir.parent / "secret.json") if name == "SECRET_ABS" else name
    with pytest.raises(RequestError, match="outside the job's folder .* --allow-outside-paths"):
        parse_constraints(keyframe(name), 2.0, 30.0, base_dir=job_dir)
    if "sub/" not in name:
        assert len(parse_items(keyframe(name), 2.0, 30.0, base_dir=job_dir, allow_outside=True)) == 1


def test_pose_file_inside_the_folder_and_special_files(job_dir):
    assert len(parse_constraints(keyframe("pose.json"), 2.0, 30.0, base_dir=job_dir).keyframes) == 1
    os.mkfifo(job_dir / "fifo.json")
    with pytest.raises(RequestError, match="constraint 0 \\(keyframe\\): pose file .*fifo.json is not a regular"):
        returns_within(5, parse_constraints, keyframe("fifo.json"), 2.0, 30.0, job_dir)
    with pytest.raises(RequestError, match="pose file must be a file name"):
        parse_constraints(keyframe("\x00"), 2.0, 30.0, base_dir=job_dir)


# ------------------------------------------------------------------ BVH files

HEADER = "HIERARCHY\nROOT Hips\n{\n\tOFFSET 0 0 0\n\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"


def chain_bvh(joints: int) -> str:
    body = "".join(f"JOINT j{i}\n{{\nOFFSET 0 1 0\nCHANNELS 3 Zrotation Xrotation Yrotation\n" for i in range(joints))
    end = "End Site\n{\nOFFSET 0 1 0\n}\n" + "}\n" * joints
    row = " ".join(["0"] * (6 + 3 * joints))
    return HEADER + body + end + f"}}\nMOTION\nFrames: 1\nFrame Time: 0.033333\n{row}\n"


def test_bvh_with_a_10000_joint_chain_is_one_line_error(tmp_path):
    path = tmp_path / "chain.bvh"
    path.write_text(chain_bvh(10_000))
    with pytest.raises(BVHError, match="more than 256 levels deep|more than 1,000 joints|longer than 1,000 joints"):
        returns_within(20, read_bvh, path)


def test_bvh_chain_within_the_limits_reads(tmp_path):
    path = tmp_path / "chain.bvh"
    path.write_text(chain_bvh(200))
    assert read_bvh(path).skeleton.num_joints == 201


def test_bvh_duplicate_joint_names_are_rejected(tmp_path):
    text = chain_bvh(2).replace("JOINT j1", "JOINT j0")
    path = tmp_path / "dup.bvh"
    path.write_text(text)
    with pytest.raises(BVHError, match="line 10: joint name 'j0' is also used on line 6; joint names must be unique"):
        read_bvh(path)


def test_bvh_sparse_body_with_huge_frames_header_fails_fast(tmp_path):
    """A huge Frames: header over a sparse (all-zero-bytes) 400 MB body: fails at the first line, little memory."""
    path = tmp_path / "sparse.bvh"
    head = chain_bvh(1).split("Frames:")[0] + "Frames: 999999\nFrame Time: 0.033333\n"
    with open(path, "wb") as f:
        f.write(head.encode())
        f.truncate(400 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(BVHError, match="line 19: longer than the limit of 1,048,576 characters"):
        returns_within(30, read_bvh, path)
    assert time.perf_counter() - started < 10


def test_bvh_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "zeros.bvh"
    with open(path, "wb") as f:
        f.truncate(1024**3)  # 1 GB of zeros, sparse
    with pytest.raises(BVHError, match="is 1,073,741,824 bytes, more than the limit of 536,870,912"):
        read_bvh(path)


def test_bvh_zeros_take_little_memory(tmp_path):
    """300 MB of zero bytes (under the size limit) fail on the first line; peak RSS grows by far less than the file."""
    path = tmp_path / "zeros.bvh"
    with open(path, "wb") as f:
        f.truncate(300 * 1024 * 1024)
    script = ("import resource, sys\nfrom engine.io.bvh import read_bvh\n"
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              f"try:\n    read_bvh({str(path)!r})\nexcept Exception as e:\n    print(type(e).__name__, e, file=sys.stderr)\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "BVHError" in done.stderr and "line 1: longer than the limit" in done.stderr, done.stderr
    grown_mb = int(done.stdout.strip()) / 1024
    assert grown_mb < 50, f"peak RSS grew by {grown_mb:.0f} MB reading 300 MB of zeros"


def test_bvh_frames_header_beyond_the_limits(tmp_path):
    path = tmp_path / "long.bvh"
    text = chain_bvh(1).replace("Frames: 1", "Frames: 2000000") + ("0 " * 9 + "\n") * 10
    with open(path, "w") as f:
        f.write(text)
        f.truncate(200 * 1024 * 1024)  # big enough for the header's claim to fit
    with pytest.raises(BVHError, match="Frames: 2000000 x 2 joints is beyond the limits"):
        read_bvh(path)


def test_bvh_fifo_is_refused(tmp_path):
    path = tmp_path / "x.bvh"
    os.mkfifo(path)
    with pytest.raises(BVHError, match="not a regular file"):
        returns_within(5, read_bvh, path)


# ------------------------------------------------------------------ limits


def test_threads_beyond_the_cores_are_clamped_with_a_warning():
    cores = os.cpu_count()
    assert clamp_threads(999) == (cores, f"threads 999 is more than this machine's {cores} cores; using {cores}")
    assert clamp_threads(1) == (1, None) and clamp_threads(None) == (None, None)
    for bad in (0, -3, True, 2.5):
        with pytest.raises(RequestError, match="threads must be a whole number"):
            clamp_threads(bad)


def test_docs_hold_the_limits_table():
    docs = (ROOT / "docs" / "reliability.md").read_text()
    assert markdown_table() in docs, "docs/reliability.md: paste the output of `python -m engine.limits`"
    assert all(f"`{name}`" in docs for name in LIMITS)


def test_job_schema_states_the_same_limits():
    schema = json.loads((ROOT / "docs" / "job.schema.json").read_text())["properties"]
    assert schema["tracks"]["maxItems"] == as_int("tracks")
    assert schema["constraints"]["maxItems"] == as_int("constraints")
    assert schema["edits"]["maxItems"] == as_int("edits")
    assert schema["seconds"]["maximum"] == as_int("seconds")
    assert (schema["fps"]["minimum"], schema["fps"]["maximum"]) == (as_int("fps_min"), as_int("fps_max"))
    assert schema["steps"]["maximum"] == as_int("steps")
    assert (schema["seed"]["minimum"], schema["seed"]["maximum"]) == (0, as_int("seed"))


# ------------------------------------------------------------------ request limits (engine.request)


@pytest.mark.parametrize(
    "job, message",
    [
        ({"text": "walk", "seed": -1}, "seed must be a whole number from 0 to 2^63 - 1 (got -1)"),
        ({"text": "walk", "seed": 2**64}, "seed must be a whole number from 0 to 2^63 - 1"),
        ({"text": "walk", "constraints": [{"type": ["joint"]}]}, "constraint 0 has unknown type ['joint']"),
        ({"text": "walk", "edits": [{"op": ["extend"], "text": "x", "seconds": 1}]}, "unknown op ['extend']"),
        ({"tracks": [["walk"]]}, "track 0 must be an object"),
        (
            {
                "text": "walk",
                "constraints": [{"type": "joint", "joint": "left_wrist", "time": 1.0, "position": [1e308, 0, 1]}],
            },
            "constraint 0 (joint): position: 1e+308 is beyond the limit of +-1000 m",
        ),
        ({"text": "walk", "steps": 10**6}, "steps must be between 1 and 1000"),
        ({"text": "walk", "fps": 1e308}, "fps must be between 1 and 240"),
    ],
)
def test_request_limits_are_one_line_errors(job, message):
    from engine.request import GenerationRequest

    with pytest.raises(RequestError) as err:
        GenerationRequest.from_dict(job)
    assert message in str(err.value), str(err.value)


def test_too_many_constraints_fail_before_any_is_parsed():
    from engine.request import GenerationRequest

    many = [{"type": "joint", "joint": "left_wrist", "time": 1.0, "position": [0, 0, 1]}] * 5000
    started = time.perf_counter()
    with pytest.raises(RequestError, match="5,000 constraints is more than the limit of 256"):
        GenerationRequest.from_dict({"text": "walk", "seconds": 2, "constraints": many})
    assert time.perf_counter() - started < 1.0
