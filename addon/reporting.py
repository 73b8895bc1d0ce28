"""How operators report a user's mistake: the engine's one-line message as an ERROR, the operator cancelled.

Every engine error a user can cause is a MotionComposerError whose message
says what to fix (engine/errors.py); operators wrap their `execute` (and the
steps of the job lifecycle) with `reports_errors` instead of repeating the
same try/except.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from .engine_link import errors


def reports_errors(method: Callable) -> Callable:
    """Decorate an operator method (self, context) or (self, context, event): a MotionComposerError becomes
    an ERROR report and {'CANCELLED'}. The wrapper keeps the method's arity, which Blender checks."""

    def cancelled(self, exc: Exception) -> set[str]:
        self.report({"ERROR"}, str(exc))
        return {"CANCELLED"}

    if method.__code__.co_argcount == 3:

        @functools.wraps(method)
        def run_event(self, context, event):
            try:
                return method(self, context, event)
            except errors.MotionComposerError as exc:
                return cancelled(self, exc)

        return run_event

    @functools.wraps(method)
    def run(self, context):
        try:
            return method(self, context)
        except errors.MotionComposerError as exc:
            return cancelled(self, exc)

    return run
