"""Find the engine package whether the add-on runs as an extension or from a checkout.

Installed as an extension, the repository root is the package
(`bl_ext.<repo>.motion_composer`) and `engine` is a sibling of `addon`; run
as `python -m addon.batch` from a checkout, both are top-level packages.
A relative import cannot serve both, so every addon module goes through here.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

_ROOT = __package__.rpartition(".")[0]  # "" in a checkout
ENGINE_PACKAGE = f"{_ROOT}.engine" if _ROOT else "engine"
#: the package that holds both addon/ and engine/ ("" in a checkout)
ROOT_PACKAGE = _ROOT


def load(name: str = "") -> ModuleType:
    """Import `engine` or one of its submodules (e.g. "request", "io.bvh")."""
    return importlib.import_module(f"{ENGINE_PACKAGE}.{name}" if name else ENGINE_PACKAGE)


def has(name: str) -> bool:
    """Whether an engine submodule exists (features land in the engine over time)."""
    return importlib.util.find_spec(f"{ENGINE_PACKAGE}.{name}") is not None


engine = load()
errors = load("errors")
request = load("request")
skeleton = load("skeleton")
quaternion = load("quaternion")
