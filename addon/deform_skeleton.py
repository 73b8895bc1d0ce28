"""A deform-only copy of a control rig, for game engines: one root, each deform bone under the deform bone that holds it.

Rigify-style rigs hang their deform bones from control and mechanism bones
(DEF-thigh.L's parent is ORG-spine, DEF-upper_arm.L's is ORG-shoulder.L).
Dropping the non-deform bones, as the FBX exporter's "deform only" does,
leaves such a skeleton in pieces (several roots, legs under the control
torso), which a game engine cannot use and no retargeter can map. This
module gives each deform bone its nearest deform ancestor; where the rig has
none, the deform bone that sits where a non-deform ancestor sits (same head,
preferring the same base name: ORG-spine -> DEF-spine), found walking up.
`baked_deform_copy` builds that armature, has every bone copy its twin's
world transform, and bakes it: the baked copy moves exactly as the rig's
deform bones do.
"""

from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np

SAME_PLACE = 1e-4  # armature units: heads closer than this are the same joint


@dataclass(frozen=True)
class RestBone:
    name: str
    parent: str | None
    head: tuple[float, float, float]
    deform: bool


def base_name(name: str) -> str:
    """The name without a rig prefix such as DEF-, ORG- or MCH- (what ties a deform bone to its control twin)."""
    prefix, sep, rest = name.partition("-")
    return rest if sep and prefix.isupper() else name


def deform_parents(bones: list[RestBone]) -> dict[str, str | None]:
    """New parent of every deform bone (None for the one root); other bones are dropped."""
    by_name = {b.name: b for b in bones}
    deform = [b for b in bones if b.deform]
    children: dict[str | None, list[str]] = {}
    for d in deform:
        children.setdefault(d.parent, []).append(d.name)
    parents = {bone.name: _holder(bone, by_name, deform, _descendants(bone.name, children)) for bone in deform}
    for name in parents:  # a loop (not seen on real rigs) is cut where it closes
        top, looped = _walk_up(name, parents)
        if looped:
            parents[top] = None
    roots = [n for n, p in parents.items() if p is None]
    if len(roots) > 1:  # what no ancestor ties in goes under the root with the most bones below it
        main = max(roots, key=lambda r: sum(_walk_up(n, parents)[0] == r for n in parents))
        parents.update({r: main for r in roots if r != main})
    return parents


def _holder(bone: RestBone, by_name: dict[str, RestBone], deform: list[RestBone], below: set[str]) -> str | None:
    parent = by_name[bone.parent] if bone.parent else None
    while parent is not None:
        if parent.deform:
            return parent.name
        twins = [
            d for d in deform if d.name not in below and np.linalg.norm(np.subtract(d.head, parent.head)) < SAME_PLACE
        ]
        if twins:
            return min(twins, key=lambda d: (base_name(d.name) != base_name(parent.name), d.name)).name
        parent = by_name[parent.parent] if parent.parent else None
    return None


def _descendants(name: str, children: dict[str | None, list[str]]) -> set[str]:
    """The bone and every deform bone below it through deform bones (a holder among them would make a loop)."""
    out, todo = {name}, [name]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _walk_up(name: str, parents: dict[str, str | None]) -> tuple[str, bool]:
    """The topmost bone above `name` under `parents`, and whether the walk closed a loop (then: where)."""
    seen = set()
    while parents.get(name) is not None and name not in seen:
        seen.add(name)
        name = parents[name]
    return name, name in seen


def needs_rebuild(obj) -> bool:
    """Whether dropping the non-deform bones would break the rig's deform hierarchy."""
    deform = [b for b in obj.data.bones if b.use_deform]
    return sum(b.parent is None or not b.parent.use_deform for b in deform) > 1


def rest_bones(obj) -> list[RestBone]:
    return [RestBone(b.name, b.parent.name if b.parent else None, tuple(b.head_local), b.use_deform)
            for b in obj.data.bones]  # fmt: skip


def baked_deform_copy(context, obj, frame_start: int, frame_end: int):
    """A new armature object holding only `obj`'s deform bones, re-parented, with `obj`'s motion baked on it.

    The caller removes it (and its data and action) with `remove_copy`.
    """
    parents = deform_parents(rest_bones(obj))
    data = bpy.data.armatures.new(f"{obj.data.name}_deform")
    copy = bpy.data.objects.new(f"{obj.name}_deform", data)
    context.scene.collection.objects.link(copy)
    copy.matrix_world = obj.matrix_world.copy()
    for other in context.selected_objects:
        other.select_set(False)
    copy.select_set(True)
    context.view_layer.objects.active = copy
    bpy.ops.object.mode_set(mode="EDIT")
    for name in parents:
        src = obj.data.bones[name]
        eb = data.edit_bones.new(name)
        eb.head, eb.tail = src.head_local, src.tail_local
        eb.matrix = src.matrix_local.copy()
        eb.use_deform = True
    for name, parent in parents.items():
        if parent is not None:
            data.edit_bones[name].parent = data.edit_bones[parent]
    bpy.ops.object.mode_set(mode="POSE")
    for pb in copy.pose.bones:
        con = pb.constraints.new("COPY_TRANSFORMS")
        con.target, con.subtarget = obj, pb.name
    bpy.ops.nla.bake(frame_start=frame_start, frame_end=frame_end, only_selected=False, visual_keying=True,
                     clear_constraints=True, use_current_action=False, bake_types={"POSE"})  # fmt: skip
    bpy.ops.object.mode_set(mode="OBJECT")
    return copy


def remove_copy(copy) -> None:
    action = copy.animation_data.action if copy.animation_data else None
    data = copy.data
    bpy.data.objects.remove(copy)
    bpy.data.armatures.remove(data)
    if action is not None and action.users == 0:
        bpy.data.actions.remove(action)
