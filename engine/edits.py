"""Edits as data: an edited motion is its request plus a list of JSON-able edits.

Storing that recipe instead of the frames keeps results small and makes them
reproducible and re-editable: `reproduce` generates the source again and
replays every edit with its own seed, so the same recipe gives the same
frames. The operations themselves live in engine.editing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import editing
from .errors import RequestError
from .motion import Motion

#: op -> (function, required keys, optional keys); frames are the motion's own frame indices
OPS: dict[str, tuple[Callable[..., Motion], tuple[str, ...], tuple[str, ...]]] = {
    "regenerate_range": (editing.regenerate_range, ("start", "end", "text"), ("seed", "steps", "guidance")),
    "extend": (editing.extend, ("seconds", "text"), ("direction", "seed", "steps", "guidance")),
    "restyle": (editing.restyle, ("text",), ("strength", "seed", "steps", "guidance")),
}


def check_edit(edit) -> dict:
    """The edit as a plain dict, or RequestError naming what to fix (unknown op, missing or unknown keys)."""
    if not isinstance(edit, dict):
        raise RequestError(f"an edit must be an object with an 'op' (got {type(edit).__name__})")
    op = edit.get("op")
    if op not in OPS:
        raise RequestError(f"unknown edit op {op!r}: use one of {', '.join(OPS)}")
    _fn, required, optional = OPS[op]
    missing = [k for k in required if k not in edit]
    if missing:
        raise RequestError(f"edit {op!r} needs {', '.join(missing)}")
    unknown = sorted(set(edit) - {"op", *required, *optional})
    if unknown:
        raise RequestError(f"edit {op!r} does not take {', '.join(unknown)}; it takes {', '.join(required + optional)}")
    text = edit["text"]
    if not isinstance(text, str) or not text.strip():
        raise RequestError(f"edit {op!r}: 'text' must say what the character does in the edited part")
    return dict(edit)


def apply_edit(motion: Motion, edit: dict, *, progress=None, cancel=None, **runtime) -> Motion:
    """`motion` with one edit applied; runtime = model_dir / provider / threads."""
    edit = check_edit(edit)
    fn = OPS[edit["op"]][0]
    args = {k: v for k, v in edit.items() if k not in ("op", "text")}
    if edit["op"] == "regenerate_range":
        start, end = args.pop("start"), args.pop("end")
        return fn(motion, start, end, edit["text"], progress=progress, cancel=cancel, **args, **runtime)
    if edit["op"] == "extend":
        return fn(motion, args.pop("seconds"), edit["text"], progress=progress, cancel=cancel, **args, **runtime)
    return fn(motion, edit["text"], progress=progress, cancel=cancel, **args, **runtime)


def reproduce(request, edits: Sequence[dict] = (), *, generate=None, progress=None, cancel=None,
              **runtime) -> Motion:  # fmt: skip
    """Generate `request`, then apply `edits` in order; progress spans all stages.

    The result's metadata["edits"] lists the edits, so storing (request, edits)
    is enough to make it again.
    """
    edits = [check_edit(e) for e in edits]
    if generate is None:
        from .api import generate
    stages = 1 + len(edits)

    def stage(i: int):
        if progress is None:
            return None
        return lambda fraction: progress((i + float(fraction)) / stages)

    motion = generate(request, progress=stage(0), cancel=cancel, **runtime)
    for i, edit in enumerate(edits, start=1):
        motion = apply_edit(motion, edit, progress=stage(i), cancel=cancel, **runtime)
    motion.metadata = dict(motion.metadata or {}, edits=edits)
    return motion


def frames_added_before(edit: dict, fps: float) -> int:
    """Frames an edit puts before the motion's first frame (a backward extend), so callers can place the result."""
    edit = check_edit(edit)
    if edit["op"] == "extend" and edit.get("direction", "forward") == "backward":
        return editing.extension_frames(edit["seconds"], fps)
    return 0
