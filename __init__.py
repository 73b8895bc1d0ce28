"""Motion Composer extension entry point.

Blender loads the repository root as the extension package; the add-on
itself lives in addon/ and the generation engine in engine/.
"""

from . import addon


def register() -> None:
    addon.register()


def unregister() -> None:
    addon.unregister()
