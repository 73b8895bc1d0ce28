"""The engine, imported normally, whether the add-on runs as an extension or from a checkout.

Installed as an extension, the repository root is the package
(`bl_ext.<repo>.motion_composer`) and `engine` is a sibling of `addon`; run
as `python -m addon.batch` from a checkout, both are top-level packages. One
relative import cannot serve both, so the engine modules the add-on uses are
imported here, by plain import statements in both branches (visible to
tools), and addon modules take them from here: `from .engine_link import errors`.
"""

from __future__ import annotations

_ROOT = __package__.rpartition(".")[0]  # "" in a checkout
ENGINE_PACKAGE = f"{_ROOT}.engine" if _ROOT else "engine"
#: the package that holds both addon/ and engine/ ("" in a checkout)
ROOT_PACKAGE = _ROOT

if _ROOT:  # an extension: the engine is a sibling package
    from .. import engine
    from ..engine import (
        characters,
        constraints,
        edits,
        errors,
        failures,
        limits,
        model_info,
        prompt_help,
        quaternion,
        request,
        retarget,
        runtime,
        skeleton,
    )
    from ..engine.characters import placement
    from ..engine.io import bvh, json_input, output, referenced
    from ..engine.pipeline import post, provenance
    from ..engine.retarget import inverse, mapping, rest, target
    from ..engine.timeline import parts
else:  # a checkout: the engine is a top-level package
    import engine
    from engine import (
        characters,
        constraints,
        edits,
        errors,
        failures,
        limits,
        model_info,
        prompt_help,
        quaternion,
        request,
        retarget,
        runtime,
        skeleton,
    )
    from engine.characters import placement
    from engine.io import bvh, json_input, output, referenced
    from engine.pipeline import post, provenance
    from engine.retarget import inverse, mapping, rest, target
    from engine.timeline import parts

__all__ = ["ENGINE_PACKAGE", "ROOT_PACKAGE", "bvh", "characters", "constraints", "edits", "engine", "errors",
           "failures", "inverse", "json_input", "limits", "mapping", "model_info", "output", "parts", "placement", "post", "prompt_help", "provenance", "quaternion",
           "referenced", "request", "rest", "retarget", "runtime", "skeleton", "target"]  # fmt: skip
