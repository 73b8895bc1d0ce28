"""`python -m engine.eval.bench --quick` end to end (needs the prepared corpus), and its torch-free imports."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.eval.clips import DEFAULT_CORPUS as CORPUS
from engine.eval.clips import stats_fingerprint
from engine.kinematics import contact

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def test_benchmark_modules_do_not_import_torch():
    code = "import sys, engine.eval.bench, engine.eval.suites as s; s.load_suites(); sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


@pytest.mark.parametrize("args", [["--quick", "--items", "8"], ["--items", "40"]])
def test_bench_refuses_too_few_items_and_items_without_quick(args):
    done = subprocess.run([sys.executable, "-m", "engine.eval.bench", *args], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2 and "--items" in done.stderr.splitlines()[-1] and "Traceback" not in done.stderr


def test_bench_reports_a_missing_model_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "engine.eval.bench", "--quick", "--model-dir", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2
    assert "manifest" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.shared_data
@pytest.mark.slow
def test_quick_benchmark_runs_and_writes_both_reports(tmp_path):
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is absent")
    needed = [CORPUS / "test.npz", CORPUS / "train.npz", REPO / "exported_models" / "manifest.json",
              REPO / "exported_models" / "eval" / "motion_encoder.onnx"]  # fmt: skip
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        pytest.skip(f"missing {', '.join(missing)}")
    trained_on = json.loads((REPO / "exported_models" / "eval" / "evaluator.json").read_text()).get("corpus", {})
    if trained_on.get("stats_fingerprint") not in (None, stats_fingerprint(CORPUS)):
        pytest.skip(f"{CORPUS} is not the corpus build the evaluator was trained on ({trained_on.get('path')})")
    md, js = tmp_path / "BENCHMARK.md", tmp_path / "benchmark.json"
    t0 = time.time()
    cmd = [sys.executable, "-m", "engine.eval.bench", "--quick", "--items", "32", "--corpus", str(CORPUS),
           "--out", str(md), "--json", str(js)]  # fmt: skip
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    print(f"\nbench --quick --items 32: {time.time() - t0:.0f} s")  # not a timed test
    text = md.read_text()
    for part in ("## Goals", "R-precision top-3", "FID to real test", f"foot skate (h < rest + {contact.HEIGHT_MARGIN * 100:g} cm, v > {contact.SPEED:g} m/s)",
                 "ms per 10 s motion", "retrieval", "generator (50 steps)"):  # fmt: skip
        assert part in text
    data = json.loads(js.read_text())
    assert data["meta"]["quick"] and not data["meta"]["torch_imported"] and data["meta"]["test_items"] == 32
    suites = {s["title"]: s for s in data["suites"]}
    t2m = next(s for t, s in suites.items() if t.startswith("Text to motion"))
    r3 = next(r for r in t2m["rows"] if r["metric"] == "R-precision top-3")["values"]
    assert r3["real test"] > 0.3  # far above chance (3/32): the evaluator works on real motions
    for row in t2m["rows"]:
        for value in row["values"].values():
            assert value is None or math.isfinite(value)
