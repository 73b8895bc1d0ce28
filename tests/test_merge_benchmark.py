"""tools/merge_benchmark.py: a run's sections replace the measured ones; curated sections and notes stay."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "tools" / "merge_benchmark.py"

CURRENT = """# Benchmark

- date: old

## Goals

| goal | old |

## Several characters

| table | old |

### Fifth sitting

a curated note

## Curated comparison

kept as written
"""

RUN = """# Benchmark

- date: new

## Goals

| goal | new |

## Several characters

| table | new |

## Vocabulary

| new section |
"""


def test_a_run_replaces_measured_sections_and_keeps_the_curated_ones(tmp_path):
    bench, run = tmp_path / "BENCHMARK.md", tmp_path / "run.md"
    bench.write_text(CURRENT)
    run.write_text(RUN)
    done = subprocess.run([sys.executable, str(TOOL), str(run), "--benchmark", str(bench), "--note", "from b9"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = bench.read_text()
    assert "date: new" in text and "- from b9" in text and "old" not in text
    assert "| table | new |\n\n### Fifth sitting\n\na curated note" in text
    assert "| new section |\n\n## Curated" in text
    order = [text.index(s) for s in ("## Goals", "## Several characters", "## Vocabulary", "## Curated comparison")]
    assert order == sorted(order) and text.endswith("kept as written\n")


def test_a_missing_run_file_is_a_one_line_error(tmp_path):
    done = subprocess.run([sys.executable, str(TOOL), str(tmp_path / "nope.md")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "is not a file" in done.stderr
