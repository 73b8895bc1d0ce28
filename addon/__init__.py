"""Motion Composer's Blender side: a thin adapter between the sidebar / batch and engine/.

Like Blender's pose_library, this only registers the modules; the work lives
in plain modules (request_builder, generation, results, canonical_armature,
capture, batch) that operators and the batch command call.
"""

_need_reload = "job_operators" in locals()
from . import (  # noqa: E402
    cast_gui,
    cast_operators,
    cast_properties,
    cli,
    edit_operators,
    gui,
    job_operators,
    model_gui,
    panel_operators,
    preferences,
    prompt_notes,
    properties,
)

if _need_reload:
    import importlib

    properties = importlib.reload(properties)
    preferences = importlib.reload(preferences)
    job_operators = importlib.reload(job_operators)
    panel_operators = importlib.reload(panel_operators)
    edit_operators = importlib.reload(edit_operators)
    prompt_notes = importlib.reload(prompt_notes)
    gui = importlib.reload(gui)
    model_gui = importlib.reload(model_gui)
    cast_properties = importlib.reload(cast_properties)
    cast_operators = importlib.reload(cast_operators)
    cast_gui = importlib.reload(cast_gui)
    cli = importlib.reload(cli)


def register() -> None:
    preferences.register()
    properties.register()
    job_operators.register()
    panel_operators.register()
    edit_operators.register()
    prompt_notes.register()
    gui.register()
    model_gui.register()
    cast_properties.register()
    cast_operators.register()
    cast_gui.register()
    cli.register()


def unregister() -> None:
    cli.unregister()
    cast_gui.unregister()
    cast_operators.unregister()
    cast_properties.unregister()
    model_gui.unregister()
    gui.unregister()
    prompt_notes.unregister()
    edit_operators.unregister()
    panel_operators.unregister()
    job_operators.unregister()
    properties.unregister()
    preferences.unregister()
