"""Ray workers: one actor per worker, each holding its own loaded models (`--ray auto|local|ADDRESS`).

The only module that imports Ray, and only when a batch asks for it. Actors
run the same Worker as local processes and return bytes; the driver writes
the files, so the cluster needs no shared output storage (though the code
and the model folder must be at the same path on every node).
"""

from __future__ import annotations

import importlib
import os
import socket
import time
from pathlib import Path

from ..errors import MotionComposerError
from .jobs import Job
from .pool_local import thread_env
from .work import JobResult, Settings, Worker

INSTALL_HINT = (
    "Ray is not installed: pip install 'ray==2.60.0' (the development environment has it: tools/bootstrap.sh)"
)
CONNECT_TIMEOUT_S = 10.0
REPO = Path(__file__).resolve().parents[2]
LOCAL_OBJECT_STORE_BYTES = 256 * 1024**2  # outputs are small; leave the memory to the workers


class RayError(MotionComposerError):
    """Ray is missing or the cluster cannot be reached."""


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """A TCP connection to host:port, so a wrong address fails in seconds (Ray itself retries for minutes)."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise RayError(f"--ray {address}: use auto, local or HOST:PORT (the head's GCS port, 6379 by default)")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise RayError(f"--ray {address}: cannot reach the Ray head ({exc.strerror or exc}); is `ray start --head` "
                       "running there and the port open?") from None  # fmt: skip


def load_ray():
    """The ray module, loaded when a batch asks for Ray: importing it costs every `python -m engine` call about
    0.45 s (-X importtime), so this module itself is cheap to import. RayError when Ray is not installed."""
    try:
        return importlib.import_module("ray")
    except ImportError:  # optional: only `--ray` needs it
        raise RayError(INSTALL_HINT) from None


class RayPool:
    def __init__(self, address: str, size: int | None, settings: Settings) -> None:
        self.ray = load_ray()
        self.address, self.settings = address, settings
        self.requested = size
        self.size = 0
        self.actors: list = []
        self.busy: dict[int, tuple[Job, object]] = {}
        self.startup: dict[str, float] = {}

    def describe(self) -> str:
        where = "a private local Ray instance" if self.address == "local" else f"the Ray cluster at {self.address}"
        return f"{self.size} Ray actor(s) on {where}, {self.settings.threads} thread(s) each"

    def connect(self) -> None:
        """Join (or, for `local`, start) Ray; raises RayError within about CONNECT_TIMEOUT_S when unreachable."""
        t0 = time.perf_counter()
        env = {"env_vars": {**thread_env(self.settings.threads), "PYTHONPATH": _pythonpath()}}
        common = {"include_dashboard": False, "log_to_driver": False, "runtime_env": env}
        if self.address == "local":
            cpus = (self.requested or os.cpu_count() or 1) * self.settings.threads
            self.ray.init(num_cpus=cpus, _node_ip_address="127.0.0.1", object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                     **common)  # fmt: skip
        else:
            if self.address != "auto":
                check_reachable(self.address)
            try:
                self.ray.init(address=self.address, **common)
            except ConnectionError as exc:
                raise RayError(f"--ray {self.address}: {str(exc).splitlines()[0]} (a cluster with token "
                               "authentication needs RAY_AUTH_MODE=token and its token in RAY_AUTH_TOKEN here)") from None  # fmt: skip
        self.startup["connect_s"] = time.perf_counter() - t0
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        self.size = self.requested or max(1, cpus // self.settings.threads)

    def start(self) -> None:
        t0 = time.perf_counter()
        remote = self.ray.remote(Worker).options(num_cpus=self.settings.threads, max_restarts=0)
        self._remote = remote
        self.actors = [remote.remote(self.settings) for _ in range(self.size)]
        try:
            self.ray.get([a.ready.remote() for a in self.actors])
        except self.ray.exceptions.RayActorError as exc:
            raise RayError(f"a Ray worker could not start: {_cause(exc)}") from None
        self.startup["workers_s"] = time.perf_counter() - t0

    def submit(self, slot: int, job: Job) -> None:
        self.busy[slot] = (job, self.actors[slot].run.remote(job))

    def poll(self, timeout: float) -> list[tuple[int, JobResult]]:
        refs = {ref: slot for slot, (_, ref) in self.busy.items()}
        if not refs:
            return []
        ready, _ = self.ray.wait(list(refs), num_returns=1, timeout=timeout)
        out = []
        for ref in ready:
            slot = refs[ref]
            job, _ = self.busy.pop(slot)
            try:
                out.append((slot, self.ray.get(ref)))
            except self.ray.exceptions.RayError as exc:  # the actor or its node died
                out.append((slot, JobResult(job.name, error=f"the Ray worker failed: {_cause(exc)}")))
                self.actors[slot] = self._remote.remote(self.settings)
        return out

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.ray.shutdown()


def _pythonpath() -> str:
    """The workers import this checkout's engine (the same path on every node: shared storage or same install)."""
    return os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)


def _cause(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300]
