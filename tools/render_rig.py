"""Look at motions on a real rig: Cycles renders of a generated Rigify rig with boxes on its deform bones.

    .venv/bin/python tools/render_rig.py --out /tmp/rig                       # the default set below
    .venv/bin/python tools/render_rig.py --out /tmp/rig --sheet docs/images/rig_sheet.png

Each clip is retargeted onto one Rigify rig (the human metarig, generated) the
way the add-on does it (`addon.results`: read_target, to_channels,
write_action), boxes follow its DEF- bones (left side red, right side green,
the rest grey), on a checkered floor (to see a foot slide),
lit by a sun; the camera looks at the pelvis from the character's front
right at every rendered frame. Cycles on the CPU at a low resolution and few
samples: a few seconds a frame. PNGs go to --out (`<clip>_<frame>.png`) and,
with --sheet, a contact sheet: one row per clip, one column per time. For
every clip it also prints how often the rig's own balls of the feet (the
DEF-foot tails, every frame) move faster than 0.3 m/s while within 5 cm of
their lowest: the skating metric's rule, measured on the rig after
retargeting.

The clips: "a person walks forward and turns left" (6 s, seed 0) with the
model's own end and with `"end": "rest"`; "a person waves the right hand"
(5 s, default start and end) beside a real right-hand wave (style
"normal") from the corpus' test split (~/.cache/motion_composer/corpus, its
first 5 s).

`--job FILE` (repeatable) renders a job file instead (a request as the CLI
takes it, e.g. examples/job_constraints.json): its joint targets go to the
rig as the add-on sends them (so the rig's own limbs meet them), each shows
as a yellow ball where the rig's limb should be, and the tool prints how far
the rig's bone for that joint is from it at the target's frame (`TARGET`
lines): a target that misses on a real rig shows there.

Blender work runs in a child process: once Rigify was enabled the bpy module
cannot shut down cleanly (tests/conftest.py says the same), so the child ends
with os._exit.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine import features as feat  # noqa: E402
from engine import generate  # noqa: E402
from engine.eval.clips import DEFAULT_CORPUS, load_split  # noqa: E402
from engine.request import GenerationRequest  # noqa: E402

JOBS = {
    "walk_turn_free": {"text": "a person walks forward and turns left", "seconds": 6.0, "seed": 0, "end": "free"},
    "walk_turn_rest": {"text": "a person walks forward and turns left", "seconds": 6.0, "seed": 0, "end": "rest"},
    "wave_generated": {"text": "a person waves the right hand", "seconds": 5.0, "seed": 0},
}
REAL = {"wave_real": ("wave-right-hand", "normal", 5.0)}  # corpus content and style labels, seconds
FPS = 30.0


def real_clip(content: str, style: str, seconds: float, corpus: Path):
    """The first test clip with those labels (not mirrored), decoded, its first `seconds`, at FPS."""
    split = load_split(corpus, "test")
    k = next(i for i, (c, s) in enumerate(split.pairs) if (c, s) == (content, style) and not split.mirrored[i])
    motion = feat.decode(split.features[k], split.fps)
    return motion.frames_for(min(seconds, motion.duration), FPS), split.clip_ids[k]


def motions(corpus: Path, jobs: dict | None = None) -> dict:
    """The clips to render: the given jobs (name -> request dict) alone, else the default set with the real wave."""
    out = {name: generate(GenerationRequest.from_dict({**job, "fps": FPS})) for name, job in (jobs or JOBS).items()}
    for name, (content, style, seconds) in ({} if jobs else REAL).items():
        out[name], clip_id = real_clip(content, style, seconds, corpus)
        print(f"{name}: corpus clip {clip_id}")
    return out


def read_jobs(paths: list[Path]) -> dict:
    """Job files -> {file stem: request dict at the render's frame rate}."""
    return {p.stem: {**json.loads(p.read_text()), "fps": FPS} for p in paths}


CHILD = r"""
import os, pickle, sys
import bpy
import numpy as np
from mathutils import Vector

spec = pickle.load(open(sys.argv[1], "rb"))
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.preferences.addon_enable(module="rigify")
bpy.ops.object.armature_human_metarig_add()
bpy.ops.pose.rigify_generate()
sys.path.insert(0, spec["root"])
from addon import results  # noqa: E402
from engine.request import GenerationRequest  # noqa: E402
from engine.skeleton import JOINT_NAMES  # noqa: E402

scene = bpy.context.scene
scene.render.fps, scene.render.fps_base = int(spec["fps"]), 1.0
rig = bpy.data.objects["rig"]
bpy.data.objects["metarig"].hide_render = True
for name in ("WGTS_rig",):
    if name in bpy.data.collections:
        bpy.data.collections[name].hide_render = True


def material(name, rgb):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*rgb, 1.0)
    return mat


mats = {"L": material("left", (0.8, 0.1, 0.1)), "R": material("right", (0.1, 0.6, 0.1)),
        "C": material("centre", (0.6, 0.6, 0.6))}
for bone in rig.data.bones:
    if not bone.name.startswith("DEF-") or bone.length < 0.03 or "face" in bone.name:
        continue
    bpy.ops.mesh.primitive_cube_add(size=1.0)
    box = bpy.context.active_object
    width = min(0.07, 0.3 * bone.length)
    box.scale = (width, bone.length, width)
    box.parent, box.parent_type, box.parent_bone = rig, "BONE", bone.name
    box.matrix_parent_inverse.identity()
    box.location = (0.0, -bone.length / 2, 0.0)  # a bone-parented child sits at the bone's tail
    side = "L" if ".L" in bone.name else "R" if ".R" in bone.name else "C"
    box.data.materials.append(mats[side])

bpy.ops.mesh.primitive_plane_add(size=40.0)
floor = bpy.context.active_object
fm = bpy.data.materials.new("floor")
fm.use_nodes = True
nodes, links = fm.node_tree.nodes, fm.node_tree.links
checker = nodes.new("ShaderNodeTexChecker")
checker.inputs["Scale"].default_value = 40.0
checker.inputs["Color1"].default_value = (0.8, 0.8, 0.8, 1)
checker.inputs["Color2"].default_value = (0.45, 0.45, 0.5, 1)
links.new(checker.outputs["Color"], nodes["Principled BSDF"].inputs["Base Color"])
floor.data.materials.append(fm)
bpy.ops.object.light_add(type="SUN", rotation=(0.6, 0.2, 0.8))
bpy.context.active_object.data.energy = 3.0
world = bpy.data.worlds.new("w")
world.color = (0.35, 0.38, 0.42)
scene.world = world
bpy.ops.object.empty_add()
aim = bpy.context.active_object
bpy.ops.object.camera_add()
camera = bpy.context.active_object
camera.data.lens = 40
track = camera.constraints.new("TRACK_TO")
track.target, track.track_axis, track.up_axis = aim, "TRACK_NEGATIVE_Z", "UP_Y"
scene.camera = camera
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = spec["samples"]
scene.cycles.use_denoising = False
scene.render.resolution_x, scene.render.resolution_y = spec["size"]
scene.render.resolution_percentage = 100

ball = material("target", (0.9, 0.8, 0.1))
space = results.engine_space(rig)
mapping = results.current_mapping(rig)
balls = {}  # clip -> its target balls (shown only while that clip renders)
for name, job in spec["jobs"].items():
    for t in GenerationRequest.from_dict(job).constraint_set().joints:
        bpy.ops.mesh.primitive_uv_sphere_add(radius=0.04, location=tuple(space.to_armature(np.asarray(t.position))))
        bpy.context.active_object.data.materials.append(ball)
        balls.setdefault(name, []).append(bpy.context.active_object)

for name, motion in spec["motions"].items():
    job = spec["jobs"].get(name)
    request = GenerationRequest.from_dict(job) if job else GenerationRequest.from_text("render", motion.duration)
    for clip, objs in balls.items():
        for obj in objs:
            obj.hide_render = clip != name
    target = results.read_target(rig, "full", request)
    action = results.write_action(rig, results.to_channels(target, motion), frame_start=1, name=name, properties=None)
    rig.animation_data_create().action = action
    n = motion.num_frames
    feet = []  # the rig's own feet, every frame: does the retargeted motion keep them planted?
    for f in range(1, n + 1):
        scene.frame_set(f)
        feet.append([tuple(rig.matrix_world @ rig.pose.bones[b].tail) for b in ("DEF-foot.L", "DEF-foot.R")])
    feet = np.array(feet)
    low = feet[:, :, 2] < feet[:, :, 2].min(axis=0) + 0.05
    speed = np.linalg.norm(np.diff(feet[:, :, :2], axis=0), axis=-1) * spec["fps"]
    grounded = low[1:] & low[:-1]
    print(f"FEET {name}: balls of the feet low on {int(grounded.sum())} steps, {int((grounded & (speed > 0.3)).sum())} "
          f"of them sliding faster than 0.3 m/s (frames {np.flatnonzero((grounded & (speed > 0.3)).any(axis=1)).tolist()}); "
          f"lowest {feet[:, :, 2].min():.3f} m", flush=True)
    target_frames = [min(int(round(t.start * spec["fps"])) + 1, n) for t in target.joint_targets]
    for t, f in zip(target.joint_targets, target_frames):
        joint = JOINT_NAMES[t.joint]
        scene.frame_set(f)
        have = np.array(rig.matrix_world @ rig.pose.bones[mapping.reference(joint)].head)
        off = have - space.to_armature(np.asarray(t.position))
        print(f"TARGET {name}: {joint} at {t.start:g} s (frame {f}): the rig's bone is {100 * np.linalg.norm(off):.1f} "
              f"cm from it ({100 * off[2]:+.1f} cm up)", flush=True)
    shown = np.linspace(1, n, spec["frames"]).round().astype(int)
    for f in target_frames:  # each target's frame replaces the nearest evenly spaced one
        shown[np.argmin(np.abs(shown - f))] = f
    for k, f in enumerate(shown):
        scene.frame_set(int(f))
        hips = rig.matrix_world @ rig.pose.bones["DEF-spine"].head
        yaw = spec["yaw"][name][int(f) - 1]  # the character's heading: the camera stays at its front right
        ahead, left = Vector((np.sin(yaw), -np.cos(yaw), 0.0)), Vector((np.cos(yaw), np.sin(yaw), 0.0))  # yaw 0: -Y
        aim.location = Vector((hips.x, hips.y, 0.95))
        camera.location = aim.location + 4.0 * ahead - 2.6 * left + Vector((0.0, 0.0, 0.2))
        scene.render.filepath = os.path.join(spec["out"], f"{name}_{k}.png")
        bpy.ops.render.render(write_still=True)
    print("RENDERED", name, flush=True)
sys.stdout.flush()
os._exit(0)
"""


def render(clips: dict, out: Path, size: tuple[int, int], samples: int, frames: int, jobs: dict | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    yaw = {name: feat.heading(m.rotations[:, 0]) for name, m in clips.items()}
    spec = {"motions": clips, "out": str(out), "size": size, "samples": samples, "frames": frames, "fps": FPS,
            "yaw": yaw, "jobs": jobs or {}, "root": str(Path(__file__).resolve().parent.parent)}  # fmt: skip
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
        pickle.dump(spec, f)
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD, f.name], capture_output=True, text=True, timeout=3600)
    finally:
        os.unlink(f.name)
    for line in proc.stdout.splitlines():
        if line.startswith(("FEET", "TARGET")):
            print(line.split(" ", 1)[1])
    done = [line for line in proc.stdout.splitlines() if line.startswith("RENDERED")]
    if len(done) != len(clips):
        sys.exit(
            f"render_rig: the Blender child stopped ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}"
        )


