"""BENCHMARK.md and benchmark.json from suite results: what was run, where, and how it went."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict
from pathlib import Path

import numpy
import onnxruntime

from .suites import SuiteResult


def machine() -> dict:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    return {"cpu": cpu, "cores": os.cpu_count(), "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "numpy": numpy.__version__,
            "onnxruntime": onnxruntime.__version__}  # fmt: skip


def git_commit(repo: Path) -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "engine")
    return commit + (" (engine/ has uncommitted changes)" if dirty else "")


def _fmt(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def markdown(meta: dict, results: list[SuiteResult]) -> str:
    out = ["# Benchmark", ""]
    out += [f"- date: {meta['date']}", f"- machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
            f"{meta['machine']['system']}, Python {meta['machine']['python']}, onnxruntime "
            f"{meta['machine']['onnxruntime']}", f"- commit: {meta['commit']}",
            f"- command: `{meta['command']}`", f"- model: {meta['model_version']} ({meta['model_dir']})",
            f"- evaluator: {meta['evaluator']}",
            f"- corpus: {meta.get('corpus', '?')} ({meta.get('test_items', '?')} test items)",
            f"- seed: {meta['seed']}, wall time {meta['wall_s']:.0f} s", ""]  # fmt: skip
    if meta.get("corpus_warning"):
        out += [f"**Warning: {meta['corpus_warning']}.**", ""]
    goals = [g for r in results for g in r.goals]
    if goals:
        out += ["## Goals", "", "| goal | value | target | rule | result |", "|---|---|---|---|---|"]
        for g in goals:
            result = "**pass**" if g.passed else "**FAIL**"
            out.append(f"| {g.name} | {g.value:.3f} | {g.target:.3f} | {g.rule} | {result} |")
        out.append("")
    for r in results:
        out += [f"## {r.title}", "", "| metric | " + " | ".join(r.columns) + " |", "|---" * (len(r.columns) + 1) + "|"]
        for row in r.rows:
            unit = f" ({row.unit})" if row.unit else ""
            cells = [_fmt(row.values.get(c), row.digits) for c in r.columns]
            out.append(f"| {row.metric}{unit} | " + " | ".join(cells) + " |")
        out.append("")
        out += [f"- {n}" for n in r.notes]
        out.append("")
    return "\n".join(out)


def write(meta: dict, results: list[SuiteResult], md_path: Path | None, json_path: Path | None) -> None:
    if md_path:
        Path(md_path).write_text(markdown(meta, results))
    if json_path:
        data = {"meta": meta, "suites": [asdict(r) for r in results]}
        Path(json_path).write_text(json.dumps(data, indent=1, default=_jsonable) + "\n")


def _jsonable(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
