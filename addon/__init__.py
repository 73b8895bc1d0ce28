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
    mapping_operators,
    model_gui,
    panel_operators,
    preferences,
    prompt_notes,
    properties,
)

#: registered in this order (properties before the operators and panels that use them), unregistered in reverse
MODULES = (preferences, properties, job_operators, panel_operators, mapping_operators, edit_operators, prompt_notes, gui, model_gui,
           cast_properties, cast_operators, cast_gui, cli)  # fmt: skip

if _need_reload:  # Blender's "Reload Scripts": pick up edited modules
    import importlib

    MODULES = tuple(importlib.reload(module) for module in MODULES)


def register() -> None:
    for module in MODULES:
        module.register()


def unregister() -> None:
    for module in reversed(MODULES):
        module.unregister()
