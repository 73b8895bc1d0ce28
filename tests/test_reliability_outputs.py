"""Issue #17 regression cases for outputs and the engine command line: no lost file, one line per failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from engine import cli, pipeline
from engine.constraints.parse import parse_constraints
from engine.errors import OutputError
from engine.io.output import write_atomic
from engine.motion import Motion

ROOT = Path(__file__).resolve().parent.parent


def writer(text: str):
    return lambda tmp: Path(tmp).write_text(text)


def test_existing_file_is_replaced_only_when_asked(tmp_path):
    path = tmp_path / "a.bvh"
    write_atomic(path, writer("one"))
    with pytest.raises(OutputError, match="a.bvh exists; pass --overwrite to replace it"):
        write_atomic(path, writer("two"))
    assert path.read_text() == "one"
    write_atomic(path, writer("two"), overwrite=True)
    assert path.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bvh"], "no temporary files left"


def test_read_only_file_is_never_replaced(tmp_path):
    path = tmp_path / "a.bvh"
    path.write_text("mine")
    path.chmod(0o444)
    with pytest.raises(OutputError, match="is read-only and is never replaced"):
        write_atomic(path, writer("new"), overwrite=True)
    assert path.read_text() == "mine"


def test_folder_as_output_is_one_line(tmp_path):
    with pytest.raises(OutputError, match="is a folder; give a file name inside it"):
        write_atomic(tmp_path, writer("x"), overwrite=True)


def test_replaced_blend_keeps_a_blend1_backup(tmp_path):
    path = tmp_path / "scene.blend"
    path.write_text("old scene")
    path.chmod(0o640)
    write_atomic(path, writer("new scene"), overwrite=True, backup=True)
    assert path.read_text() == "new scene" and (tmp_path / "scene.blend1").read_text() == "old scene"
    assert path.stat().st_mode & 0o777 == 0o640, "the replaced file keeps its permissions"


def test_failed_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.npz"
    path.write_text("old")

    def half_then_fail(tmp):
        Path(tmp).write_text("ha")
        raise MemoryError

    with pytest.raises(MemoryError):
        write_atomic(path, half_then_fail, overwrite=True)
    with pytest.raises(OutputError, match="writing .* failed"):
        write_atomic(path, lambda tmp: None, overwrite=True)  # a writer that wrote nothing
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]


def test_temporary_files_of_a_killed_writer_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".out.blend.{pid}-0123abcd.tmp.blend"
    stale_blender = tmp_path / f".out.blend.{pid}-0123abcd.tmp.blend@"
    alive = tmp_path / f".out.blend.{os.getppid()}-0123abcd.tmp.blend"  # a writer that still runs
    for p in (stale, stale_blender, alive):
        p.write_text("partial")
    write_atomic(tmp_path / "out.blend", writer("whole"))
    assert not stale.exists() and not stale_blender.exists() and alive.exists()


# ------------------------------------------------------------------ python -m engine


def fake_generate(request, **kwargs):
    n = int(round(request.seconds * request.fps)) + 1
    motion = Motion(fps=request.fps, root_translation=np.zeros((n, 3)), rotations=np.tile([1.0, 0, 0, 0], (n, 22, 1)))
    motion.metadata = {"model_version": "fake", "warnings": list(request.warnings)}
    return motion


@pytest.fixture
def fake_model(monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "generate", fake_generate)
    monkeypatch.setenv("MOTION_COMPOSER_LOG_DIR", str(tmp_path / "logs"))


def test_cli_out_rules(tmp_path, fake_model, capsys):
    out = tmp_path / "a.bvh"
    assert cli.main(["generate", "--text", "walk", "--seconds", "1", "--out", str(out)]) == 0
    first = out.read_bytes()
    assert cli.main(["generate", "--text", "walk", "--seconds", "1", "--seed", "4", "--out", str(out)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: --out {out} exists; pass --overwrite to replace it, or choose another name\n"
    )
    assert out.read_bytes() == first
    assert cli.main(["generate", "--text", "walk", "--seconds", "2", "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes() != first
    out.chmod(0o444)
    assert cli.main(["generate", "--text", "walk", "--out", str(out), "--overwrite"]) == 2
    assert "is read-only and is never replaced" in capsys.readouterr().err
    assert cli.main(["generate", "--text", "walk", "--out", str(tmp_path), "--overwrite"]) == 2
    assert capsys.readouterr().err == f"error: --out {tmp_path} is a folder; give a file name inside it\n"


def test_cli_unexpected_exception_is_one_line_and_a_log(tmp_path, fake_model, monkeypatch, capsys):
    def explode(request, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(pipeline, "generate", explode)
    assert cli.main(["generate", "--text", "walk", "--out", str(tmp_path / "a.bvh")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RecursionError" in err and "Traceback" not in err
    log = Path(err.strip().rpartition("the traceback is in ")[2])
    assert log.parent == tmp_path / "logs" and "Traceback" in log.read_text() and "explode" in log.read_text()
    assert not (tmp_path / "a.bvh").exists()


def test_cli_warns_for_a_long_job_prompt_and_many_threads(tmp_path, fake_model, capsys):
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"text": "walk " * 300, "seconds": 1}))
    assert cli.main(["generate", "--job", str(job), "--out", str(tmp_path / "a.npz"), "--threads", "9999"]) == 0
    err = capsys.readouterr().err
    assert "prompt truncated from 1499 to 1000 characters" in err
    assert f"threads 9999 is more than this machine's {os.cpu_count()} cores" in err


@pytest.mark.parametrize(
    "job, message",
    [
        ("[" * 100_000 + "]" * 100_000, "nests 100000 levels deep"),
        ('{"text": "walk", "seed": ' + "7" * 400 + "}", "has 400 characters, more than the limit"),
        ('{"text": "walk", "seconds": 1e999}', "number 1e999 is beyond the limit"),
        ("[1, 2]", "must hold a JSON object"),
    ],
)
def test_cli_hostile_job_files(tmp_path, fake_model, capsys, job, message):
    path = tmp_path / "job.json"
    path.write_text(job)
    assert cli.main(["generate", "--job", str(path), "--out", str(tmp_path / "a.bvh")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_pose_outside_the_job_folder_needs_the_flag(tmp_path, fake_model, monkeypatch, capsys):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (tmp_path / "pose.json").write_text(json.dumps({"rotations": [[1, 0, 0, 0]] * 22}))
    job = jobs / "job.json"
    job.write_text(json.dumps({"text": "walk", "seconds": 2, "constraints": [
        {"type": "keyframe", "time": 1.0, "pose": "../pose.json"}]}))  # fmt: skip
    # the fake model skips the constraints: parse them as the real pipeline does

    def parsing_generate(request, **kwargs):
        parse_constraints(request.constraints, request.seconds, request.fps)
        return fake_generate(request)

    monkeypatch.setattr(pipeline, "generate", parsing_generate)
    assert cli.main(["generate", "--job", str(job), "--out", str(tmp_path / "a.bvh")]) == 2
    assert "outside the job's folder" in capsys.readouterr().err
    assert cli.main(["generate", "--job", str(job), "--out", str(tmp_path / "a.bvh"), "--allow-outside-paths"]) == 0


def test_cli_ctrl_c_is_one_line(tmp_path):
    """A real SIGINT while generating: one line, exit code 130, no output."""
    script = ("import signal, time, sys\nfrom engine import cli, pipeline\n"
              "signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # as from a terminal (not inherited SIG_IGN)
              "def slow(request, **kw):\n    print('started', flush=True)\n    time.sleep(30)\n"
              "pipeline.generate = slow\n"
              f"sys.exit(cli.main(['generate', '--text', 'walk', '--out', {str(tmp_path / 'a.bvh')!r}]))\n")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert proc.stdout.readline().strip() == "started"
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130 and err.count("\n") == 1 and "interrupted" in err, err
    assert not (tmp_path / "a.bvh").exists()