def contact_sheet(out: Path, names: list[str], frames: int, sheet: Path, scale: float = 0.5) -> None:
    from PIL import Image, ImageDraw

    tiles = [[Image.open(out / f"{n}_{k}.png").convert("RGB") for k in range(frames)] for n in names]
    w, h = (int(round(s * scale)) for s in tiles[0][0].size)
    label = 14
    img = Image.new("RGB", (w * frames, (h + label) * len(names)), "white")
    draw = ImageDraw.Draw(img)
    for r, (name, row) in enumerate(zip(names, tiles, strict=True)):
        draw.text((4, r * (h + label) + 1), name, fill="black")
        for c, tile in enumerate(row):
            img.paste(tile.resize((w, h)), (c * w, r * (h + label) + label))
    sheet.parent.mkdir(parents=True, exist_ok=True)
    img.quantize(colors=96).save(sheet, optimize=True)
    print(f"wrote {sheet} ({sheet.stat().st_size // 1024} KB)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the rendered frames")
    ap.add_argument("--sheet", type=Path, default=None, help="also write a contact sheet here")
    ap.add_argument("--size", type=int, nargs=2, default=(320, 240))
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--frames", type=int, default=6, help="frames per clip, evenly spaced")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--job", type=Path, action="append", default=[], help="render this job file (repeatable)")
    args = ap.parse_args(argv)
    jobs = read_jobs(args.job)
    clips = motions(args.corpus, jobs)
    render(clips, args.out, tuple(args.size), args.samples, args.frames, jobs)
    if args.sheet is not None:
        contact_sheet(args.out, list(clips), args.frames, args.sheet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
