"""The generated model card (MODEL_CARD.md) of a fine-tuned model: data, licences, captions, minutes, numbers.

The licence follows the strictest input: the model it started from (its
manifest's `data`, or the licence line of its own card) and every corpus it
saw. Anything marked non-commercial (NC) makes the model non-commercial, and
the card says which input decided it. Measured numbers come from
`python -m engine.eval.own_data` (stored in the manifest's `measured`) and are
rewritten into the card each time they are measured.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .corpus_build import KNOWN_CREDITS
from .library_captions import CAPTION_SEPARATOR

CARD = "MODEL_CARD.md"
_NC = re.compile(r"\bNC\b|non-?commercial", re.I)
EXAMPLE_CAPTIONS = 12


@dataclass
class DataSource:
    name: str
    licence: str
    credit: str
    role: str
    clips: int = 0
    minutes: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def corpus_sources(corpus: Path, role: str) -> list[DataSource]:
    """The sources a prepared corpus lists in its report, with its train clips and minutes."""
    try:
        report = json.loads((Path(corpus) / "report.json").read_text())
    except (OSError, ValueError):
        return [DataSource(str(corpus), "unknown (no report.json)", "", role)]
    train = report.get("splits", {}).get("train", {})
    per = train.get("per_source", {})
    credit = report.get("credit", {})
    return [
        DataSource(
            name,
            licence,
            credit.get(name) or KNOWN_CREDITS.get(name, ""),
            role,
            per.get(name, {}).get("clips", 0),
            per.get(name, {}).get("minutes", 0.0),
        )  # fmt: skip
        for name, licence in report.get("sources", {}).items()
    ]


def init_licence(init) -> str:
    """The licence line of the model a fine-tune started from."""
    data = init.manifest.get("data")
    if data:
        return "; ".join(f"{d['name']}: {d['licence']}" for d in data)
    card = init.folder / CARD
    text = card.read_text() if card.exists() else ""
    bold = re.search(r"\*\*Licen[cs]e:\s*(.+?)\*\*", text, re.S)
    if bold:
        return " ".join(bold.group(1).split()).rstrip(".")
    line = next((s for s in text.splitlines() if re.search(r"licen[cs]e", s, re.I)), "")
    return line.strip("*# ").strip() or "unknown (the init model states no licence)"


def licence_verdict(sources: list[DataSource], init_line: str, init_version: str) -> tuple[str, list[str]]:
    """('non-commercial' | 'commercial use allowed by its inputs', reasons)."""
    reasons = [f"starts from {init_version}, whose licence is: {init_line}"] if _NC.search(init_line) else []
    reasons += [f"{s.role}: {s.name} is {s.licence}" for s in sources if _NC.search(s.licence)]
    if reasons:
        return "non-commercial", reasons
    return "commercial use allowed by its inputs (check each source's terms below)", []


def captions_seen(corpus: Path) -> list[str]:
    data = np.load(Path(corpus) / "train.npz")
    if "captions" not in data.files:
        return []
    seen = {c for text, m in zip(data["captions"].tolist(), data["mirrored"].tolist(), strict=True) if not m
            for c in text.split(CAPTION_SEPARATOR)}  # fmt: skip
    return sorted(seen)


def write_card(folder: Path, manifest: dict, corpus: Path) -> Path:
    """Write MODEL_CARD.md and the manifest's licence from the manifest (training record, data, measured numbers)."""
    sources = [DataSource(**d) for d in manifest.get("data", [])]
    init = manifest["init"]
    verdict, reasons = licence_verdict(sources, init["licence"], init["model_version"])
    manifest["licence"] = verdict
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    tr = manifest["training"]
    caps = captions_seen(corpus)
    lines = [
        f"# Motion Composer model `{manifest['model_version']}` (fine-tuned)",
        "",
        f"**Licence: {verdict}.**" + (" Because it " + "; it ".join(reasons) + "." if reasons else ""),
        "",
        "## Data",
        "",
        "| source | role | licence | credit | train clips | minutes |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {s.name} | {s.role} | {s.licence} | {s.credit or '-'} | {s.clips} | {s.minutes} |" for s in sources]
    lines += [
        f"| {init['model_version']} | starting point (`--init {init['folder']}`) | {init['licence']} | see its card | | |",
        "",
        f"Captions seen: {len(caps)} distinct free-text captions"
        + (f", e.g. {'; '.join(repr(c) for c in caps[:EXAMPLE_CAPTIONS])}." if caps else "."),
        "",
        "## Training",
        "",
        f"- `python -m engine.training.train --init {init['folder']} --corpus {tr.get('corpus')}"
        + (f" --mix {tr['mix']}" if tr.get("mix") else "")
        + f" --minutes {tr.get('max_minutes', '?')}`",
        f"- {tr.get('steps')} steps of batch {tr.get('batch')} at lr {tr.get('lr')}; {tr.get('wall_minutes')} wall "
        f"minutes, {tr.get('cpu_minutes')} CPU minutes (this process, all threads).",
        f"- Last training loss (smoothed): {tr.get('final_loss', '?')}. ONNX equals torch within "
        f"{tr.get('onnx_max_abs_diff', float('nan')):.1e}.",
        "",
        "## Measured",
        "",
    ]
    measured = manifest.get("measured")
    if measured:
        lines += [f"`{measured.get('command', '')}` ({measured.get('date', '')}):", ""]
        lines += [f"- {k}: {v}" for k, v in measured.get("numbers", {}).items()]
    else:
        lines.append(f"Not measured yet: `python -m engine.eval.own_data --model-dir {folder.name} --corpus CORPUS "
                     "[--base-corpus BASE]` fills this section.")  # fmt: skip
    lines += ["", "Files, network and sampling are those of the starting model; see its card.", ""]
    (folder / CARD).write_text("\n".join(lines))
    return folder / CARD
