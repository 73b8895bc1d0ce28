"""Shared pieces of the engine batch tests: small job sets and running `python -m engine batch`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ("a person walks forward", "a person waves the right hand", "a person jumps", "a person bows",
           "a person turns around", "a person sits down")  # fmt: skip


def small_jobs(folder: Path, count: int = 3, bad: bool = True, seconds: float = 1.5, steps: int = 4) -> Path:
    """`count` short jobs (1.5 s, 4 steps: a few hundredths of a second each) plus one invalid job named bad_seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        job = {"text": PROMPTS[i % len(PROMPTS)], "seconds": seconds, "seed": 10 + i, "steps": steps}
        (folder / f"job{i}.json").write_text(json.dumps(job))
    if bad:
        (folder / "bad_seconds.json").write_text(json.dumps({"text": "a person walks", "seconds": -2}))
    return folder


def engine_batch(*args, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "engine", "batch", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def outputs(folder: Path, suffix: str = ".bvh") -> dict[str, bytes]:
    """Output files by name; hidden temporaries (a killed writer's, removed by the next write) are not outputs."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob(f"*{suffix}")) if not p.name.startswith(".")}


def complete_jobs(folder: Path) -> list[str]:
    """Jobs whose review record exists (it is written last); a record's hidden temporary does not count."""
    return sorted(p.stem for p in folder.glob("review/*.json") if not p.name.startswith("."))


def leftovers(folder: Path) -> list[str]:
    """Temporary files an interrupted write could leave (there must be none)."""
    return [str(p) for p in folder.rglob(".*") if p.is_file()]
