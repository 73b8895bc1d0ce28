"""Add-on preferences: where the model is and how it runs.

Machine-specific settings (not per scene): execution provider, threads and a
model folder, so a user can point to a model they trained themselves.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from .engine_link import ROOT_PACKAGE, model_info

WRAP = 44  # characters per label line in the sidebar

#: the add-on's module name; preferences are keyed by it
ADDON_ID = ROOT_PACKAGE or __package__


@dataclass(frozen=True)
class RuntimeOptions:
    """The keyword arguments engine.generate takes from the preferences."""

    provider: str = "auto"
    threads: int | None = None
    model_dir: str | None = None

    def as_kwargs(self) -> dict:
        return {"provider": self.provider, "threads": self.threads, "model_dir": self.model_dir}


class MOTION_COMPOSER_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    provider: EnumProperty(
        name="Execution Provider",
        items=[
            ("auto", "Automatic", "CUDA when onnxruntime-gpu and a GPU are present, otherwise CPU"),
            ("cpu", "CPU", "Always run on the CPU"),
            ("cuda", "CUDA", "Run on an NVIDIA GPU (needs onnxruntime-gpu)"),
        ],
        default="auto",
        description="Where the model runs: the GPU when available, or always the CPU",
    )
    threads: IntProperty(name="Threads", description="CPU threads for the model; 0: automatic", default=0, min=0,
                         max=256)  # fmt: skip
    model_dir: StringProperty(
        name="Model Folder", description="Folder with exported models; empty: the models shipped with the add-on",
        subtype="DIR_PATH",
    )  # fmt: skip

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.prop(self, "provider")
        layout.prop(self, "threads")
        layout.prop(self, "model_dir")
        draw_model_info(layout.box(), bpy.path.abspath(self.model_dir) if self.model_dir else None)


def model_lines(model_dir: str | None) -> list[str]:
    """What the model in `model_dir` is and knows (engine.model_info), wrapped to the sidebar's width."""
    lines = []
    for line in model_info.describe(model_dir).lines():
        lines += textwrap.wrap(line, WRAP, subsequent_indent="  ") or [""]
    return lines


def draw_model_info(layout, model_dir: str | None) -> None:
    """Labels for the model folder: redrawn from the folder as soon as the preference changes."""
    error = bool(model_info.describe(model_dir).error)
    col = layout.column(align=True)
    for n, line in enumerate(model_lines(model_dir)):
        col.label(text=line, icon=("ERROR" if error else "FILE_3D") if n == 0 else "NONE")


def runtime_options(context: bpy.types.Context | None = None) -> RuntimeOptions:
    """The preferences as RuntimeOptions; defaults when the add-on is not enabled as an extension."""
    context = context or bpy.context
    addon = context.preferences.addons.get(ADDON_ID)
    if addon is None or addon.preferences is None:
        return RuntimeOptions()
    prefs = addon.preferences
    model_dir = bpy.path.abspath(prefs.model_dir) if prefs.model_dir else None
    return RuntimeOptions(provider=prefs.provider, threads=prefs.threads or None, model_dir=model_dir)


def register() -> None:
    bpy.utils.register_class(MOTION_COMPOSER_AP_preferences)


def unregister() -> None:
    bpy.utils.unregister_class(MOTION_COMPOSER_AP_preferences)
