"""Motion Composer's Blender side: a thin adapter between the sidebar / batch and engine/.

Like Blender's pose_library, this only registers the modules; the work lives
in plain modules (request_builder, generation, results, canonical_armature,
capture, batch) that operators and the batch command call.
"""

_need_reload = "operators" in locals()
from . import batch, gui, operators, preferences, properties  # noqa: E402

if _need_reload:
    import importlib

    properties = importlib.reload(properties)
    preferences = importlib.reload(preferences)
    operators = importlib.reload(operators)
    gui = importlib.reload(gui)
    batch = importlib.reload(batch)


def register() -> None:
    preferences.register()
    properties.register()
    operators.register()
    gui.register()
    batch.register_cli()


def unregister() -> None:
    batch.unregister_cli()
    gui.unregister()
    operators.unregister()
    properties.unregister()
    preferences.unregister()
