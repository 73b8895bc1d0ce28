"""Files that a job file names (pose files): where they may be.

A job file shared between studios must not be able to read the rest of the
machine, so a referenced file must resolve (symlinks followed) to a place
inside the job's own folder, unless the user allows other places
(`--allow-outside-paths`). Requests without a job file (the panel, the API)
have no folder and no such restriction: their user picked the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import MotionComposerError, RequestError

ALLOW_FLAG = "--allow-outside-paths"


def resolve_referenced(name: object, base_dir: str | os.PathLike | None, *, allow_outside: bool = False,
                       what: str = "file", error: type[MotionComposerError] = RequestError) -> Path:  # fmt: skip
    """The path of a file a job names, relative to the job's folder; outside it only when allowed."""
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        raise error(f"{what} must be a file name (got {name!r})")
    path = Path(name)
    if base_dir is None:
        return path
    try:
        base = Path(base_dir).resolve()
        full = (base / path).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # symlink loops, names the system refuses
        raise error(f"{what} {name!r} cannot be resolved ({exc})") from None
    if not allow_outside and not full.is_relative_to(base):
        raise error(f"{what} {name!r} is outside the job's folder {base}; copy it into that folder "
                    f"(or allow other places with {ALLOW_FLAG})")  # fmt: skip
    return full
