"""Headless generation: job files in, .blend (and .bvh / .fbx) out.

One implementation for both entry points:
  python -m addon.batch generate --job job.json [--scene s.blend] [--armature Rig] --output out.blend
  blender --background s.blend --command motion_composer generate --job job.json --output out.blend
`--job` may be a folder of job files; then the outputs are folders and each
job writes <job name>.blend (.bvh, .fbx). A bad job prints one line (an
unexpected failure also names the log file with its traceback) and the run
goes on; the exit code is 1 when any job failed. Ctrl-C stops after one line,
keeping the outputs already written. Outputs go through engine.io.output: a
temporary file renamed into place (a kill never leaves a half file), an
existing output replaced only with --overwrite (a replaced .blend is kept as
.blend1), a read-only one never.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import bpy

from . import canonical_armature, cast_batch, generation, mapping_store, request_builder, results
from .engine_link import bvh, errors, failures, json_input, limits, mapping, output, referenced
from .engine_link import request as rq
from .fbx_export import export_fbx

PROG = "motion_composer"  # the command name, as in `blender --command motion_composer`


@dataclass(frozen=True)
class Outputs:
    blend: Path
    bvh: Path | None = None
    fbx: Path | None = None

    def all(self) -> list[Path]:
        return [p for p in (self.blend, self.bvh, self.fbx) if p is not None]


def ik_parts(text: str) -> tuple[str, ...]:
    """--ik value: which limbs are keyed on IK controls."""
    try:
        return mapping.parse_ik_parts(text)
    except errors.RetargetError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Generate character animation from job files.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate motion for one job file or a folder of them")
    gen.add_argument("--job", required=True, type=Path, help="job file (JSON) or a folder of *.json job files")
    gen.add_argument("--scene", type=Path, help=".blend to start from (default: the loaded file, else empty)")
    gen.add_argument("--armature", help="armature object to animate (default: the only one, else a new canonical)")
    gen.add_argument("--output", required=True, type=Path, help=".blend to write (a folder when --job is)")
    gen.add_argument("--bvh", type=Path, help="also write the canonical motion as BVH (a folder when --job is)")
    gen.add_argument("--fbx", type=Path, help="also export the animated armature as FBX (a folder when --job is a "
                     "folder, or has characters: one <name>.fbx each)")  # fmt: skip
    gen.add_argument("--fbx-deform-only", action="store_true",
                     help="FBX with the deform bones only (a Rigify rig: its DEF- bones, not the 700 controls)")  # fmt: skip
    gen.add_argument("--skip-existing", action="store_true", help="skip jobs whose outputs all exist (resume)")
    gen.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing outputs (a replaced .blend is kept as .blend1; read-only files never)",
    )
    gen.add_argument(
        referenced.ALLOW_FLAG, action="store_true", help="let job files name pose files outside their folder"
    )
    gen.add_argument("--root-motion", choices=["full", "in_place", "vertical_only"], default="full")
    gen.add_argument("--mapping", type=Path, metavar="FILE",
                     help="bone mapping preset (JSON saved from the Bone Mapping panel): fitted to the armature, "
                          "stored on it and used")  # fmt: skip
    gen.add_argument("--ik", type=ik_parts, default=None, metavar="PARTS",
                     help="limbs keyed on the rig's IK controls (Rigify): legs, arms, legs,arms or none "
                          "(default: the armature's bone mapping, IK legs and FK arms)")  # fmt: skip
    gen.add_argument("--nla", action="store_true", help="push the Action onto an NLA track instead of assigning it")
    gen.add_argument("--provider", choices=["auto", "cpu", "cuda"], default="auto")
    gen.add_argument("--threads", type=int, default=None)
    gen.add_argument("--model-dir", type=Path, default=None, help="folder with exported models")
    return parser


class StopRequest:
    """Ctrl-C during a batch: cancel the running generation, write nothing more, stop with one line.

    Blender swallows a KeyboardInterrupt raised inside its operators and handlers
    (it prints a traceback and goes on), so the first Ctrl-C only sets a flag that
    the runner checks at safe points; a second one interrupts at once.
    """

    def __init__(self) -> None:
        self.requested = False
        self.job = None  # the running GenerationJob, cancelled on Ctrl-C
        self._previous = None

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)  # a second Ctrl-C interrupts at once
        if self.job is not None:
            self.job.cancel()

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return failures.run_guarded(lambda: run_all(args), f"{PROG}: ")


def run_all(args) -> int:
    """Every job in turn, each isolated: a failure of any kind is one line with the job's name."""
    jobs = _plan(args)
    args.threads, note = limits.clamp_threads(args.threads)
    if note:
        print(f"{PROG}: warning: {note}", file=sys.stderr)
    base_file = _base_file(args)
    failed = done = 0
    try:
        with StopRequest() as stop:
            for job, outputs in jobs:
                if args.skip_existing and all(p.exists() for p in outputs.all()):
                    print(f"{PROG}: {job.name}: outputs exist, skipped")
                    continue
                stop.check()
                started = time.perf_counter()
                try:
                    run_job(job, outputs, args, base_file, stop)
                except Exception as exc:  # noqa: BLE001 - isolation: report it with the job's name and go on
                    failed += 1
                    print(f"{PROG}: error: {job.name}: {failures.describe_failure(exc, f'batch job {job}')}",
                          file=sys.stderr)  # fmt: skip
                    continue
                done += 1
                written = ", ".join(str(p) for p in outputs.all())
                print(f"{PROG}: {job.name} -> {written} ({time.perf_counter() - started:.1f} s)", flush=True)
                stop.check()
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted after {done} of {len(jobs)} job(s); their outputs are kept, the running job "
              "wrote nothing", file=sys.stderr)  # fmt: skip
        return failures.EXIT_INTERRUPTED
    if failed:
        print(f"{PROG}: {failed} of {len(jobs)} job(s) failed", file=sys.stderr)
    return 1 if failed else 0


