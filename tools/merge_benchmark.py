"""Put a benchmark run's tables into BENCHMARK.md, keeping the curated sections.

    .venv/bin/python -m engine.eval.bench --out /tmp/run.md --json /tmp/run.json
    .venv/bin/python tools/merge_benchmark.py /tmp/run.md [--note "what else the header should say"]

BENCHMARK.md is one full run (its header, goals and measured sections) followed
by curated comparisons written by hand. The run's header replaces the file's
header (the --note lines appended), and each "## " section of the run replaces
the section of the same title; a measured section's own "### " notes (the
sittings' write-ups under "Several characters") stay. Sections the run has that
the file lacks go before the first curated one. --json keeps `bench` from
rewriting the tracked benchmark.json; copy it over when the run is the new
reference.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def split_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(the part before the first '## ' heading, [(title, section text with its heading)])."""
    parts = re.split(r"(?m)^(?=## )", text)
    head, sections = parts[0], []
    for part in parts[1:]:
        title = part.splitlines()[0][3:].strip()
        sections.append((title, part))
    return head, sections


def measured_part(section: str) -> tuple[str, str]:
    """(the section up to its first '### ' note, the notes)."""
    m = re.search(r"(?m)^### ", section)
    return (section, "") if m is None else (section[: m.start()], section[m.start() :])


def merge(current: str, run: str, notes: list[str]) -> str:
    """BENCHMARK.md's text with the run's header and measured sections in place."""
    _, have = split_sections(current)
    new_head, new = split_sections(run)
    fresh = dict(new)
    head = new_head.rstrip("\n") + "\n" + "".join(f"- {n}\n" for n in notes) + "\n"
    known = {title for title, _ in have}
    added = [text for title, text in new if title not in known]  # placed before the first curated section
    out = []
    for title, text in have:
        if title in fresh:
            kept = measured_part(text)[1]
            out.append(measured_part(fresh[title])[0].rstrip("\n") + "\n\n" + kept if kept else fresh[title])
        else:
            out += added + [text]
            added = []
    out += added
    return (head + "".join(s.rstrip("\n") + "\n\n" for s in out)).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="the markdown a bench run wrote (--out)")
    ap.add_argument("--benchmark", type=Path, default=ROOT / "BENCHMARK.md")
    ap.add_argument("--note", action="append", default=[], help="a line for the header (repeatable)")
    args = ap.parse_args(argv)
    for path, what in ((args.run, "the markdown a bench run wrote with --out"), (args.benchmark, "BENCHMARK.md")):
        if not path.is_file():
            print(f"error: {path} is not a file (give {what})", file=sys.stderr)
            return 2
    args.benchmark.write_text(merge(args.benchmark.read_text(), args.run.read_text(), args.note))
    print(f"merged {args.run} into {args.benchmark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
