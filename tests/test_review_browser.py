"""The batch review page (index.html) in a real headless Chromium: it renders, every image and link resolves,
sorting and filtering work.

Chromium comes from the project's own installer (tools/install_chromium.sh, apt-get as root when missing);
the test skips, with the installer's reason, only when that cannot install it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from batch_helpers import ROOT

from engine.batch.jobs import BadJob, Job
from engine.batch.quality import measure
from engine.batch.review import COLUMNS, strip_svg
from engine.batch.run import run_batch
from engine.batch.work import JobResult, Settings
from engine.eval import demo_motion
from engine.io.bvh import write_bvh

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def chromium() -> str:
    if shutil.which("chromium") is None:
        done = subprocess.run([str(ROOT / "tools" / "install_chromium.sh")], capture_output=True, text=True)
        if shutil.which("chromium") is None:
            pytest.skip(f"Chromium cannot be installed here: {done.stderr.strip() or done.returncode}")
    return shutil.which("chromium")


def run_chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"  # a new empty profile per run
    done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Pool:
    """Finished jobs from procedural motions (no model needed): the page is what is under test."""

    size = 1
    startup: dict = {}

    def __init__(self, results):
        self.results, self.busy = results, {}

    def describe(self):
        return "procedural motions"

    def start(self):
        pass

    def submit(self, slot, job):
        self.busy[slot] = job

    def poll(self, timeout):
        slot, job = self.busy.popitem()
        return [(slot, self.results[job.name])]

    def close(self):
        pass


def make_batch(out: Path, tmp_path: Path) -> None:
    motions = {"walk_slow": demo_motion.walk(seconds=2.0, fps=30.0), "wave": demo_motion.wave(seconds=2.0, fps=30.0),
               "walk_turn": demo_motion.walk(seconds=3.0, fps=30.0, turn_deg_per_s=40.0)}  # fmt: skip
    results, jobs = {}, []
    for i, (name, motion) in enumerate(motions.items()):
        motion.metadata = {"seed": i, "model_version": "procedural", "warnings": ["a test warning"] if i else []}
        write_bvh(tmp_path / f"{name}.bvh", motion)
        record = {"name": name, "prompt": f"prompt of {name}", "seed": i, "seconds": motion.num_frames / 30.0,
                  "time_s": 0.1 * (i + 1), "warnings": motion.metadata["warnings"], "outputs": [f"{name}.bvh"],
                  **measure(motion)}  # fmt: skip
        results[name] = JobResult(name, {f"{name}.bvh": (tmp_path / f"{name}.bvh").read_bytes()}, record,
                                  strip_svg(motion))  # fmt: skip
        jobs.append(Job(name, {"text": record["prompt"]}, str(tmp_path), f"{name}.json"))
    bad = [BadJob("broken", "broken.json", "job file broken.json is not valid JSON")]
    out.mkdir()
    run_batch(jobs, bad, out, Settings(), Pool(results), skip_existing=False)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.rows, self.cells = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("img", "a", "script", "link") and (a.get("src") or a.get("href")):
            self.refs.append(a.get("src") or a.get("href"))
        if tag == "tr" and "data-status" in a:
            self.rows.append(("hidden" in a, a["data-status"]))
            self.cells.append([])
        if tag == "td" and self.cells:
            self.cells[-1].append(a.get("data-v"))


def test_review_page_renders_in_chromium_with_working_images_links_sorting_and_filter(tmp_path):
    out = tmp_path / "out"
    make_batch(out, tmp_path)
    page = out / "index.html"

    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri() + "#sort=jerk&desc=1")
    assert 'data-broken-images="0"' in dom  # the page's own check after load: every <img> decoded
    parsed = Links()
    parsed.feed(dom)
    assert len(parsed.refs) >= 7  # 3 previews + 3 outputs + 3 records
    for ref in parsed.refs:
        assert not re.match(r"[a-z]+:", ref), f"not a relative link: {ref}"
        assert (out / ref).is_file(), f"broken link: {ref}"
    column = COLUMNS.index("jerk (m/s³)")
    jerks = [row[column] for row in parsed.cells]
    assert jerks[-1] == "" and parsed.rows[-1][1] == "failed"  # no jerk value: sorted last
    assert [float(v) for v in jerks[:3]] == sorted((float(v) for v in jerks[:3]), reverse=True)  # largest first
    assert "3 of 4 shown" not in dom and "4 of 4 shown" in dom

    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri() + "#show=failed")
    parsed = Links()
    parsed.feed(dom)
    assert [(h, s) for h, s in parsed.rows if not h] == [(False, "failed")] and "1 of 4 shown" in dom
    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri() + "#q=wave")
    assert "1 of 4 shown" in dom

    shot = tmp_path / "page.png"
    run_chromium(tmp_path, "--window-size=1400,600", f"--screenshot={shot}", page.as_uri())
    assert shot.stat().st_size > 20_000  # a rendered table with figures, not a blank page
