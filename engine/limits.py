"""The stated limits on every input, in one table.

Each limit is enforced where its input enters (file readers, request
validation, the command lines) and documented from this same table
(`python -m engine.limits` prints it; docs/reliability.md holds that output,
and a test keeps the two equal). A value beyond a limit is an error that names
the input and the limit, never a silent clamp; the one clamp (threads beyond
the machine's cores) says so in a warning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .errors import RequestError


@dataclass(frozen=True)
class Limit:
    value: float
    unit: str
    what: str
    shown: str = ""  # how the docs show the value, when the number alone reads badly


def _mib(n: int) -> int:
    return n * 1024 * 1024


LIMITS: dict[str, Limit] = {
    # JSON inputs: job files, pose files (engine.io.json_input)
    "json_file_bytes": Limit(_mib(16), "bytes", "size of a job or pose file"),
    "json_depth": Limit(64, "levels", "nesting depth of arrays and objects in a JSON file"),
    "json_number_chars": Limit(40, "characters", "length of one number in a JSON file (digits, sign, exponent)"),
    "json_number_magnitude": Limit(1e19, "", "absolute value of any number in a JSON file"),
    # requests (job file, panel, CLI)
    "tracks": Limit(64, "", "tracks in a request (the 'text' shorthand counts as one)"),
    "constraints": Limit(256, "", "constraints in a request"),
    "edits": Limit(32, "", "edits in a request"),
    "characters": Limit(100, "", "characters in a cast job"),
    "crowd_count": Limit(100, "", "members of one crowd"),
    "prompt_chars": Limit(1000, "characters", "prompt length; longer prompts are truncated with a warning"),
    "seconds": Limit(600, "s", "duration of a request"),
    "fps_min": Limit(1, "frames/s", "lowest output frame rate"),
    "fps_max": Limit(240, "frames/s", "highest output frame rate"),
    "steps": Limit(1000, "", "sampling steps"),
    "seed": Limit(2**63 - 1, "", "largest seed (seeds are whole numbers from 0)", "2^63 - 1"),
    "position_metres": Limit(1000, "m", "absolute value of a position or path coordinate in a constraint"),
    "threads": Limit(
        0, "", "threads; more than the machine's cores are clamped to the core count, with a warning", "CPU cores"
    ),
    # BVH files (engine.io.bvh_parse)
    "bvh_file_bytes": Limit(_mib(512), "bytes", "size of a BVH file"),
    "bvh_line_chars": Limit(1024 * 1024, "characters", "length of one line of a BVH file"),
    "bvh_joints": Limit(1000, "", "joints in a BVH HIERARCHY"),
    "bvh_depth": Limit(256, "levels", "nesting depth of joints in a BVH HIERARCHY"),
    "bvh_frames": Limit(1_000_000, "", "frames in a BVH MOTION section"),
    "bvh_joint_frames": Limit(20_000_000, "", "joints x frames of a BVH file (memory: 32 bytes each)"),
    # model folders
    "model_file_bytes": Limit(_mib(1024), "bytes", "size of one model file (ONNX, statistics, tokenizer)"),
    "manifest_bytes": Limit(_mib(1), "bytes", "size of a model manifest"),
}


def limit(name: str) -> float:
    """The value of a stated limit (KeyError for a name that is not in the table)."""
    return LIMITS[name].value


def as_int(name: str) -> int:
    return int(LIMITS[name].value)


def check_count(name: str, count: int, what: str) -> None:
    """RequestError when `count` items (e.g. "constraints") exceed the stated limit `name`."""
    cap = as_int(name)
    if count > cap:
        raise RequestError(f"{count:,} {what} is more than the limit of {cap:,}; split the job")


def check_magnitude(name: str, values, what: str) -> None:
    """RequestError when any of `values` (finite numbers) is beyond +- the stated limit `name`."""
    bound = limit(name)
    array = np.abs(np.asarray(values, dtype=np.float64))
    worst = float(array.max()) if array.size else 0.0
    if not worst <= bound:
        raise RequestError(f"{what}: {worst:g} is beyond the limit of +-{bound:g} {LIMITS[name].unit}".rstrip())


def clamp_threads(threads: int | None) -> tuple[int | None, str | None]:
    """(threads to use, warning or None): more threads than cores only slow onnxruntime down."""
    if threads is None:
        return None, None
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise RequestError(f"threads must be a whole number from 1 (got {threads!r}); omit it to use all cores")
    cores = os.cpu_count() or 1
    if threads > cores:
        return cores, f"threads {threads} is more than this machine's {cores} cores; using {cores}"
    return threads, None


def _show(lim: Limit) -> str:
    if lim.shown:
        return lim.shown
    if lim.unit == "bytes":
        return f"{int(lim.value) // (1024 * 1024)} MiB"
    number = f"{lim.value:g}" if lim.value >= 1e12 else f"{int(lim.value):,}"
    return f"{number} {lim.unit}".strip()


def markdown_table() -> str:
    """The limits as a Markdown table (docs/reliability.md embeds exactly this)."""
    rows = ["| limit | value | applies to |", "|---|---|---|"]
    for name, lim in LIMITS.items():
        rows.append(f"| `{name}` | {_show(lim)} | {lim.what} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
