"""The worker side of a batch: load the models once, then turn jobs into output bytes and a review record.

The same Worker runs in a local process or inside a Ray actor, so both give
the same bytes for the same job, seed and thread count. Workers write only
into a private temporary folder; the driver writes the real outputs.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import generate
from ..failures import describe_failure
from ..io.bvh import write_bvh
from ..io.smpl import write_smpl_npz
from ..runtime import load_models
from .blender import BlenderJobs  # imports bpy only when a Blender worker is made
from .jobs import Job
from .quality import measure
from .review import strip_svg

WRITERS = {"bvh": write_bvh, "npz": write_smpl_npz}  # output format -> writer (path, motion)


@dataclass(frozen=True)
class BlenderSettings:
    """Blender outputs through the bpy module: a .blend per job (and FBX when asked)."""

    scene: str | None = None
    armature: str | None = None
    fbx: bool = False


@dataclass(frozen=True)
class Settings:
    formats: tuple[str, ...] = ("bvh",)
    model_dir: str | None = None
    provider: str = "auto"
    threads: int = 1  # per worker; fixed so outputs do not depend on how many workers a machine runs
    blender: BlenderSettings | None = None

    def output_names(self, name: str) -> list[str]:
        if self.blender is not None:
            return [f"{name}.blend", f"{name}.bvh"] + ([f"{name}.fbx"] if self.blender.fbx else [])
        return [f"{name}.{fmt}" for fmt in self.formats]


@dataclass
class JobResult:
    name: str
    files: dict[str, bytes] = field(default_factory=dict)  # output file name -> content
    record: dict | None = None  # review-page row (successful jobs)
    preview: str | None = None  # stick-figure strip, SVG text
    error: str | None = None  # one line, failed jobs


class Worker:
    """Holds the loaded models (and the Blender session in Blender mode) for all of its jobs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        load_models(settings.model_dir, settings.provider, settings.threads)  # once per worker, cached
        self.blender = None
        if settings.blender is not None:
            self.blender = BlenderJobs(settings)

    def ready(self) -> bool:
        """True once constructed: lets a pool wait until every worker has its models loaded."""
        return True

    def run(self, job: Job) -> JobResult:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            with tempfile.TemporaryDirectory(prefix="mc-batch-") as tmp:
                motion, files = self._outputs(job, Path(tmp))
        except Exception as exc:  # one job's failure (even a bug: traceback logged) must not stop the batch
            return JobResult(job.name, error=one_line(describe_failure(exc, f"batch job {job.name} ({job.source})")))
        record = {"name": job.name, "source": job.source, "prompt": prompt_of(job), "seed": motion.metadata["seed"],
                  "seconds": round(motion.num_frames / motion.fps, 3), "fps": motion.fps,
                  "model_version": motion.metadata["model_version"], "warnings": motion.metadata.get("warnings", []),
                  "time_s": round(time.perf_counter() - started, 3), "outputs": sorted(files),
                  "cpu_s": round(time.process_time() - cpu, 3),
                  **measure(motion)}  # fmt: skip
        return JobResult(job.name, files=files, record=record, preview=strip_svg(motion))

    def _outputs(self, job: Job, tmp: Path):
        if self.blender is not None:
            return self.blender.run(job, tmp)
        s = self.settings
        motion = generate(job.request(), model_dir=s.model_dir, provider=s.provider, threads=s.threads)
        files = {}
        for name in s.output_names(job.name):
            WRITERS[name.rsplit(".", 1)[1]](tmp / name, motion)
            files[name] = (tmp / name).read_bytes()
        return motion, files


def prompt_of(job: Job) -> str:
    """The job's text: its prompt, or its tracks' prompts joined with ' | '."""
    texts = [job.data["text"]] if job.data.get("text") else []
    texts += [t.get("text", "") for t in job.data.get("tracks") or [] if isinstance(t, dict)]
    return " | ".join(t for t in texts if t)


def one_line(message: str, limit: int = 300) -> str:
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
