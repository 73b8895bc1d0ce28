"""The tools/ scripts are not a package: tests load one by its path."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = Path(os.environ.get("MC_MODEL_DIR", ROOT / "exported_models"))
HAS_MODEL = (MODEL_DIR / "manifest.json").exists()


def load_tool(name: str):
    """The module tools/<name>.py."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
