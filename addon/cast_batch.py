"""Batch generation of a cast job: every character onto its own armature, one .blend (and a BVH per character).

Called by addon.batch for job files with `characters`; `--armature` maps
characters to armatures by name (`ana=RigA,ben=RigB`); a character without a
mapping takes the armature of its own name, else a new canonical armature
named after it. `--bvh` and `--fbx` are then folders that get one <name>.bvh /
<name>.fbx each.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bpy

from . import cast_results, generation, request_builder
from .engine_link import bvh, characters, errors, json_input, output, referenced
from .fbx_export import export_fbx


def read_job(path: Path, allow_outside: bool = False):
    """The job file read within the limits (engine.io.json_input), pose files confined to its folder unless allowed."""
    data = json_input.read_json_file(path, "job file")
    return referenced.allow_outside_paths(data) if allow_outside else data


def is_cast_job(path: Path) -> bool:
    return characters.is_cast(read_job(path))


def run_cast_job(job_path: Path, outputs, args, *, context_after_load, prog: str, stop=None) -> None:
    """Generate the cast onto the scene that `context_after_load()` opens and returns, then write the outputs.

    `stop` (addon.batch.StopRequest) cancels the generation on Ctrl-C and writes nothing after it."""
    cast = characters.parse_cast(read_job(job_path, args.allow_outside_paths), base_dir=job_path.parent)
    for warning in cast.all_warnings:
        print(f"{prog}: warning: {job_path.name}: {warning}", file=sys.stderr)
    if outputs.bvh is not None and outputs.bvh.suffix.lower() == ".bvh":
        raise errors.RequestError(f"--bvh {outputs.bvh}: a job with characters writes one BVH per character; "
                                  "give a folder")  # fmt: skip
    if outputs.fbx is not None and outputs.fbx.suffix.lower() == ".fbx":
        raise errors.RequestError(f"--fbx {outputs.fbx}: a job with characters writes one FBX per character "
                                  "(<name>.fbx); give a folder")  # fmt: skip
    outputs.blend.parent.mkdir(parents=True, exist_ok=True)
    output.check_output_path(outputs.blend, overwrite=args.overwrite, option="--output")
    per_character = [(folder, suffix, option) for folder, suffix, option in
                     ((outputs.bvh, "bvh", "--bvh"), (outputs.fbx, "fbx", "--fbx")) if folder is not None]  # fmt: skip
    for folder, suffix, option in per_character:  # refused before any work: nothing is half written
        folder.mkdir(parents=True, exist_ok=True)
        for name in cast.names:
            output.check_output_path(folder / f"{name}.{suffix}", overwrite=args.overwrite, option=option)
    mapping = cast_results.parse_mapping(args.armature)
    context = context_after_load()
    scene = context.scene
    armatures = cast_results.armatures_for(context, cast, mapping)
    targets = cast_results.read_targets(armatures, args.root_motion)
    runtime = {"provider": args.provider, "threads": args.threads,
               "model_dir": str(args.model_dir) if args.model_dir else None}  # fmt: skip
    fps = request_builder.scene_fps(scene)
    job = generation.GenerationJob([cast], cast_results.converter(targets, fps), runtime,
                                   generate=cast_results.generate_motions)  # fmt: skip
    if stop is not None:
        stop.check()
        stop.job = job
    job.run()
    if stop is not None:
        stop.job = None
        stop.check()
    if job.error:
        raise errors.MotionComposerError(job.error)
    placement = "NLA" if args.nla else "ASSIGN"
    cast_results.apply_cast(context, targets, job.results[0], frame_start=scene.frame_start, placement=placement,
                            root_motion=args.root_motion)  # fmt: skip
    frames = next(iter(job.results[0].channels.values())).num_frames
    scene.frame_end = max(scene.frame_end, scene.frame_start + frames - 1)
    # absolute temporary paths (write_atomic): Blender 4.x resolves relative ones against $PWD, not the cwd
    output.write_atomic(outputs.blend, lambda tmp: bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True,
                         check_existing=False), overwrite=args.overwrite, backup=True, option="--output")  # fmt: skip
    if outputs.bvh is not None:
        write_bvh = bvh.write_bvh
        for name, motion in job.results[0].motion.items():
            write_bvh(outputs.bvh / f"{name}.bvh", motion, overwrite=args.overwrite)  # atomic itself
    if outputs.fbx is not None:
        for name, obj in armatures.items():
            output.write_atomic(outputs.fbx / f"{name}.fbx",
                                lambda tmp, obj=obj: export_fbx(context, obj, tmp, args.fbx_deform_only),
                                overwrite=args.overwrite, option="--fbx")  # fmt: skip
