"""Local worker processes: one per core by default, each holding its own loaded models.

Each worker has a pipe and at most one job in flight, so the driver knows
which job a dying worker took with it (reported as failed, worker
restarted). Workers ignore SIGINT: Ctrl-C reaches the driver, which stops
handing out jobs and closes the pool.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
from multiprocessing.connection import wait

from ..errors import MotionComposerError
from .jobs import Job
from .work import JobResult, Settings, Worker

START_TIMEOUT_S = 300.0  # loading the models (and bpy) in a cold worker


class WorkerStartError(MotionComposerError):
    """A worker could not load the models (or Blender): every job would fail the same way."""


def _serve(conn, settings: Settings) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # pool.close: leave through `finally` (temporary files)
    try:
        worker = Worker(settings)
    except MotionComposerError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", None))
    while (job := conn.recv()) is not None:
        conn.send(("result", worker.run(job)))


def thread_env(threads: int) -> dict[str, str]:
    """Thread counts of the numeric libraries in a worker: fixed, so results do not depend on the machine."""
    return {k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


class LocalPool:
    def __init__(self, size: int, settings: Settings) -> None:
        self.size, self.settings = size, settings
        self.context = mp.get_context("spawn")  # no inherited onnxruntime or bpy state
        self.procs: list = [None] * size
        self.conns: list = [None] * size
        self.busy: dict[int, Job] = {}
        self.startup: dict[str, float] = {}  # Ray's pool reports its connection time here; local has none

    def describe(self) -> str:
        return f"{self.size} local worker process(es), {self.settings.threads} thread(s) each"

    def start(self) -> None:
        for slot in range(self.size):
            self._spawn(slot)
        for slot in range(self.size):
            self._await_ready(slot)

    def _spawn(self, slot: int) -> None:
        parent, child = self.context.Pipe()
        saved = dict(os.environ)
        os.environ.update(thread_env(self.settings.threads))
        try:
            proc = self.context.Process(target=_serve, args=(child, self.settings), daemon=True)
            proc.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        child.close()
        self.procs[slot], self.conns[slot] = proc, parent

    def _await_ready(self, slot: int) -> None:
        conn = self.conns[slot]
        if not conn.poll(START_TIMEOUT_S):
            raise WorkerStartError(f"worker {slot} did not start within {START_TIMEOUT_S:g} s")
        try:
            kind, message = conn.recv()
        except EOFError:
            raise WorkerStartError(
                f"worker {slot} exited while starting (exit code {self.procs[slot].exitcode})"
            ) from None
        if kind == "error":
            raise WorkerStartError(message)

    def submit(self, slot: int, job: Job) -> None:
        self.busy[slot] = job
        self.conns[slot].send(job)

    def poll(self, timeout: float) -> list[tuple[int, JobResult]]:
        """Finished jobs (slot, result); a worker that died fails its job and is replaced."""
        watched = {self.conns[s]: s for s in self.busy}
        watched.update({self.procs[s].sentinel: s for s in self.busy})
        done = {}
        for ready in wait(list(watched), timeout):
            slot = watched[ready]
            if slot in done:
                continue
            try:
                if ready is self.conns[slot] and self.conns[slot].poll():
                    done[slot] = self.conns[slot].recv()[1]
                    continue
            except (EOFError, OSError):
                pass
            done[slot] = self._died(slot)
        for slot in done:
            self.busy.pop(slot, None)
        return list(done.items())

    def _died(self, slot: int) -> JobResult:
        proc = self.procs[slot]
        proc.join(5)
        job = self.busy[slot]
        result = JobResult(
            job.name, error=f"the worker process died while running this job (exit code {proc.exitcode})"
        )
        self._spawn(slot)
        self._await_ready(slot)
        return result

    def close(self) -> None:
        """Stop the workers: a finishing job is not waited for (the driver discards it)."""
        for slot, proc in enumerate(self.procs):
            if proc is None:
                continue
            if slot not in self.busy and proc.is_alive():
                try:
                    self.conns[slot].send(None)
                except OSError:
                    pass
        for slot, proc in enumerate(self.procs):
            if proc is None:
                continue
            proc.join(2 if slot not in self.busy else 0)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
            self.conns[slot].close()
