"""`blender --command motion_composer ...` (Blender 4.2+): the extension's command line.

The batch module is imported only when the command runs, so that
`python -m addon.batch` does not find itself already imported by the package.
"""

from __future__ import annotations

import bpy

COMMAND = "motion_composer"
_HANDLES: list = []


def _execute(argv: list[str]) -> int:
    from . import batch

    return batch.cli_command(argv)


def register() -> None:
    if hasattr(bpy.utils, "register_cli_command"):
        _HANDLES.append(bpy.utils.register_cli_command(COMMAND, _execute))


def unregister() -> None:
    while _HANDLES:
        bpy.utils.unregister_cli_command(_HANDLES.pop())
