"""Motion Composer's Blender side: a thin adapter between the sidebar / batch and engine/.

Like Blender's pose_library, this only registers the modules; the work lives
in plain modules (request_builder, generation, results, canonical_armature,
capture, batch) that operators and the batch command call.
"""

_need_reload = "operators" in locals()
from . import cli, edit_operators, gui, operators, preferences, properties  # noqa: E402

if _need_reload:
    import importlib

    properties = importlib.reload(properties)
    preferences = importlib.reload(preferences)
    operators = importlib.reload(operators)
    edit_operators = importlib.reload(edit_operators)
    gui = importlib.reload(gui)
    cli = importlib.reload(cli)


def register() -> None:
    preferences.register()
    properties.register()
    operators.register()
    edit_operators.register()
    gui.register()
    cli.register()


def unregister() -> None:
    cli.unregister()
    gui.unregister()
    edit_operators.unregister()
    operators.unregister()
    properties.unregister()
    preferences.unregister()
