"""Reading JSON that a user (or a shared job file) supplies, within the stated limits.

`read_json_file` opens regular files only (a FIFO, /dev/zero or a folder is an
error, never a hang), reads at most the size limit, rejects nesting deeper than
the depth limit before parsing (so the parser cannot recurse out of the stack)
and numbers that are too long, too large or not finite (so no OverflowError or
huge-integer conversion later). Every failure is the caller's error type with
one line that names the file.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import MotionComposerError, RequestError
from ..limits import as_int, limit

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN, _CLOSE = b"[{", b"]}"


class _NumberRejected(Exception):
    """Raised from inside the JSON parser's number hooks; turned into the caller's error."""


def open_regular_file(path: str | os.PathLike, what: str, max_bytes: int, error=RequestError) -> BinaryIO:
    """Open a regular file no larger than `max_bytes` for binary reading; anything else raises `error`.

    Opened non-blocking and checked on the open descriptor, so a FIFO or a device
    is refused at once instead of blocking or streaming forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise error(f"cannot open {what} {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"{what} {path} is a folder; give a file")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{what} {path} is not a regular file (a device, pipe or socket); give a file saved on disk")
        raise error(f"{what} {path} is {info.st_size:,} bytes, more than the limit of {max_bytes:,}")
    return os.fdopen(fd, "rb")


def read_regular_file(path: str | os.PathLike, what: str, max_bytes: int, error=RequestError) -> bytes:
    """The bytes of a regular file no larger than `max_bytes` (see open_regular_file)."""
    with open_regular_file(path, what, max_bytes, error) as f:
        try:
            data = f.read(max_bytes + 1)
        except OSError as exc:
            raise error(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(data) > max_bytes:  # grew while we read it
        raise error(f"{what} {path} is more than the limit of {max_bytes:,} bytes")
    return data


def nesting_depth(text: str) -> int:
    """Deepest nesting of [ and { outside strings (computed without recursion)."""
    code = np.frombuffer(_STRING.sub('""', text).encode("utf-8", "replace"), np.uint8)
    brackets = np.flatnonzero(np.isin(code, np.frombuffer(_OPEN + _CLOSE, np.uint8)))
    if not len(brackets):
        return 0
    steps = np.where(np.isin(code[brackets], np.frombuffer(_OPEN, np.uint8)), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def _number(text: str, convert) -> int | float:
    if len(text) > as_int("json_number_chars"):
        raise _NumberRejected(f"number {text[:20]}... has {len(text)} characters, more than the limit of "
                              f"{as_int('json_number_chars')}")  # fmt: skip
    value = convert(text)
    bound = limit("json_number_magnitude")
    if not abs(value) <= bound:  # also catches inf from '1e999'
        raise _NumberRejected(f"number {text} is beyond the limit of +-{bound:g}")
    return value


def _constant(name: str):
    raise _NumberRejected(f"{name} is not a number JSON allows; use a finite number")


def parse_json_text(text: str, where: str, error: type[MotionComposerError] = RequestError, hint: str = "") -> Any:
    """Parse JSON text within the depth and number limits; `where` names the source in errors, `hint` ends them."""
    end = f"; {hint}" if hint else ""
    depth, max_depth = nesting_depth(text), as_int("json_depth")
    if depth > max_depth:
        raise error(f"{where} nests {depth} levels deep, more than the limit of {max_depth}{end}")
    try:
        return json.loads(text, parse_int=lambda s: _number(s, int), parse_float=lambda s: _number(s, float),
                          parse_constant=_constant)  # fmt: skip
    except json.JSONDecodeError as exc:
        raise error(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}{end}") from None
    except _NumberRejected as exc:
        raise error(f"{where}: {exc}{end}") from None


def read_json_file(path: str | os.PathLike, what: str = "job file", error: type[MotionComposerError] = RequestError,
                   max_bytes: int | None = None, hint: str = "") -> Any:  # fmt: skip
    """Read and parse a user's JSON file within the stated limits (see the module docstring); `hint` ends errors."""
    path = Path(path)
    data = read_regular_file(path, what, max_bytes or as_int("json_file_bytes"), error)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text (byte {exc.start}); {hint or 'save it as UTF-8 JSON'}") from None
    return parse_json_text(text, f"{what} {path}", error, hint)
