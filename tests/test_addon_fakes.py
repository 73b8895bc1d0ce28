"""Test doubles shared by the add-on tests (no tests here).

- `fake_generate`: stands in for engine.generate where a test is about the
  add-on, not the model: deterministic in the seed, reports progress, honours
  cancel. Never shipped; the real model is tested where exported_models/ has it.
- `empty_scene`, `model_on_two_threads`: setup the add-on test modules share
  (the `registered_addon` fixture is in conftest.py).
- `FakeLayout`: records UILayout calls and checks each one against Blender's
  RNA (function and keyword names, property names, operator ids, UIList
  classes), so a panel's draw() can run headless.
"""

from __future__ import annotations

import os
import tempfile
import time

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="mc-user-"))

import bpy  # noqa: E402
import numpy as np  # noqa: E402

from engine import errors, quaternion  # noqa: E402
from engine.motion import Motion  # noqa: E402
from engine.skeleton import CANONICAL  # noqa: E402

MODEL_PRESENT = os.path.exists(os.path.join(os.path.dirname(__file__), "..", "exported_models", "manifest.json"))
NEEDS_MODEL = "needs the trained model: exported_models/manifest.json is missing"


def empty_scene(fps: int = 30):
    """A fresh empty scene (factory settings) at `fps`."""
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = fps, 1.0
    return scene


def model_on_two_threads(monkeypatch) -> None:
    """Make the add-on run the real model on 2 CPU threads (the speed goals' setting)."""
    from addon import preferences

    monkeypatch.setattr(preferences, "runtime_options",
                        lambda context=None: preferences.RuntimeOptions(provider="cpu", threads=2))  # fmt: skip


def fake_generate(request, *, model_dir=None, provider="auto", threads=None, progress=None, cancel=None,
                  delay: float = 0.0, steps: int = 5):  # fmt: skip
    """A smooth, seed-dependent motion of request.seconds at request.fps."""
    n = int(round(request.seconds * request.fps)) + 1
    rng = np.random.default_rng(request.seed)
    t = np.arange(n) / request.fps
    axes = rng.normal(size=(CANONICAL.num_joints, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    angle = rng.uniform(0.1, 0.6, CANONICAL.num_joints) * np.sin(np.pi * t[:, None] + rng.uniform(0, 6, 22))
    rotations = quaternion.from_axis_angle(axes[None] * angle[..., None])
    root = np.stack([0.1 * np.sin(t), -1.2 * t, 0.9 + 0.02 * np.sin(4 * t)], axis=1)
    for step in range(steps):
        if cancel is not None and cancel():
            raise getattr(errors, "Cancelled", errors.MotionComposerError)("cancelled")
        time.sleep(delay)
        if progress is not None:
            progress((step + 1) / steps)
    motion = Motion(request.fps, root, rotations)
    motion.metadata = {
        "request": request.to_dict(),
        "seed": request.seed,
        "model_version": "fake-test-model",
        "step_spacing": "trailing",
    }  # as the engine's provenance stores it
    return motion


_SUBLAYOUTS = {"row", "column", "box", "split", "grid_flow", "column_flow", "menu_pie"}


class FakeLayout:
    """A UILayout stand-in that validates every call against the real RNA."""

    calls: list

    def __init__(self, calls: list | None = None) -> None:
        object.__setattr__(self, "calls", [] if calls is None else calls)

    def __setattr__(self, name, value):
        assert name in bpy.types.UILayout.bl_rna.properties, f"UILayout has no property {name!r}"

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        functions = bpy.types.UILayout.bl_rna.functions
        assert name in functions, f"UILayout has no function {name!r}"
        params = [p.identifier for p in functions[name].parameters if not p.is_output]

        def call(*args, **kwargs):
            assert len(args) <= len(params), f"{name}: too many positional arguments"
            unknown = set(kwargs) - set(params)
            assert not unknown, f"UILayout.{name}() has no parameter(s) {unknown}"
            bound = dict(zip(params, args, strict=False), **kwargs)
            self.calls.append((name, bound))
            return getattr(self, f"_check_{name}", lambda b: None)(bound) or (
                FakeLayout(self.calls) if name in _SUBLAYOUTS else None
            )

        return call

    def _check_prop(self, b):
        data, prop = b["data"], b["property"]
        assert prop in data.bl_rna.properties, f"{data.bl_rna.identifier} has no property {prop!r}"

    def _check_operator(self, b):
        module, _, name = b["operator"].partition(".")
        op = getattr(getattr(bpy.ops, module), name)
        rna = op.get_rna_type()  # raises for an unknown operator
        return _OperatorProps(rna, b)

    def _check_template_list(self, b):
        ul = getattr(bpy.types, b["listtype_name"])
        for ptr, prop in ((b["dataptr"], b["propname"]), (b["active_dataptr"], b["active_propname"])):
            assert prop in ptr.bl_rna.properties, f"{ptr.bl_rna.identifier} has no property {prop!r}"
        for index, item in enumerate(getattr(b["dataptr"], b["propname"])):
            ul.draw_item(None, bpy.context, FakeLayout(self.calls), b["dataptr"], item, 0, b["active_dataptr"],
                         b["active_propname"], index)  # fmt: skip


class _OperatorProps:
    """The operator properties a button sets: checked against the operator, recorded in the call as "props"."""

    def __init__(self, rna, call: dict) -> None:
        object.__setattr__(self, "_rna", rna)
        object.__setattr__(self, "_call", call)

    def __setattr__(self, name, value):
        assert name in self._rna.properties, f"{self._rna.identifier} has no property {name!r}"
        self._call.setdefault("props", {})[name] = value


class Event:
    def __init__(self, type_: str, value: str = "NOTHING") -> None:
        self.type = type_
        self.value = value
