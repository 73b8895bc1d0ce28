"""A generation running off the UI thread: the worker and what the timer polls.

Plain Python (no operator) so tests can drive it directly. The worker thread
runs only engine code (generation + retargeting maths); it never touches bpy.
Results are written on the main thread by results.apply_results, after the
job finished, so a cancelled job leaves the scene exactly as it was.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .engine_link import engine, errors, failures


@dataclass
class Channels:
    """Keys for one armature: bone -> (T,4) quaternions, bone -> (T,3) locations, constant bone properties."""

    rotations: dict
    locations: dict
    bone_properties: dict = field(default_factory=dict)
    target_misses: dict = field(default_factory=dict)  # joint target label -> the rig's own miss (m)

    @property
    def num_frames(self) -> int:
        return len(next(iter(self.rotations.values()))) if self.rotations else 0


@dataclass
class Result:
    """One generated variation: the canonical motion and the armature channels made from it."""

    request: Any  # GenerationRequest
    motion: Any  # engine Motion
    channels: Channels


@dataclass
class GenerationJob:
    """Generate one motion per request on a worker thread, cancellable between sampling steps.

    `convert(motion)` turns a canonical motion into Channels for the target
    armature (retargeting); it runs on the worker thread too.
    """

    requests: list
    convert: Callable[[Any], Channels]
    runtime: dict = field(default_factory=dict)  # provider, threads, model_dir
    generate: Callable[..., Any] | None = None  # default: engine.generate, looked up when the job runs

    results: list[Result] = field(default_factory=list, init=False)
    error: str | None = field(default=None, init=False)
    seconds: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._progress = 0.0
        self._thread: threading.Thread | None = None

    # --- main thread -------------------------------------------------------
    def start(self) -> GenerationJob:
        self._thread = threading.Thread(target=self._run, name="motion-composer-generate", daemon=True)
        self._thread.start()
        return self

    def run(self) -> GenerationJob:
        """Run in the calling thread (batch mode and the operator's execute)."""
        self._run()
        return self

    def cancel(self) -> None:
        """Ask the worker to stop at the next sampling step; results are discarded."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def succeeded(self) -> bool:
        return self.done and not self.cancelled and self.error is None

    @property
    def progress(self) -> float:
        """Overall fraction in [0, 1] across all variations."""
        return 1.0 if self.done else self._progress

    # --- worker thread -----------------------------------------------------
    def _run(self) -> None:
        started = time.perf_counter()
        try:
            n = len(self.requests)
            for i, request in enumerate(self.requests):
                if self._cancel.is_set():
                    return

                def progress(fraction: float, i: int = i) -> None:
                    self._progress = min(1.0, max(0.0, (i + float(fraction)) / n))

                generate = self.generate or engine.generate
                motion = generate(request, progress=progress, cancel=self._cancel.is_set, **self.runtime)
                if self._cancel.is_set():
                    return
                self.results.append(Result(request, motion, self.convert(motion)))
                self._progress = (i + 1) / n
        except errors.MotionComposerError as exc:
            if not self._cancel.is_set():
                self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one line for the user, the traceback in a log file
            if not self._cancel.is_set():
                self.error = failures.describe_failure(exc, "generation")
        finally:
            self.seconds = time.perf_counter() - started
            self._done.set()
