"""Prompt help in the panel: after a generation, say when the prompt is unknown to the model and offer the
nearest prompts it knows as buttons (engine.prompt_help does the work; models are already loaded then)."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from .engine_link import errors, prompt_help
from .engine_link import runtime as engine_runtime


def show_advice(context, runtime: dict) -> None:
    """Check the panel's prompt with the loaded model; fill or clear the note under it."""
    settings = context.scene.motion_composer
    text = settings.prompt.strip()
    try:
        models = engine_runtime.load_models(
            runtime.get("model_dir"), runtime.get("provider", "auto"), runtime.get("threads")
        )
        vocabulary = prompt_help.vocabulary_of(models)
    except errors.ModelFilesError:
        vocabulary = None
    if not text or vocabulary is None:
        settings.clear_prompt_note()
        return
    advice = prompt_help.advise(text, vocabulary, models.text.encode)
    if advice.known:
        settings.clear_prompt_note()
        return
    settings.prompt_note = f"Unlike anything the model learned (familiarity {advice.similarity:.2f}). Nearest:"
    settings.prompt_suggestions = "\n".join(advice.suggestions)


class MOTION_COMPOSER_OT_use_prompt(bpy.types.Operator):
    """Use this prompt, which the model knows"""

    bl_idname = "motion_composer.use_prompt"
    bl_label = "Use Prompt"
    bl_options = {"REGISTER", "UNDO"}

    text: StringProperty(name="Prompt", description="The prompt to put in the Generate panel")

    def execute(self, context):
        context.scene.motion_composer.prompt = self.text
        return {"FINISHED"}


def draw_note(layout, settings) -> None:
    """Under the prompt: the note and one button per suggestion (nothing when the prompt is known)."""
    if not settings.prompt_note:
        return
    box = layout.box()
    col = box.column(align=True)
    col.label(text=settings.prompt_note, icon="ERROR")
    for text in settings.prompt_suggestions.splitlines():
        col.operator(MOTION_COMPOSER_OT_use_prompt.bl_idname, text=text, icon="TEXT").text = text


register, unregister = bpy.utils.register_classes_factory((MOTION_COMPOSER_OT_use_prompt,))
