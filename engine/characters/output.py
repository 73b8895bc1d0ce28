"""One file per character in one folder, plus cast.json with every character's provenance and residuals.

All files share the engine world frame, so importing them together puts
the characters where the job placed them. Existing files are replaced only
with --overwrite (engine.io.output rules): the folder is checked before
anything is generated, and each file is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import RequestError
from ..io.motion_file import write_motion
from ..io.output import OVERWRITE_HINT, check_output_path, write_atomic
from ..motion import Motion

FORMATS = ("bvh", "npz")
MANIFEST = "cast.json"


def output_paths(folder: Path, names: list[str], fmt: str) -> dict[str, Path]:
    if fmt not in FORMATS:
        raise RequestError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    return {n: folder / f"{n}.{fmt}" for n in names}


def check_cast_output(folder: Path, names: list[str], fmt: str, overwrite: bool = False) -> dict[str, Path]:
    """The paths to write, or an error before anything runs (bad folder, files there without --overwrite)."""
    if folder.suffix.lower() in (".bvh", ".npz"):
        raise RequestError(f"--out {folder}: a job with characters writes one file per character; "
                           "give a folder (e.g. --out shots/handshake/)")  # fmt: skip
    if folder.exists() and not folder.is_dir():
        raise RequestError(f"--out {folder} is a file; give a folder for the characters' files")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not folder.exists() and not parent.is_dir():
        raise RequestError(f"--out {folder}: folder {parent} does not exist; create it first")
    paths = output_paths(folder, names, fmt)
    taken = [p.name for p in [*paths.values(), folder / MANIFEST] if p.exists()]
    if taken and not overwrite:
        shown = ", ".join(taken[:4]) + (f" and {len(taken) - 4} more" if len(taken) > 4 else "")
        raise RequestError(f"--out {folder}: {shown} already exist; {OVERWRITE_HINT}")
    for path in [*paths.values(), folder / MANIFEST] if folder.exists() else []:
        check_output_path(path, overwrite=overwrite, option="--out")
    return paths


def write_cast(motions: dict[str, Motion], folder: Path, fmt: str, overwrite: bool = False) -> list[Path]:
    """Write every character (and cast.json) into `folder`, creating it if needed."""
    folder.mkdir(exist_ok=True)
    written = []
    for name, path in output_paths(folder, list(motions), fmt).items():
        write_motion(motions[name], path, overwrite)
        written.append(path)
    manifest = {"characters": {n: {"file": p.name, **_jsonable(motions[n].metadata)} for n, p in
                               zip(motions, written, strict=True)}}  # fmt: skip
    text = json.dumps(manifest, indent=1)
    write_atomic(folder / MANIFEST, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
    return written + [folder / MANIFEST]


def _jsonable(meta: dict) -> dict:
    return json.loads(json.dumps({k: v for k, v in meta.items() if k != "cast"}, default=_plain))


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
