"""What a command line does when something fails: one line for the user, the traceback in a log file.

The project's own errors (engine.errors) are the user's to fix and print as
they are. Anything else is a bug or an exhausted resource (RecursionError,
MemoryError): the user gets one line naming the log file that holds the
traceback, to attach to a report. Both `python -m engine` and the Blender
batch runner use `run_guarded`; the batch runner uses `describe_failure` per
job so that one job's failure never stops the others.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from .errors import MotionComposerError

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130
LOG_DIR_VARIABLE = "MOTION_COMPOSER_LOG_DIR"


def log_dir() -> Path:
    """$MOTION_COMPOSER_LOG_DIR, else ~/.cache/motion_composer/logs (the system's temp folder if that fails)."""
    if os.environ.get(LOG_DIR_VARIABLE):
        return Path(os.environ[LOG_DIR_VARIABLE])
    return Path.home() / ".cache" / "motion_composer" / "logs"


def write_log(exc: BaseException, context: str) -> Path | None:
    """The traceback of `exc` in a new log file; None when no folder takes it."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"Motion Composer failure log\ncontext: {context}\ntime: {stamp}\npython: {sys.version.split()[0]}\n"
            f"argv: {sys.argv}\n\n" + "".join(traceback.format_exception(exc)))  # fmt: skip
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"motion_composer-{stamp}-{os.getpid()}-{id(exc):x}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def describe_failure(exc: BaseException, context: str) -> str:
    """One line for any exception; unexpected ones have their traceback logged and the log named."""
    if isinstance(exc, MotionComposerError):
        return str(exc)
    detail = " ".join(str(exc).split())[:160] or "no message"
    log = write_log(exc, context)
    where = f"the traceback is in {log}" if log else "no log file could be written"
    if isinstance(exc, (RecursionError, MemoryError)):
        return f"the input is too large or too deeply nested ({type(exc).__name__}: {detail}); {where}"
    return f"unexpected {type(exc).__name__}: {detail} (a bug; please report it with the log); {where}"


def run_guarded(command: Callable[[], int], prefix: str = "") -> int:
    """Run a command's body: exit codes 0 (done), 2 (user error), 3 (unexpected, logged), 130 (Ctrl-C).

    `prefix` starts every line (e.g. "motion_composer: ").
    """
    try:
        return command()
    except MotionComposerError as exc:
        print(f"{prefix}error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"{prefix}interrupted; finished outputs are kept, unfinished ones were not written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        print(f"{prefix}error: {describe_failure(exc, prefix + 'command line')}", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
