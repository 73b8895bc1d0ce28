"""Read a Blender armature into the engine's TargetSkeleton (rest data only, no edit mode).

Reads `bones[].matrix_local` (armature space, so the object's own rotation and
scale do not matter: they are kept separately as `object_matrix`), so it works
on rigs in any mode and on linked data.
"""

from __future__ import annotations

import numpy as np

from .engine_link import errors, target


def read_armature(armature_obj, *, for_writing: bool = True):
    """TargetSkeleton of `armature_obj`; RetargetError for non-armatures, empty or (when writing) linked ones."""
    if armature_obj is None or getattr(armature_obj, "type", None) != "ARMATURE":
        name = getattr(armature_obj, "name", None)
        raise errors.RetargetError(f"{name!r} is not an armature; choose the character's armature as the target")
    if for_writing:
        check_writable(armature_obj)
    bones = armature_obj.data.bones
    n = len(bones)
    if n == 0:
        raise errors.RetargetError(
            f"armature {armature_obj.name!r} has no bones; pick an armature with a humanoid skeleton"
        )
    flat = np.empty(n * 16, dtype=np.float32)
    bones.foreach_get("matrix_local", flat)
    rest = flat.reshape(n, 4, 4).transpose(0, 2, 1).astype(np.float64)  # Blender stores columns
    lengths = np.empty(n, dtype=np.float32)
    bones.foreach_get("length", lengths)
    inherit = np.empty(n, dtype=bool)
    bones.foreach_get("use_inherit_rotation", inherit)
    connected = np.empty(n, dtype=bool)
    bones.foreach_get("use_connect", connected)
    local_location = np.empty(n, dtype=bool)
    bones.foreach_get("use_local_location", local_location)
    index = {b.name: i for i, b in enumerate(bones)}
    parents = tuple(index[b.parent.name] if b.parent is not None else -1 for b in bones)
    copy_of = _copied_bones(armature_obj, index)
    return target.TargetSkeleton(
        names=tuple(index),
        parents=parents,
        rest=rest,
        lengths=lengths.astype(np.float64),
        object_matrix=np.array(armature_obj.matrix_world, dtype=np.float64),
        inherit_rotation=tuple(bool(x) for x in inherit),
        name=armature_obj.name,
        copy_of=copy_of,
        connected=tuple(bool(x) for x in connected),
        local_location=tuple(bool(x) for x in local_location),
        custom_properties={pb.name: tuple(pb.keys()) for pb in armature_obj.pose.bones if pb.keys()},
    )


def _copied_bones(armature_obj, index: dict[str, int]) -> tuple[int, ...]:
    """Per bone, the bone it copies whole through a Copy Transforms constraint (-1 for none).

    Only constraints that certainly win are used: enabled, full influence not
    driven by a switch, world space to world space, targeting this armature.
    Control rigs (Rigify) parent FK controls under such bones.
    """
    copy_of = [-1] * len(index)
    anim = armature_obj.animation_data
    driven = {fc.data_path for fc in anim.drivers} if anim is not None else set()
    for pb in armature_obj.pose.bones:
        for con in pb.constraints:
            if (
                con.type == "COPY_TRANSFORMS"
                and con.enabled
                and con.influence >= 0.999
                and con.target == armature_obj
                and con.subtarget in index
                and con.owner_space == "WORLD"
                and con.target_space == "WORLD"
                and con.head_tail == 0.0
                and f'pose.bones["{pb.name}"].constraints["{con.name}"].influence' not in driven
            ):
                copy_of[index[pb.name]] = index[con.subtarget]
    return tuple(copy_of)


def check_writable(armature_obj) -> None:
    """RetargetError unless keys can be written on this object (linked objects cannot be animated)."""
    lib = getattr(armature_obj, "library", None)
    if lib is not None:
        raise errors.RetargetError(
            f"armature {armature_obj.name!r} is linked from {lib.filepath!r} and cannot be animated here; "
            "make a library override first (Object > Library Override > Make)"
        )
    if not getattr(armature_obj, "is_editable", True):
        raise errors.RetargetError(
            f"armature {armature_obj.name!r} cannot be edited (a system library override?); make it editable first"
        )