def cli_command(argv: list[str]) -> int:
    """Entry point of `blender --command motion_composer ...`."""
    try:
        return main(argv)
    except SystemExit as exc:  # argparse: --help and usage errors
        return exc.code if isinstance(exc.code, int) else 1


def _plan(args) -> list[tuple[Path, Outputs]]:
    """(job file, outputs) pairs; a folder job maps every *.json inside to files in the output folders."""
    if args.job.is_dir():
        jobs = sorted(p for p in args.job.glob("*.json") if p.is_file())
        if not jobs:
            raise errors.RequestError(f"no *.json job files in folder {args.job}")
        for folder in (args.output, args.bvh, args.fbx):
            if folder is not None and folder.suffix.lower() in {".blend", ".bvh", ".fbx"}:
                raise errors.RequestError(f"--job is a folder, so {folder} must be a folder too")
        return [(job, Outputs(args.output / f"{job.stem}.blend",
                              args.bvh / f"{job.stem}.bvh" if args.bvh else None,
                              args.fbx / f"{job.stem}.fbx" if args.fbx else None)) for job in jobs]  # fmt: skip
    if not args.job.exists():
        raise errors.RequestError(f"job file {args.job} does not exist")
    return [(args.job, Outputs(args.output, args.bvh, args.fbx))]


def _base_file(args) -> Path | None:
    if args.scene is not None:
        return args.scene
    return Path(bpy.data.filepath) if bpy.data.filepath else None


