"""The batch's output folder: checked before any work, written only atomically, never half a file.

Files go through engine.io.output.write_atomic (a temporary beside the
target, synced, then put in place), so a crash, Ctrl-C or full disk leaves
either the old state or the whole new file. A disk that cannot take writes
stops the batch with OutputError; what is written so far stays valid.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from ..errors import OutputError
from ..io import output

DISK_ERRORS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
               errno.EROFS: "the disk is read-only", errno.EACCES: "permission denied",
               errno.EPERM: "permission denied"}  # fmt: skip


def check_output_folder(out: Path) -> None:
    """Fail early, writing nothing, when `out` (or the folder that would hold it) cannot take files."""
    folder = out
    while not folder.exists():
        if folder.parent == folder:
            break
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"--out {out}: {folder} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".mc-batch-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(
            f"--out {out}: cannot write in {folder} ({describe(exc)}); choose a writable folder"
        ) from None


def write_bytes(path: Path, data: bytes, *, overwrite: bool) -> None:
    """`data` at `path`, whole or not at all; OutputError when the disk refuses or the file exists unasked."""
    try:
        output.write_atomic(path, lambda tmp: tmp.write_bytes(data), overwrite=overwrite)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {describe(exc)}") from None


def describe(exc: OSError) -> str:
    return DISK_ERRORS.get(exc.errno, exc.strerror or str(exc))
