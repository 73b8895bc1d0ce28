"""Edits as data: a request may end with a list of JSON-able edits, replayed after generating it.

Keeping the recipe (request + edits) instead of frames makes edited results
small, reproducible and re-editable: the same recipe gives the same frames,
in the panel (stored on the Action), in job files and on the command line.
Validation is here and cheap (request.py uses it); the operations are in
engine.editing and load only when an edit runs.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import RequestError

#: op -> (required keys, optional keys); start/end are frame indices of the motion at the request's fps
OPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "regenerate_range": (("start", "end", "text"), ("seed", "steps", "guidance")),
    "extend": (("seconds", "text"), ("direction", "seed", "steps", "guidance")),
    "restyle": (("text",), ("strength", "seed", "steps", "guidance")),
}


def check_edit(edit, label: str = "edit") -> dict:
    """The edit as a plain dict, or RequestError naming what to fix (unknown op, missing or unknown keys)."""
    if not isinstance(edit, dict):
        raise RequestError(f"{label} must be an object with an 'op' (got {type(edit).__name__})")
    op = edit.get("op")
    if op not in OPS:
        raise RequestError(f"{label}: unknown op {op!r}; use one of {', '.join(OPS)}")
    required, optional = OPS[op]
    missing = [k for k in required if k not in edit]
    if missing:
        raise RequestError(f"{label} ({op}) needs {', '.join(missing)}")
    unknown = sorted(set(edit) - {"op", *required, *optional})
    if unknown:
        raise RequestError(
            f"{label} ({op}) does not take {', '.join(unknown)}; it takes {', '.join(required + optional)}"
        )
    if not isinstance(edit["text"], str) or not edit["text"].strip():
        raise RequestError(f"{label} ({op}): 'text' must say what the character does in the edited part")
    return dict(edit)


def apply_edit(motion, edit: dict, *, progress=None, cancel=None, **runtime):
    """`motion` with one edit applied; runtime = model_dir / provider / threads."""
    from . import editing

    edit = check_edit(edit)
    op, text = edit["op"], edit["text"]
    args = {k: v for k, v in edit.items() if k not in ("op", "text")}
    kw = dict(args, progress=progress, cancel=cancel, **runtime)
    if op == "regenerate_range":
        start, end = kw.pop("start"), kw.pop("end")
        return editing.regenerate_range(motion, start, end, text, **kw)
    if op == "extend":
        return editing.extend(motion, kw.pop("seconds"), text, **kw)
    return editing.restyle(motion, text, **kw)


def generate_edited(request, generate, *, progress=None, cancel=None, **kwargs):
    """`generate` the request without its edits, then apply them in order; progress spans all stages.

    The result's metadata["edits"] lists the edits applied.
    """
    stages = 1 + len(request.edits)

    def stage(i: int):
        if progress is None:
            return None
        return lambda fraction: progress((i + float(fraction)) / stages)

    motion = generate(replace(request, edits=[]), progress=stage(0), cancel=cancel, **kwargs)
    runtime = {k: kwargs[k] for k in ("model_dir", "provider", "threads") if k in kwargs}
    for i, edit in enumerate(request.edits, start=1):
        motion = apply_edit(motion, edit, progress=stage(i), cancel=cancel, **runtime)
    motion.metadata = dict(motion.metadata or {}, edits=list(request.edits))
    return motion


def frames_added_before(edit: dict, fps: float) -> int:
    """Frames an edit puts before the motion's first frame (a backward extend), so callers can place the result."""
    from .editing import extension_frames

    edit = check_edit(edit)
    if edit["op"] == "extend" and edit.get("direction", "forward") == "backward":
        return extension_frames(edit["seconds"], fps)
    return 0
