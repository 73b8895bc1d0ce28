"""Bone mapping presets as JSON files: map one character, reuse the mapping for a whole library.

A file holds one BoneMapping (mapping.to_dict) under a format tag. Loading
fits it to a rig: each bone name is matched exactly, else after dropping a
namespace and letter case (so a preset made on `mixamorig:Hips` fits
`mixamorig1:Hips`), and the result must pass the mapping's own checks on
that rig. Files are written whole or not at all and never replace a file
unless asked.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from ..errors import RetargetError
from ..io.output import write_atomic
from .automap import normalise
from .mapping import BoneMapping, IkControls
from .target import TargetSkeleton

FORMAT = "motion_composer.bone_mapping"
#: larger files are not mappings
MAX_BYTES = 1_000_000


def write_mapping_file(path: str | os.PathLike, mapping: BoneMapping, *, overwrite: bool = False) -> Path:
    """Write `mapping` as a preset file; OutputError when `path` exists and `overwrite` is off."""
    data = {"format": FORMAT, **mapping.to_dict()}
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite,
                        option="mapping file")  # fmt: skip


def read_mapping_file(path: str | os.PathLike) -> BoneMapping:
    """The mapping stored in a preset file; RetargetError (one line) when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise RetargetError(f"mapping file {str(path)!r} does not exist; choose a .json file saved as a bone mapping")
    if path.stat().st_size > MAX_BYTES:
        raise RetargetError(f"mapping file {str(path)!r} is larger than {MAX_BYTES // 1000} kB; it is not a mapping")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RetargetError(f"mapping file {str(path)!r} is not valid JSON ({exc}); save the mapping again") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RetargetError(f'{str(path)!r} is not a Motion Composer bone mapping (no "format": "{FORMAT}")')
    return BoneMapping.from_dict(data)


def fit_mapping(mapping: BoneMapping, target: TargetSkeleton) -> BoneMapping:
    """`mapping` with its bone names matched to `target`'s bones; RetargetError naming those it lacks."""
    by_norm: dict[str, str] = {}
    for name in target.names:
        by_norm.setdefault(normalise(name), name)
    missing: list[str] = []

    def bone(name: str) -> str:
        if target.has(name):
            return name
        found = by_norm.get(normalise(name))
        if found is None:
            missing.append(name)
            return name
        return found

    def table(d: dict[str, str]) -> dict[str, str]:
        return {k: bone(v) for k, v in d.items()}

    fitted = dataclasses.replace(
        mapping,
        joints=table(mapping.joints),
        references=table(mapping.references),
        readers=table(mapping.readers),
        root_bone=bone(mapping.root_bone) if mapping.root_bone else None,
        properties={bone(b): dict(p) for b, p in mapping.properties.items()},
        ik={
            limb: IkControls(
                bone(c.control),
                bone(c.pole) if c.pole else None,
                table(c.follow),
                {bone(b): dict(p) for b, p in c.properties.items()},
                tuple(map(bone, c.rest)),
            )  # fmt: skip
            for limb, c in mapping.ik.items()
        },
        sources=dict.fromkeys(mapping.joints, "file"),
    )
    if missing:
        names = list(dict.fromkeys(missing))
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        raise RetargetError(
            f"the mapping file names bones that armature {target.name!r} does not have: "
            f"{', '.join(map(repr, names[:5]))}{more}; it was made for a rig with other bone names"
        )
    fitted.validate(target)
    return fitted
