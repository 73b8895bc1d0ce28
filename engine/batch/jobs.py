"""Reading a batch's jobs: a folder of *.json job files or one JSONL file (a job per line).

Problems with single jobs (unreadable, invalid JSON, invalid request, a
duplicate or unusable name) do not stop the batch: they come back as
failed jobs with a one-line reason. Only a batch source that cannot be used
at all (missing, empty) raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import MotionComposerError, RequestError
from ..io.json_input import parse_json_text, read_json_file, read_regular_file
from ..limits import as_int
from ..request import GenerationRequest

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
MAX_JOBS = 1_000_000
MAX_JSONL_BYTES = 1024**3  # a JSONL batch file; each line also within the job-file limit
BATCH_FIELDS = ("name",)  # fields of a JSONL line that are not part of the generation request


@dataclass(frozen=True)
class Job:
    """One job: its name (names its outputs), the request structure and where relative paths resolve."""

    name: str
    data: dict
    base_dir: str
    source: str  # file, or file:line, for messages
    allow_outside: bool = False  # pose files may lie outside the job's folder (--allow-outside-paths)

    def request(self) -> GenerationRequest:
        return GenerationRequest.from_dict(self.data, base_dir=Path(self.base_dir),
                                           allow_outside_paths=self.allow_outside)  # fmt: skip


@dataclass(frozen=True)
class BadJob:
    name: str
    source: str
    reason: str


def read_jobs(source: Path, allow_outside: bool = False) -> tuple[list[Job], list[BadJob]]:
    """Valid jobs and rejected ones, in source order; `allow_outside`: pose files may lie anywhere."""
    source = Path(source)
    if source.is_dir():
        entries = _folder_entries(source)
    elif source.is_file():
        entries = _jsonl_entries(source)
    else:
        raise RequestError(f"--jobs {source}: no such folder or .jsonl file")
    if not entries:
        raise RequestError(f"--jobs {source}: no jobs found (a folder of *.json files or a .jsonl file, one per line)")
    if len(entries) > MAX_JOBS:
        raise RequestError(f"--jobs {source}: {len(entries)} jobs; split it into batches of at most {MAX_JOBS}")
    return _check(entries, allow_outside)


def _folder_entries(folder: Path) -> list[tuple[str, str, object, str]]:
    """(name, source, parsed JSON or an error string, base_dir) per *.json file; the file stem names the job."""
    out = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".json" and not p.name.startswith(".")):
        try:
            data = read_json_file(path, "job file")  # the engine's limits on size, depth and numbers
        except MotionComposerError as exc:
            data = str(exc)
        if isinstance(data, dict):
            data.pop("name", None)
        out.append((path.stem, str(path), data, str(folder)))
    return out


def _jsonl_entries(path: Path) -> list[tuple[str, str, object, str]]:
    """One entry per non-empty line; the job's "name" field, else line-<number>, names it."""
    try:
        lines = read_regular_file(path, "--jobs file", MAX_JSONL_BYTES).decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise RequestError(f"--jobs {path} is not UTF-8 text (byte {exc.start})") from None
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        name = f"line-{number}"
        try:
            if len(line) > as_int("json_file_bytes"):
                raise RequestError(f"line {number} is {len(line):,} characters, more than a job file may hold")
            data = parse_json_text(line, f"line {number}")
        except MotionComposerError as exc:
            data = str(exc)
        if isinstance(data, dict) and "name" in data:
            name = data.pop("name")
            name = name if isinstance(name, str) else repr(name)
        out.append((name, f"{path}:{number}", data, str(path.parent)))
    return out


def _check(entries, allow_outside: bool) -> tuple[list[Job], list[BadJob]]:
    seen: dict[str, list[str]] = {}
    for name, where, _, _ in entries:
        seen.setdefault(name.lower(), []).append(where)  # lower: outputs must not collide on case-blind disks
    jobs, bad = [], []
    for name, where, data, base_dir in entries:
        reason = None
        if not NAME_PATTERN.fullmatch(name):
            reason = f"job name {name!r} cannot name a file: use letters, digits, '.', '_' or '-' (at most 120)"
        elif len(seen[name.lower()]) > 1:
            reason = f"job name {name!r} is used {len(seen[name.lower()])} times ({', '.join(seen[name.lower()])})"
        elif isinstance(data, str):
            reason = data
        else:
            try:
                Job(name, data, base_dir, where, allow_outside).request().validate()
            except MotionComposerError as exc:
                reason = str(exc)
        if reason is None:
            jobs.append(Job(name, data, base_dir, where, allow_outside))
        else:
            bad.append(BadJob(name, where, reason))
    return jobs, bad
