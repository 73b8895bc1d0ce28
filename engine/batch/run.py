"""The batch driver: hands jobs to a worker pool, writes what comes back, reports what failed.

Pools (pool_local.LocalPool, pool_ray.RayPool) share four calls: start(),
submit(slot, job), poll(timeout) -> [(slot, JobResult)] and close(), with
`size` slots and at most one job in flight per slot. Only this module
writes into the output folder. A job is complete when its outputs and its
review record exist (the record is written last), which is what
--skip-existing looks for.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OutputError
from .jobs import BadJob, Job
from .output import write_bytes
from .progress import Progress
from .review import REVIEW_DIR, index_html, record_json
from .work import JobResult, Settings

SUMMARY = "summary.json"
INDEX = "index.html"
POLL_S = 0.5


@dataclass
class BatchReport:
    total: int
    ok: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, one-line reason)
    not_run: list[str] = field(default_factory=list)
    interrupted: bool = False
    stopped: str | None = None  # why the batch stopped early (output disk)
    startup_s: dict = field(default_factory=dict)
    run_s: float = 0.0

    def jobs_per_minute(self) -> float:
        done = len(self.ok) + len(self.failed)
        return done / self.run_s * 60 if self.run_s > 0 else 0.0


def output_paths(out: Path, job: Job, settings: Settings) -> list[Path]:
    return [out / name for name in settings.output_names(job.name)] + [record_path(out, job.name)]


def record_path(out: Path, name: str) -> Path:
    return out / REVIEW_DIR / f"{name}.json"


def existing_outputs(out: Path, jobs: list[Job], settings: Settings) -> list[Job]:
    """Jobs with any output already on disk (never replaced unasked)."""
    return [job for job in jobs if any(p.exists() for p in output_paths(out, job, settings)[:-1])]


def complete(out: Path, job: Job, settings: Settings) -> bool:
    return all(p.exists() for p in output_paths(out, job, settings))


def run_batch(jobs: list[Job], bad: list[BadJob], out: Path, settings: Settings, pool, *, skip_existing: bool,
              overwrite: bool = False, stream=None) -> BatchReport:  # fmt: skip
    """Run every job on `pool` (already connected); returns what happened. Writes summary.json and index.html.

    Outputs that exist are replaced only with `overwrite`, or with `skip_existing` for the jobs it reruns
    (their outputs are this batch's own, from a run stopped before the job's record was written).
    """
    stream = stream or sys.stderr
    report = BatchReport(total=len(jobs) + len(bad))
    entries: list[dict] = []
    for b in bad:
        report.failed.append((b.name, b.reason))
        entries.append({"name": b.name, "source": b.source, "error": b.reason})
    todo = deque()
    for job in jobs:
        if skip_existing and complete(out, job, settings):
            report.skipped.append(job.name)
            entries.append(json.loads(record_path(out, job.name).read_text()))
        else:
            todo.append(job)
    (out / REVIEW_DIR).mkdir(parents=True, exist_ok=True)
    progress = Progress(len(todo), stream)
    if report.skipped:
        print(f"skipping {len(report.skipped)} complete job(s) (--skip-existing)", file=stream)
    t0 = time.perf_counter()
    try:
        if todo:
            pool.start()
        report.startup_s = {**pool.startup, "workers_s": time.perf_counter() - t0}
        print(f"running {len(todo)} job(s) on {pool.describe()}", file=stream)
        t_run = time.perf_counter()
        progress.restart()
        _drive(pool, todo, out, report, entries, progress, stream, overwrite or skip_existing)
        report.run_s = time.perf_counter() - t_run
    finally:
        pool.close()
        report.not_run = [job.name for job in todo]
        if progress.done:
            progress.show(final=True)
        _write_summary(out, report, entries, settings, pool, stream)
    return report


def _drive(pool, todo: deque, out: Path, report: BatchReport, entries: list, progress: Progress, stream,
           overwrite: bool) -> None:  # fmt: skip
    """Keep every slot busy. The first Ctrl-C lets the running jobs finish and be written (it only sets a
    flag, so no write is cut short); the second stops at once (KeyboardInterrupt; files stay whole)."""
    free = list(range(pool.size))
    busy: set[int] = set()

    def interrupt(signum, frame) -> None:
        if report.interrupted:
            raise KeyboardInterrupt
        report.interrupted = True
        print(f"\ninterrupted: finishing {len(busy)} running job(s), then stopping (Ctrl-C again to stop now)",
              file=stream, flush=True)  # fmt: skip

    previous = (
        signal.signal(signal.SIGINT, interrupt) if threading.current_thread() is threading.main_thread() else None
    )
    try:
        while busy or (todo and not report.interrupted):
            while free and todo and not report.interrupted:
                slot = free.pop()
                pool.submit(slot, todo.popleft())
                busy.add(slot)
            for slot, result in pool.poll(POLL_S):
                busy.discard(slot)
                free.append(slot)
                _finish(result, out, report, entries, overwrite)
                progress.update(result.error is None)
    except OutputError as exc:
        report.stopped = str(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _finish(result: JobResult, out: Path, report: BatchReport, entries: list, overwrite: bool) -> None:
    if result.error is not None:
        report.failed.append((result.name, result.error))
        entries.append({"name": result.name, "error": result.error})
        return
    for name, data in result.files.items():
        write_bytes(out / name, data, overwrite=overwrite)
    write_bytes(out / REVIEW_DIR / f"{result.name}.svg", result.preview.encode(), overwrite=True)
    write_bytes(record_path(out, result.name), record_json(result.record), overwrite=True)  # last: job complete
    report.ok.append(result.name)
    entries.append(result.record)


def _write_summary(out: Path, report: BatchReport, entries: list, settings: Settings, pool, stream) -> None:
    summary = {
        "jobs": report.total, "ok": len(report.ok), "skipped": len(report.skipped),
        "failed": [{"name": n, "reason": r} for n, r in report.failed], "not_run": report.not_run,
        "interrupted": report.interrupted, "stopped": report.stopped, "backend": pool.describe(),
        "threads_per_worker": settings.threads, "provider": settings.provider, "formats": list(settings.formats),
        "startup_s": {k: round(v, 3) for k, v in report.startup_s.items()}, "run_s": round(report.run_s, 3),
        "jobs_per_minute": round(report.jobs_per_minute(), 2),
    }  # fmt: skip
    try:
        write_bytes(out / SUMMARY, (json.dumps(summary, indent=1) + "\n").encode(), overwrite=True)
        write_bytes(out / INDEX, index_html(entries, f"Batch {out.name}").encode(), overwrite=True)
    except OutputError as exc:
        print(f"error: could not write the summary: {exc}", file=stream)
