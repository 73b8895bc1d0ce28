"""Write a Motion in the format its file name asks for (.bvh or SMPL-style .npz), atomically.

One writer for the CLI and the cast output, so both follow the same suffix and overwrite rules.
"""

from __future__ import annotations

from pathlib import Path

from ..motion import Motion
from .bvh import write_bvh
from .smpl import write_smpl_npz


def write_motion(motion: Motion, path: Path, overwrite: bool = False) -> None:
    """Write atomically in the requested format: .bvh, otherwise .npz."""
    if path.suffix.lower() == ".bvh":
        write_bvh(path, motion, overwrite=overwrite)
    else:
        write_smpl_npz(path, motion, overwrite=overwrite)
