"""Blender outputs on a batch worker: addon.batch's job runner inside this worker's bpy module.

A worker in --blender mode imports bpy once and reuses that Blender session
for all of its jobs (addon.batch reloads the base scene per job). The
add-on is reached by module name here, on Blender workers only, so no
engine import ever pulls in bpy; the job logic stays in addon/batch.py.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from ..io.bvh import read_bvh
from ..runtime import load_models
from .jobs import Job

BLENDER_JOBS_MODULE = "addon.batch"


class BlenderJobs:
    def __init__(self, settings) -> None:
        self.settings = settings
        self.batch = importlib.import_module(BLENDER_JOBS_MODULE)  # imports bpy: one Blender per worker

    def run(self, job: Job, tmp: Path):
        """Run addon.batch.run_job on this job into `tmp`; returns (canonical motion, {file name: bytes})."""
        s, b = self.settings, self.settings.blender
        job_file = Path(job.source)
        if not job_file.is_file():  # a JSONL line: a job file of its own; its pose files stay where the JSONL is
            job_file = tmp / f"{job.name}.job.json"
            job_file.write_text(json.dumps(job.data))
        names = s.output_names(job.name)
        argv = ["generate", "--job", str(job_file), "--output", str(tmp / names[0]), "--bvh", str(tmp / names[1]),
                "--threads", str(s.threads), "--provider", s.provider]  # fmt: skip
        argv += ["--fbx", str(tmp / names[2])] if b.fbx else []
        argv += ["--armature", b.armature] if b.armature else []
        argv += ["--model-dir", s.model_dir] if s.model_dir else []
        argv += ["--allow-outside-paths"] if job.allow_outside else []
        args = self.batch.build_parser().parse_args(argv)
        outputs = self.batch.Outputs(Path(args.output), Path(args.bvh), Path(args.fbx) if args.fbx else None)
        self.batch.run_job(job_file, outputs, args, Path(b.scene) if b.scene else None, base_dir=Path(job.base_dir))
        motion = read_bvh(outputs.bvh)  # the canonical motion, for the review page's figures and measures
        request = job.request()
        version = load_models(s.model_dir, s.provider, s.threads).version  # the models this worker holds
        motion.metadata = {"seed": request.seed, "model_version": version, "warnings": list(request.warnings)}
        return motion, {name: (tmp / name).read_bytes() for name in names}
