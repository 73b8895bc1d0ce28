"""Free-text captions for a user's motion library: a CSV file or a .txt beside each clip.

CSV: one row per (file, caption); several rows per file give several captions.
A header row is recognised by its column names (file/clip/name/filename and
caption/description/text, e.g. the CMU set's descriptions.csv); without one,
the first two columns are taken. File names match with or without the
extension and with or without the folder part, so `walk_01`, `walk_01.bvh`
and `subject1/walk_01.bvh` all name the same clip when that is unambiguous.
A .txt beside a clip (same stem) holds one caption a line.

Mirrored training copies swap left and right in their captions.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MotionComposerError

FILE_COLUMNS = ("file", "filename", "clip", "name", "path", "motion")
CAPTION_COLUMNS = ("caption", "description", "text", "label", "prompt")
MAX_CAPTION_CHARS = 500
#: joins a clip's captions in the corpus' `captions` array (captions are single lines)
CAPTION_SEPARATOR = "\n"


@dataclass
class CaptionMatch:
    """Captions per clip key, plus what did not match (both reported)."""

    captions: dict[str, list[str]]
    unknown_files: list[str] = field(default_factory=list)  # captioned names with no clip
    uncaptioned: list[str] = field(default_factory=list)  # clips with no caption


def _columns(header: list[str]) -> tuple[int, int] | None:
    low = [h.strip().lower() for h in header]
    f = next((low.index(c) for c in FILE_COLUMNS if c in low), None)
    c = next((low.index(c) for c in CAPTION_COLUMNS if c in low), None)
    return (f, c) if f is not None and c is not None else None


def read_caption_csv(path: Path) -> list[tuple[str, str]]:
    """(file name, caption) rows of a caption CSV; one-line errors for unreadable files."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MotionComposerError(f"cannot read the captions file {path}: {exc}") from None
    if not rows:
        raise MotionComposerError(f"the captions file {path} is empty; write one 'file,caption' row per caption")
    cols = _columns(rows[0])
    first = 1 if cols is None else 2  # row number of the first data row, for messages
    rows = rows if cols is None else rows[1:]
    cols = cols or (0, 1)
    out = []
    for n, row in enumerate(rows, first):
        if len(row) <= max(cols):
            raise MotionComposerError(f"{path}: row {n} has no caption column; write 'file,caption'")
        name, caption = row[cols[0]].strip(), " ".join(row[cols[1]].split())
        if name and caption:
            out.append((name, caption[:MAX_CAPTION_CHARS]))
    return out


def _aliases(key: str) -> list[str]:
    """Names a caption row may use for the clip key 'sub/walk_01': that, its stem, with .bvh/.npz."""
    stem = key.rsplit("/", 1)[-1]
    names = [key, stem]
    return names + [f"{n}{ext}" for n in names for ext in (".bvh", ".npz")]


def match_captions(keys: list[str], rows: list[tuple[str, str]]) -> CaptionMatch:
    """Captions per clip key from (name, caption) rows; names that fit no clip (or several) are reported."""
    lookup: dict[str, list[str]] = {}
    for key in keys:
        for alias in _aliases(key):
            lookup.setdefault(alias.lower(), []).append(key)
    captions: dict[str, list[str]] = {k: [] for k in keys}
    unknown: list[str] = []
    for name, caption in rows:
        hits = sorted(set(lookup.get(name.replace("\\", "/").lower(), [])))
        if len(hits) != 1:
            unknown.append(name if not hits else f"{name} (matches {len(hits)} clips: use the folder/name)")
            continue
        if caption not in captions[hits[0]]:
            captions[hits[0]].append(caption)
    return CaptionMatch(
        {k: v for k, v in captions.items() if v}, sorted(set(unknown)), [k for k, v in captions.items() if not v]
    )


def sidecar_captions(files: dict[str, Path]) -> CaptionMatch:
    """Captions from a .txt beside each clip (one a line)."""
    captions, missing = {}, []
    for key, path in files.items():
        txt = path.with_suffix(".txt")
        lines = []
        if txt.exists():
            try:
                lines = [" ".join(s.split())[:MAX_CAPTION_CHARS] for s in txt.read_text(encoding="utf-8").splitlines()]
            except (OSError, UnicodeDecodeError) as exc:
                raise MotionComposerError(f"cannot read the caption file {txt}: {exc}") from None
        lines = [s for s in lines if s]
        if lines:
            captions[key] = list(dict.fromkeys(lines))
        else:
            missing.append(key)
    return CaptionMatch(captions, [], missing)


_SIDES = {"left": "right", "right": "left", "Left": "Right", "Right": "Left", "LEFT": "RIGHT", "RIGHT": "LEFT"}
_SIDE_WORD = re.compile(r"\b(left|right|Left|Right|LEFT|RIGHT)\b")


def mirror_caption(caption: str) -> str:
    """The caption of the left/right mirror image: 'raises the left hand' -> 'raises the right hand'."""
    return _SIDE_WORD.sub(lambda m: _SIDES[m.group(1)], caption)


def corpus_captions(data, labels: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]] | None:
    """Free-text captions per label pair of a prepared split (own corpora); None for label-template corpora."""
    if "captions" not in getattr(data, "files", data):
        return None
    table: dict[tuple[str, str], list[str]] = {}
    for label, text in zip(labels, data["captions"].tolist(), strict=True):
        table.setdefault(label, list(dict.fromkeys(text.split(CAPTION_SEPARATOR))))
    return table
