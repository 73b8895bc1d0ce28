"""The batch's output folder: checked before any work, written only atomically, never half a file.

Every file goes to a hidden temporary beside its target and is renamed over
it once complete (fsynced), so a crash, Ctrl-C or full disk leaves either
the old state or the whole new file. A disk that cannot take writes stops
the batch with OutputError (what is written so far stays valid).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from ..errors import MotionComposerError

DISK_ERRORS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
               errno.EROFS: "the disk is read-only", errno.EACCES: "permission denied",
               errno.EPERM: "permission denied"}  # fmt: skip


class OutputError(MotionComposerError):
    """The output folder cannot be written (missing parent, read-only, full): the batch cannot go on."""


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


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all; OutputError when the disk refuses."""
    fd, tmp = -1, None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            fd = -1
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {describe(exc)}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def describe(exc: OSError) -> str:
    return DISK_ERRORS.get(exc.errno, exc.strerror or str(exc))
