"""`python -m engine batch` on local worker processes: outputs, failures, resume, Ctrl-C, bad disks."""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from batch_helpers import ROOT, complete_jobs, engine_batch, leftovers, outputs, small_jobs

from engine import generate
from engine.batch import output as batch_output
from engine.batch.jobs import read_jobs
from engine.batch.quality import measure
from engine.batch.run import run_batch
from engine.batch.work import JobResult, Settings
from engine.eval import demo_motion
from engine.io.bvh import read_bvh, write_bvh
from engine.request import GenerationRequest


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory):
    """One local batch of 3 jobs + 1 bad job on 2 workers (shared by the tests that only read it)."""
    root = tmp_path_factory.mktemp("local")
    jobs = small_jobs(root / "jobs")
    proc = engine_batch("--jobs", jobs, "--out", root / "out", "--workers", 2)
    return jobs, root / "out", proc


def test_jobs_are_read_and_bad_ones_named_with_a_reason(tmp_path):
    folder = small_jobs(tmp_path / "jobs", count=2)
    (folder / "unreadable.json").mkdir()  # a folder where a file should be: cannot be read
    (folder / "syntax.json").write_text('{"text": "walk",}')
    (folder / "bad name!.json").write_text('{"text": "walk"}')
    jobs, bad = read_jobs(folder)
    assert [j.name for j in jobs] == ["job0", "job1"]
    reasons = {b.name: b.reason for b in bad}
    assert reasons["bad_seconds"] == "seconds must be > 0 and at most 600 (got -2)"
    assert reasons["unreadable"] == f"job file {folder / 'unreadable.json'} is a folder; give a file"
    assert reasons["syntax"].startswith(f"job file {folder / 'syntax.json'} is not valid JSON: Expecting property")
    assert "cannot name a file" in reasons["bad name!"]
    lines = tmp_path / "jobs.jsonl"
    lines.write_text('{"name": "a", "text": "walk"}\n\n{"name": "A", "text": "run"}\n{"text": "jump"}\n[1]\n')
    jobs, bad = read_jobs(lines)
    assert [j.name for j in jobs] == ["line-4"]
    assert {b.name: b.reason for b in bad} == {
        "a": f"job name 'a' is used 2 times ({lines}:1, {lines}:3)",
        "A": f"job name 'A' is used 2 times ({lines}:1, {lines}:3)",
        "line-5": "the job must be a JSON object with at least 'text' or 'tracks'",
    }


def test_local_batch_writes_outputs_identical_to_single_generation(local_batch, tmp_path):
    jobs, out, proc = local_batch
    assert proc.returncode == 1, proc.stderr  # one job failed, the others ran
    assert "failed: bad_seconds: seconds must be > 0 and at most 600 (got -2)" in proc.stderr
    assert "Traceback" not in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] == 3 and [f["name"] for f in summary["failed"]] == ["bad_seconds"]
    assert summary["backend"] == "2 local worker process(es), 1 thread(s) each"
    written = outputs(out)
    assert sorted(written) == ["job0.bvh", "job1.bvh", "job2.bvh"]
    for threads in (1, 2):  # one thread per worker in the batch; the same bytes with 2 (checked, not assumed)
        request = GenerationRequest.from_json_file(jobs / "job1.json")
        write_bvh(tmp_path / f"t{threads}.bvh", generate(request, threads=threads))
        assert (tmp_path / f"t{threads}.bvh").read_bytes() == written["job1.bvh"], threads
    record = json.loads((out / "review" / "job1.json").read_text())
    assert record["seed"] == 11 and record["prompt"] == "a person waves the right hand"
    assert 0.0 <= record["foot_skating"] <= 1.0 and record["jerk"] > 0
    assert (out / "review" / "job1.svg").read_text().startswith("<svg")
    assert "bad_seconds" in (out / "index.html").read_text()
    assert leftovers(out) == []


