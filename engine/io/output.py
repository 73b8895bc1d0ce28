"""Writing output files without ever losing a user's file.

Every output (BVH, npz, .blend, FBX) goes through `write_atomic`: the writer
fills a temporary file beside the target, which is synced and then linked or
renamed into place, so a crash or a kill leaves either the old file or the
new one, never part of one. An existing file is replaced only when the caller
passes `overwrite=True` (the `--overwrite` flags); a read-only file never is;
a replaced .blend keeps the old one as .blend1, Blender's own backup name.
Temporary files left by a killed process are removed by the next write.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

from ..errors import OutputError

OVERWRITE_HINT = "pass --overwrite to replace it, or choose another name"


def _temp_name(path: Path) -> Path:
    # keeps the suffix: np.savez and Blender add or expect their own
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp{path.suffix}")


def _remove_stale_temps(path: Path) -> None:
    """Temporary files of `path` whose writing process no longer exists (killed mid-write)."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp{path.suffix}*"):  # '*': Blender's own 'x.blend@' too
        pid = tmp.name[len(path.name) + 2 :].partition("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        except (PermissionError, OverflowError, OSError):
            continue


def is_read_only(path: Path) -> bool:
    """Read-only for the user, by mode bits or access (root passes os.access on any file)."""
    mode = path.stat().st_mode
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def check_output_path(path: str | os.PathLike, *, overwrite: bool, option: str = "output") -> Path:
    """Refuse, before any work is done, an output that could not be written without losing data."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{option} {path} is a folder; give a file name inside it")
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise OutputError(f"{option} {path} exists and is not a regular file; choose another name")
        if is_read_only(path):
            raise OutputError(f"{option} {path} is read-only and is never replaced; choose another name")
        if not overwrite:
            raise OutputError(f"{option} {path} exists; {OVERWRITE_HINT}")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{option} {path}: folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {path}: folder {folder} is not writable")
    return path


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_backup(path: Path) -> None:
    """Old path -> path + '1' (a.blend -> a.blend1) while path itself stays in place until replaced."""
    backup = path.with_name(path.name + "1")
    staged = _temp_name(backup)
    try:
        os.link(path, staged)
    except OSError:  # file systems without hard links
        shutil.copy2(path, staged)
    os.replace(staged, backup)


def _publish(tmp: Path, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if the file appeared meanwhile: never replaces
    except FileExistsError:
        raise OutputError(f"{path} exists; {OVERWRITE_HINT}") from None
    except OSError:  # file systems without hard links
        if path.exists():
            raise OutputError(f"{path} exists; {OVERWRITE_HINT}") from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None], *, overwrite: bool = False,
                 backup: bool = False, option: str = "output") -> Path:  # fmt: skip
    """Call `write(tmp)` to fill a temporary file, then put it at `path` whole (see the module docstring).

    `backup` keeps a replaced file as `<name>1` (Blender's .blend1 convention).
    """
    path = check_output_path(Path(path).absolute(), overwrite=overwrite, option=option)
    _remove_stale_temps(path)
    tmp = _temp_name(path)
    try:
        write(tmp)
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise OutputError(f"writing {path} failed (see the messages above); nothing was replaced")
        old = path.stat() if path.exists() else None
        os.chmod(tmp, stat.S_IMODE(old.st_mode) if old else 0o644)
        _sync(tmp)
        if old is not None:
            if is_read_only(path):  # changed while we worked
                raise OutputError(f"{option} {path} is read-only and is never replaced; choose another name")
            if backup:
                _keep_backup(path)
        _publish(tmp, path, overwrite)
        with contextlib.suppress(OSError):
            _sync(path.parent)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path