def run_job(job_path: Path, outputs: Outputs, args, base_file: Path | None, stop: StopRequest | None = None,
            base_dir: Path | None = None) -> None:  # fmt: skip
    """Generate one job onto a fresh copy of the base scene and write its outputs (nothing after a Ctrl-C).

    `base_dir`: where the job's pose files are (default: the job file's folder; a line of a JSONL file
    written to a temporary file keeps the folder of its JSONL file)."""
    stop = stop or StopRequest()
    if cast_batch.is_cast_job(job_path):  # several characters: one Action per armature (addon.cast_batch)
        return cast_batch.run_cast_job(job_path, outputs, args, context_after_load=lambda: _load_context(base_file),
                                       prog=PROG, stop=stop)  # fmt: skip
    for option, path in (("--output", outputs.blend), ("--bvh", outputs.bvh), ("--fbx", outputs.fbx)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            output.check_output_path(path, overwrite=args.overwrite, option=option)
    request = read_request(job_path, args.allow_outside_paths, base_dir)
    for warning in request.warnings:
        print(f"{PROG}: warning: {job_path.name}: {warning}", file=sys.stderr)
    _load_scene(base_file)
    context = bpy.context
    scene = context.scene
    obj = _find_armature(context, args.armature)
    if args.mapping is not None:
        mapping_store.load_file(obj, args.mapping)
    target = results.read_target(obj, args.root_motion, request, args.ik)
    scene_fps = request_builder.scene_fps(scene)

    def at_scene_rate(motion):  # keys and the BVH both at the scene's frame rate
        return motion if motion.fps == scene_fps else motion.frames_for(motion.duration, scene_fps)

    def convert(motion):
        return results.to_channels(target, at_scene_rate(motion))

    runtime = {"provider": args.provider, "threads": args.threads,
               "model_dir": str(args.model_dir) if args.model_dir else None}  # fmt: skip
    stop.check()
    stop.job = generation.GenerationJob([request], convert, runtime)
    job = stop.job.run()
    stop.job = None
    stop.check()
    if job.error:
        raise errors.MotionComposerError(job.error)
    placement = "NLA" if args.nla else "ASSIGN"
    results.apply_results(context, obj, job.results, frame_start=scene.frame_start, placement=placement,
                          root_motion=args.root_motion)  # fmt: skip
    frames = job.results[0].channels.num_frames
    scene.frame_end = max(scene.frame_end, scene.frame_start + frames - 1)
    # absolute temporary paths (write_atomic): Blender 4.x resolves relative ones against $PWD, not the cwd
    output.write_atomic(outputs.blend, lambda tmp: bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True,
                        check_existing=False), overwrite=args.overwrite, backup=True, option="--output")  # fmt: skip
    if outputs.bvh is not None:
        bvh.write_bvh(outputs.bvh, at_scene_rate(job.results[0].motion), overwrite=args.overwrite)  # atomic itself
    if outputs.fbx is not None:
        output.write_atomic(outputs.fbx, lambda tmp: export_fbx(context, obj, tmp, args.fbx_deform_only),
                            overwrite=args.overwrite, option="--fbx")  # fmt: skip


def read_request(job_path: Path, allow_outside_paths: bool, base_dir: Path | None = None):
    """The job file read within the limits (engine.io.json_input); its pose files stay in its folder (or
    `base_dir`) unless allowed."""
    data = json_input.read_json_file(job_path, "job file")
    return rq.GenerationRequest.from_dict(data, base_dir=base_dir or job_path.parent,
                                          allow_outside_paths=allow_outside_paths)  # fmt: skip


def _load_context(base_file: Path | None):
    _load_scene(base_file)
    return bpy.context


def _load_scene(base_file: Path | None) -> None:
    if base_file is None:
        bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
        return
    if not base_file.is_file():
        raise errors.RequestError(f"scene file {base_file} does not exist")
    try:
        bpy.ops.wm.open_mainfile(filepath=str(base_file.absolute()), load_ui=False)  # absolute: see _atomic
    except RuntimeError as exc:
        raise errors.RequestError(f"cannot open scene {base_file}: {str(exc).strip().splitlines()[-1]}") from None


def _find_armature(context, name: str | None):
    armatures = [o for o in context.scene.objects if o.type == "ARMATURE"]
    if name:
        obj = context.scene.objects.get(name)
        if obj is None or obj.type != "ARMATURE":
            known = ", ".join(o.name for o in armatures) or "none"
            raise errors.RequestError(f"no armature named {name!r} in the scene (armatures: {known})")
        return obj
    if len(armatures) == 1:
        return armatures[0]
    if len(armatures) > 1:
        names = ", ".join(sorted(o.name for o in armatures))
        raise errors.RequestError(f"the scene has {len(armatures)} armatures ({names}): choose one with --armature")
    return canonical_armature.add_canonical_armature(context)


if __name__ == "__main__":
    sys.exit(main())