def test_existing_outputs_are_never_replaced_unasked(local_batch):
    jobs, out, _ = local_batch
    kept = ("summary.json", "index.html")  # rewritten by every run; the outputs must stay untouched
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.name not in kept}
    proc = engine_batch("--jobs", jobs, "--out", out)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith(f"error: --out {out} already has outputs for 3 job(s)")
    proc = engine_batch("--jobs", jobs, "--out", out, "--skip-existing")
    assert proc.returncode == 1 and "skipping 3 complete job(s)" in proc.stderr
    assert before == {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.name not in kept}


def test_bad_source_and_unwritable_output_fail_before_any_work(tmp_path):
    proc = engine_batch("--jobs", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert (
        proc.returncode == 2
        and proc.stderr.strip() == f"error: --jobs {tmp_path / 'nowhere'}: no such folder or .jsonl file"
    )
    jobs = small_jobs(tmp_path / "jobs", count=1, bad=False)
    (tmp_path / "file").write_text("x")
    proc = engine_batch("--jobs", jobs, "--out", tmp_path / "file" / "out")
    assert (
        proc.returncode == 2
        and proc.stderr.strip()
        == f"error: --out {tmp_path / 'file' / 'out'}: {tmp_path / 'file'} is a file, not a folder"
    )
    assert not (tmp_path / "out").exists()


def test_check_output_folder_refuses_a_read_only_disk(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(batch_output.tempfile, "mkstemp", refuse)
    with pytest.raises(batch_output.OutputError, match="cannot write in .* \\(the disk is read-only\\)"):
        batch_output.check_output_folder(tmp_path / "out")


class FakePool:
    """Stands in for a worker pool: results are made here, so the driver's handling is tested alone."""

    size = 2
    startup: dict = {}

    def __init__(self, results, interrupt_after=None):
        self.results, self.busy, self.polls, self.interrupt_after = dict(results), {}, 0, interrupt_after
        self.closed = False

    def describe(self):
        return "fake pool"

    def start(self):
        pass

    def submit(self, slot, job):
        self.busy[slot] = job

    def poll(self, timeout):
        self.polls += 1
        if self.interrupt_after is not None and self.polls == self.interrupt_after:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while jobs are running
        slot = min(self.busy)
        job = self.busy.pop(slot)
        return [(slot, self.results[job.name])]

    def close(self):
        self.closed = True


def fake_results(jobs):
    return {j.name: JobResult(j.name, files={f"{j.name}.bvh": b"BVH " + j.name.encode()},
                              record={"name": j.name, "flags": [], "outputs": [f"{j.name}.bvh"]}, preview="<svg/>")
            for j in jobs}  # fmt: skip


def test_full_disk_stops_the_batch_with_whole_files_only(tmp_path, monkeypatch):
    jobs, bad = read_jobs(small_jobs(tmp_path / "jobs", count=4))
    out = tmp_path / "out"
    out.mkdir()
    real_write, calls = Path.write_bytes, []

    def fill_up(path, data):  # the disk is full from the 5th file on: half the bytes land, then ENOSPC
        calls.append(path)
        if len(calls) < 5:
            return real_write(path, data)
        real_write(path, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", fill_up)
    pool = FakePool(fake_results(jobs))
    report = run_batch(jobs, bad, out, Settings(), pool, skip_existing=False)
    assert report.stopped.startswith(f"cannot write {out}") and report.stopped.endswith("the disk is full")
    assert report.ok == ["job1"] and pool.closed
    assert (out / "job1.bvh").read_bytes() == b"BVH job1"
    assert leftovers(out) == []  # the failed temporary was removed


def test_first_ctrl_c_finishes_running_jobs_and_keeps_them(tmp_path):
    jobs, bad = read_jobs(small_jobs(tmp_path / "jobs", count=5, bad=False))
    out = tmp_path / "out"
    out.mkdir()
    pool = FakePool(fake_results(jobs), interrupt_after=2)
    report = run_batch(jobs, bad, out, Settings(), pool, skip_existing=False)
    assert report.interrupted and len(report.ok) == 3 and len(report.not_run) == 2  # 1 done + 2 running finished
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] and summary["not_run"] == report.not_run
    assert sorted(outputs(out)) == sorted(f"{n}.bvh" for n in report.ok)


@pytest.mark.slow
def test_ctrl_c_stops_workers_keeps_finished_outputs_and_resumes(tmp_path):
    count = 40  # enough that a fast machine cannot finish them all between the first record and the Ctrl-C
    jobs = small_jobs(tmp_path / "jobs", count=count, bad=False)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "engine", "batch", "--jobs", str(jobs), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    deadline = time.time() + 240
    while not complete_jobs(out) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the driver and its workers
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted: finished outputs are kept; rerun with --skip-existing to resume" in err
    assert "Traceback" not in err
    done = outputs(out)
    complete = complete_jobs(out)
    assert 1 <= len(complete) < count and sorted(done) == [f"{n}.bvh" for n in complete] and leftovers(out) == []
    for name in done:
        assert read_bvh(out / name).num_frames == 46  # whole files
    proc = subprocess.run(cmd + ["--skip-existing"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"skipping {len(done)} complete job(s)" in proc.stderr
    assert len(outputs(out)) == count and all(outputs(out)[n] == data for n, data in done.items())


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("bpy") is None, reason="needs the bpy module")
def test_blender_batch_writes_blend_bvh_and_fbx_per_job(tmp_path):
    jobs = small_jobs(tmp_path / "jobs", count=2, bad=False)
    env = {"BLENDER_USER_RESOURCES": str(tmp_path / "blender-user")}
    proc = engine_batch("--jobs", jobs, "--out", tmp_path / "out", "--blender", "--fbx", "--workers", 1, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "out"
    for i in range(2):
        head = (out / f"job{i}.blend").read_bytes()[:7]
        assert head == b"BLENDER" or head[:4] == b"\x28\xb5\x2f\xfd", head  # plain or zstd-compressed .blend
        assert (out / f"job{i}.fbx").stat().st_size > 10_000
    request = GenerationRequest.from_json_file(jobs / "job1.json")  # the .bvh is the engine's motion for the job
    write_bvh(tmp_path / "engine.bvh", generate(request, threads=1))
    blender, engine = read_bvh(out / "job1.bvh"), read_bvh(tmp_path / "engine.bvh")  # Blender's: at the scene fps
    assert blender.num_frames == round(1.5 * blender.fps) + 1
    assert np.abs(blender.positions()[0] - engine.positions()[0]).max() < 1e-3  # the same motion (metres)
    record = json.loads((out / "review" / "job1.json").read_text())
    assert record["outputs"] == ["job1.blend", "job1.bvh", "job1.fbx"] and record["seed"] == 11


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("bpy") is None, reason="needs the bpy module")
def test_blender_batch_reads_a_jsonl_jobs_pose_file_beside_the_jsonl(tmp_path):
    """A JSONL line runs from a temporary job file on the worker: its pose file still resolves against the
    folder of the .jsonl, as in the engine's own batch."""
    folder = tmp_path / "jobs"
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "constraints_pose_stand.json", folder)
    job = {"name": "from_pose", "text": "a person walks forward", "seconds": 1.5, "steps": 4,
           "constraints": [{"type": "keyframe", "time": 0.0, "pose": "constraints_pose_stand.json"}]}  # fmt: skip
    (folder / "jobs.jsonl").write_text(json.dumps(job) + "\n")
    env = {"BLENDER_USER_RESOURCES": str(tmp_path / "blender-user")}
    proc = engine_batch("--jobs", folder / "jobs.jsonl", "--out", tmp_path / "out", "--blender", "--workers", 1,
                        env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert read_bvh(tmp_path / "out" / "from_pose.bvh").num_frames > 1


def test_the_constraint_flag_holds_distances_to_centimetres_and_leaves_angles_alone():
    motion = demo_motion.walk(seconds=2.0, fps=30.0)
    rows = [{"label": "face the door", "type": "LookAt", "mean": 0.2, "max": 0.3},  # radians
            {"label": "hand on the rail", "type": "JointTarget", "mean": 0.004, "max": 0.005}]  # fmt: skip
    motion.metadata = {"constraints": rows}
    got = measure(motion)
    assert got["constraint_error"] == 0.005 and not [f for f in got["flags"] if f.startswith("constraint")]
    rows[1]["max"] = 0.05
    assert "constraint error 5.0 cm > 2 cm" in measure(motion)["flags"]
