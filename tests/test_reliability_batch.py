"""Issue #17 regression cases for the Blender batch runner: no lost file, isolated jobs, Ctrl-C, kills."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))  # before bpy loads

import bpy  # noqa: E402
import pytest  # noqa: E402
from test_addon_fakes import fake_generate  # noqa: E402

import engine  # noqa: E402
from addon import batch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# a child process running the batch with the fake model; PATCH lets a test hook into it
CHILD = """
import os, sys, time
sys.path.insert(0, {tests!r})
from test_addon_fakes import fake_generate
import engine
from addon import batch
engine.generate = lambda r, **kw: fake_generate(r, delay={delay}, **kw)
{patch}
sys.exit(batch.main({argv!r}))
"""


def child(tmp_path: Path, argv: list[str], delay: float = 0.0, patch: str = "") -> subprocess.Popen:
    code = CHILD.format(tests=str(ROOT / "tests"), delay=delay, patch=patch, argv=argv)
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"), MOTION_COMPOSER_LOG_DIR=str(tmp_path))
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


@pytest.fixture
def fake_model(monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "generate", fake_generate)
    monkeypatch.setenv("MOTION_COMPOSER_LOG_DIR", str(tmp_path / "logs"))


def line_with(stream, text: str) -> str:
    """The first line of `stream` that contains `text` (Blender prints its own Info lines between ours)."""
    for line in stream:
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r}")


def whole_blend(path: Path) -> bool:
    """Whether Blender opens the file (a partial .blend does not)."""
    try:
        bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False)
    except RuntimeError:
        return False
    return True


def job(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_existing_blend_needs_overwrite_and_keeps_a_blend1(tmp_path, fake_model, capsys):
    j = job(tmp_path / "walk.json", {"text": "a person walks", "seconds": 1.0})
    out = tmp_path / "out.blend"
    out.write_bytes(b"the user's own scene")
    argv = ["generate", "--job", str(j), "--output", str(out)]
    assert batch.main(argv) == 1
    assert f"walk.json: --output {out} exists; pass --overwrite to replace it" in capsys.readouterr().err
    assert out.read_bytes() == b"the user's own scene"
    assert batch.main([*argv, "--overwrite"]) == 0
    assert whole_blend(out) and (tmp_path / "out.blend1").read_bytes() == b"the user's own scene"
    out.chmod(0o444)
    assert batch.main([*argv, "--overwrite"]) == 1
    assert "is read-only and is never replaced" in capsys.readouterr().err


def test_each_job_is_isolated(tmp_path, fake_model, monkeypatch, capsys):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    job(jobs / "a_deep.json", "[" * 100_000 + "]" * 100_000)
    job(jobs / "b_digits.json", '{"text": "walk", "seconds": ' + "1" * 300 + "}")
    job(jobs / "c_recursion.json", {"text": "recurse", "seconds": 1.0})
    job(jobs / "d_memory.json", {"text": "memory", "seconds": 1.0})
    job(jobs / "e_good.json", {"text": "a person walks", "seconds": 1.0})

    def hostile(request, **kw):
        if request.tracks[0].text == "recurse":
            raise RecursionError("maximum recursion depth exceeded")
        if request.tracks[0].text == "memory":
            raise MemoryError
        return fake_generate(request, **kw)

    monkeypatch.setattr(engine, "generate", hostile)
    assert batch.main(["generate", "--job", str(jobs), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 5 and "Traceback" not in "".join(err), err
    assert "a_deep.json: job file" in err[0] and "nests 100000 levels deep" in err[0]
    assert "b_digits.json: job file" in err[1] and "has 300 characters" in err[1]
    assert "c_recursion.json: the input is too large or too deeply nested (RecursionError" in err[2]
    assert "d_memory.json: the input is too large or too deeply nested (MemoryError" in err[3]
    log = Path(err[2].rpartition("the traceback is in ")[2])
    assert "hostile" in log.read_text()
    assert err[4] == "motion_composer: 4 of 5 job(s) failed"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["e_good.blend"]


def test_ctrl_c_stops_cleanly_and_keeps_finished_outputs(tmp_path):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    for name in ("a", "b", "c"):
        job(jobs / f"{name}.json", {"text": "a person walks", "seconds": 1.0})
    out = tmp_path / "out"
    proc = child(tmp_path, ["generate", "--job", str(jobs), "--output", str(out)], delay=0.5)
    line_with(proc.stdout, "a.json ->")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.count("\n") == 1 and "interrupted after 1 of 3 job(s); their outputs are kept" in err, err
    assert sorted(p.name for p in out.iterdir()) == ["a.blend"], "finished output kept, nothing partial"


def test_kill_during_blend_write_leaves_the_old_file(tmp_path):
    """SIGKILL after the new .blend is written but before it replaces the old one, then at random moments."""
    j = job(tmp_path / "walk.json", {"text": "a person walks", "seconds": 1.0})
    out = tmp_path / "out.blend"
    out.write_bytes(b"old scene")
    argv = ["generate", "--job", str(j), "--output", str(out), "--overwrite"]
    pause = ("publish = batch.output._publish\n"
             "def paused(tmp, path, overwrite):\n    print('READY', tmp, flush=True)\n    time.sleep(60)\n"
             "batch.output._publish = paused\n")  # fmt: skip
    proc = child(tmp_path, argv, patch=pause)
    ready = line_with(proc.stdout, "READY").split()
    assert Path(ready[1]).stat().st_size > 1000, "the new file is complete in its temp"
    proc.kill()
    proc.wait(10)
    assert out.read_bytes() == b"old scene", "a kill before the rename leaves the old file whole"
    assert Path(ready[1]).exists()
    for delay in (0.5, 1.0, 1.5, 2.0):  # kills at other moments: always the old file or a whole new one
        proc = child(tmp_path, argv)
        try:
            proc.wait(delay)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        assert out.read_bytes() == b"old scene" or whole_blend(out), f"killed after {delay} s"
    done = child(tmp_path, argv)
    assert done.wait(60) == 0, done.stderr.read()
    assert whole_blend(out)
    assert not list(tmp_path.glob(".out.blend.*")), "the next write removed the killed runs' temporary files"
