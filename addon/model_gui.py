"""The "Model" panel: which model folder is loaded, its version, licence and what it knows.

The folder comes from the add-on preferences (empty: the shipped model).
Every generation reads the preference anew and the engine caches models per
folder, so choosing another folder takes effect at the next generation,
without restarting Blender; this panel redraws from the new folder at once.
"""

from __future__ import annotations

import bpy

from . import preferences


class MOTION_COMPOSER_PT_model(bpy.types.Panel):
    bl_label = "Model"
    bl_idname = "MOTION_COMPOSER_PT_model"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Motion"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        return context.scene is not None and hasattr(context.scene, "motion_composer")

    def draw(self, context):
        preferences.draw_model_info(self.layout, preferences.runtime_options(context).model_dir)
        self.layout.label(text="Change the folder in the add-on preferences", icon="PREFERENCES")


CLASSES = (MOTION_COMPOSER_PT_model,)


register, unregister = bpy.utils.register_classes_factory(CLASSES)
