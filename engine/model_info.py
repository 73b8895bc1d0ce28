"""What a model folder is and what it knows, from its manifest and card alone (no ONNX sessions).

The Blender panel and preferences show it for the chosen model folder, so a
user who points the add-on at a fine-tuned model sees its version, what it
started from, its licence and the motions it was taught. Cached per folder
and manifest modification time: switching folders shows the new model at
once, and redrawing costs nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .runtime import DEFAULT_MODEL_DIR

#: captions listed under "knows" at most (a fine-tune may have hundreds)
SHOWN_CAPTIONS = 8


@dataclass(frozen=True)
class ModelInfo:
    folder: Path
    version: str = ""
    error: str = ""  # why the folder is not a usable model ('' when it is)
    fine_tuned_from: str = ""
    licence: str = ""
    data: tuple[str, ...] = ()  # data source names
    knows: tuple[str, ...] = field(default=())  # what it was taught: captions (fine-tunes) or vocabulary lines

    def lines(self) -> list[str]:
        """Short lines for a panel."""
        if self.error:
            return [self.error]
        out = [f"Model {self.version}"]
        if self.fine_tuned_from:
            out.append(f"Fine-tuned from {self.fine_tuned_from}")
        if self.licence:
            out.append(f"Licence: {self.licence}")
        if self.data:
            out.append("Data: " + ", ".join(self.data))
        out += [f"Knows: {k}" for k in self.knows]
        return out


_cache: dict[tuple[str, float], ModelInfo] = {}


def describe(model_dir: str | Path | None = None) -> ModelInfo:
    """The model in `model_dir` (None: the shipped one), or a ModelInfo whose `error` says what is wrong."""
    folder = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    manifest_path = folder / "manifest.json"
    try:
        key = (str(folder.resolve()), manifest_path.stat().st_mtime)
    except OSError:
        return ModelInfo(folder, error=f"No model in {folder}: manifest.json is missing")
    if key not in _cache:
        _cache[key] = _read(folder, manifest_path)
    return _cache[key]


def _read(folder: Path, manifest_path: Path) -> ModelInfo:
    try:
        manifest = json.loads(manifest_path.read_text())
        version = str(manifest["model_version"])
    except (OSError, ValueError, KeyError) as exc:
        return ModelInfo(folder, error=f"The manifest in {folder} cannot be read ({exc})")
    captions = manifest.get("vocabulary") or []
    knows = tuple(captions[:SHOWN_CAPTIONS]) + ((f"... {len(captions)} captions in all",) if len(captions) > SHOWN_CAPTIONS else ())  # fmt: skip
    return ModelInfo(
        folder,
        version=version,
        fine_tuned_from=str(manifest.get("init", {}).get("model_version", "")),
        licence=str(manifest.get("licence", "")) or _card_licence(folder),
        data=tuple(str(d.get("name", "")) for d in manifest.get("data", [])),
        knows=knows or _card_vocabulary(folder),
    )


def _card(folder: Path) -> str:
    try:
        return (folder / "MODEL_CARD.md").read_text()
    except OSError:
        return ""


def _card_licence(folder: Path) -> str:
    found = re.search(r"\*\*Licen[cs]e:\s*(.+?)\*\*", _card(folder), re.S)
    return " ".join(found.group(1).split()).rstrip(".") if found else ""


def _card_vocabulary(folder: Path) -> tuple[str, ...]:
    """The shipped card's 'Vocabulary:' item, as the panel's 'knows' lines."""
    found = re.search(r"^- Vocabulary:\s*(.+?)(?=^- |^#|\Z)", _card(folder), re.S | re.M)
    if not found:
        return ()
    text = " ".join(found.group(1).split())
    text = re.sub(r"^the training labels only\s*[—-]\s*", "", text)
    return tuple(part.strip(" .") for part in re.split(r";\s*", text) if part.strip(" ."))
