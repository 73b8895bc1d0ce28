"""`python -m engine batch --ray ADDRESS` on a local Ray cluster started here (2 CPUs, loopback, no dashboard).

The cluster is a driver process of its own (ray.init in a child), so the
batch command connects to it by address exactly as it would to a real
head node; closing the child's stdin shuts the cluster down.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest
from batch_helpers import ROOT, complete_jobs, engine_batch, leftovers, outputs, small_jobs

pytest.importorskip("ray")
pytestmark = pytest.mark.slow

# Ray's switch for single-machine clusters (every Ray process on 127.0.0.1, no other interface) and a token of
# this test's own for Ray's token authentication (never the user's ~/.ray/auth_token)
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
HOLD_CLUSTER = """
import sys, ray
ray.init(num_cpus=2, include_dashboard=False, object_store_memory=128 * 2**20, log_to_driver=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
ray.shutdown()
"""


@pytest.fixture(scope="module")
def ray_address():
    holder = subprocess.Popen([sys.executable, "-c", HOLD_CLUSTER], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              env=dict(os.environ, **LOOPBACK))  # fmt: skip
    try:
        address = holder.stdout.readline().strip()
        assert address.startswith("127.0.0.1:"), f"the local Ray cluster did not start on loopback: {address!r}"
        yield address
    finally:
        holder.stdin.close()
    try:
        holder.wait(timeout=60)
    except subprocess.TimeoutExpired:
        holder.kill()
        holder.wait()


def test_ray_batch_equals_local_reports_the_bad_job_and_resumes_after_a_kill(ray_address, tmp_path):
    # jobs of about half a second each, so that the kill lands between the first and the last of them on any
    # machine (the default small jobs take 0.03 s: all five were written before a 0.1 s poll saw the first)
    jobs = small_jobs(tmp_path / "jobs", count=5, seconds=6, steps=30)
    local = engine_batch("--jobs", jobs, "--out", tmp_path / "local", "--workers", 2)
    env = dict(os.environ, **LOOPBACK)
    assert local.returncode == 1, local.stderr
    expected = outputs(tmp_path / "local")
    assert len(expected) == 5

    out = tmp_path / "ray"
    cmd = [sys.executable, "-m", "engine", "batch", "--jobs", str(jobs), "--out", str(out), "--ray", ray_address]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    deadline = time.time() + 240
    while not complete_jobs(out) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver dies without any clean-up
    proc.wait()
    first = outputs(out)
    assert 1 <= len(first) < 5, "the kill came too late to test resuming"
    assert all(expected[name] == data for name, data in first.items())

    done = subprocess.run(cmd + ["--skip-existing"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "failed: bad_seconds: seconds must be > 0 and at most 600 (got -2)" in done.stderr
    assert outputs(out) == expected  # byte for byte the local runner's outputs
    summary = json.loads((out / "summary.json").read_text())
    assert summary["backend"] == f"2 Ray actor(s) on the Ray cluster at {ray_address}, 1 thread(s) each"
    assert summary["skipped"] >= 1 and summary["ok"] + summary["skipped"] == 5
    assert [f["name"] for f in summary["failed"]] == ["bad_seconds"]
    assert leftovers(out) == []


def test_unreachable_ray_address_fails_fast_and_writes_nothing(tmp_path):
    jobs = small_jobs(tmp_path / "jobs", count=1, bad=False)
    t0 = time.time()
    proc = engine_batch("--jobs", jobs, "--out", tmp_path / "out", "--ray", "127.0.0.1:9", timeout=60)
    assert time.time() - t0 < 30
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: --ray 127.0.0.1:9: cannot reach the Ray head (Connection refused)")
    assert not (tmp_path / "out").exists()


def test_missing_ray_gives_the_install_hint_and_core_imports_stay_light(tmp_path):
    jobs = small_jobs(tmp_path / "jobs", count=1, bad=False)
    code = ("import sys; sys.modules['ray'] = None\n"  # as if Ray were not installed
            "import engine, engine.cli, engine.batch.command, engine.batch.run\n"
            "assert not {'ray', 'torch', 'bpy'} & {m for m in sys.modules if sys.modules[m] is not None}\n"
            "from engine.cli import main\n"
            f"sys.exit(main(['batch', '--jobs', {str(jobs)!r}, '--out', {str(tmp_path / 'out')!r}, '--ray', 'auto']))")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "error: Ray is not installed: pip install 'ray==2.60.0' (the development " \
                                  "environment has it: tools/bootstrap.sh)"  # fmt: skip
    assert not (tmp_path / "out").exists()
