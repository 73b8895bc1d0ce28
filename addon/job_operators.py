"""The job lifecycle: Generate, Regenerate (modal, cancellable, on a worker thread) and Cancel.

`_GenerateBase` prepares a GenerationJob (generation.py) from the panel or a
stored Action, runs it modally (or at once in the background), and writes
the results all or nothing (results.py). Edit and cast operators reuse it.
The small panel operators are in panel_operators.py.
"""

from __future__ import annotations

import bpy

from . import generation, keep_keys, preferences, prompt_notes, request_builder, results
from .engine_link import provenance
from .reporting import reports_errors

TIMER_SECONDS = 0.05  # how often the modal operator polls the worker: keeps Esc and progress responsive

#: the generation in progress (one at a time), for the panel's progress bar and the Cancel button
_RUNNING: dict[str, generation.GenerationJob] = {}


def running_job() -> generation.GenerationJob | None:
    return _RUNNING.get("job")


def target_armature(context):
    """The panel's target, else the active object when it is an armature, else None."""
    settings = context.scene.motion_composer
    if settings.target is not None:
        return settings.target
    obj = context.active_object
    return obj if obj is not None and obj.type == "ARMATURE" else None


class _GenerateBase:
    """Shared by Generate and Regenerate: prepare a job, run it modally or at once, write results."""

    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return context.scene is not None and running_job() is None

    #: how the Action being reproduced or edited was made (its provenance, model version included; None for a new
    #: generation)
    _source_made: dict | None = None

    # Subclasses return (requests, frame_start, placement, root_motion).
    def _requests(self, context):
        raise NotImplementedError

    def _stored_request(self, context):
        """(Action, its stored request with the stored seed, placement) of the target's generated Action."""
        action = stored_action(context)
        text, seed, _model, placement = results.stored_settings(action)
        self._source_made = results.stored_provenance(action)
        request = request_builder.request_from_json(text)
        request.seed = seed
        return action, request, placement

    def _prepare(self, context) -> None:
        requests, self._frame_start, self._placement, root_motion = self._requests(context)
        self._warned = list(requests[0].warnings)
        for warning in self._warned:
            self.report({"WARNING"}, warning)
        self._target_name = None
        obj = target_armature(context)
        target = results.read_target(obj, root_motion, requests[0])
        self._kept = keep_keys.kept_range(stored_action(context), requests[0], self._frame_start)
        self._target_name = obj.name
        self._root_motion = root_motion
        self._runtime = runtime = preferences.runtime_options(context).as_kwargs()
        self._job = generation.GenerationJob(requests, lambda motion: results.to_channels(target, motion), runtime)

    @reports_errors
    def execute(self, context):
        self._prepare(context)
        _RUNNING["job"] = self._job
        try:
            self._job.run()
        finally:
            _RUNNING.pop("job", None)
        return self._finish(context)

    @reports_errors
    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        self._prepare(context)
        _RUNNING["job"] = self._job.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_SECONDS, window=context.window)
        wm.modal_handler_add(self)
        self._show_progress(context)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = self._job
        if (event.type == "ESC" and event.value == "PRESS") or job.cancelled:
            job.cancel()
            self._stop(context)
            self.report({"INFO"}, "Motion generation cancelled; nothing was changed")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if not job.done:
            self._show_progress(context)
            return {"PASS_THROUGH"}
        self._stop(context)
        return self._finish(context)

    def cancel(self, context) -> None:
        """Blender ends the modal operator (file loaded, window closed): stop the worker, write nothing."""
        self._job.cancel()
        self._stop(context)

    def _show_progress(self, context) -> None:
        percent = int(round(self._job.progress * 100))
        if context.workspace is not None:
            context.workspace.status_text_set(f"Motion Composer: generating {percent}%   (Esc to cancel)")
        _redraw_sidebars(context)

    def _stop(self, context) -> None:
        context.window_manager.event_timer_remove(self._timer)
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        _RUNNING.pop("job", None)
        _redraw_sidebars(context)

    def _ended_without_results(self) -> set[str] | None:
        """{'CANCELLED'}, reported, when the job was cancelled or failed; None when it has results."""
        if self._job.cancelled:
            self.report({"INFO"}, "Motion generation cancelled; nothing was changed")
            return {"CANCELLED"}
        if self._job.error:
            self.report({"ERROR"}, self._job.error)
            return {"CANCELLED"}
        return None

    @reports_errors
    def _finish(self, context):
        """Write the results (`_write`), or report why there are none."""
        return self._ended_without_results() or self._write(context, self._job)

    def _write(self, context, job) -> set[str]:
        """One new Action per result on the target armature."""
        obj = context.scene.objects.get(self._target_name)
        for result in job.results if self._kept is not None else ():
            keep_keys.keep_outside(result.channels, self._kept, self._frame_start)
        actions = results.apply_results(context, obj, job.results, frame_start=self._frame_start,
                                        placement=self._placement, root_motion=self._root_motion)  # fmt: skip
        prompt_notes.show_advice(context, self._runtime)
        for warning in job.results[0].motion.metadata.get("warnings", []) if job.results else ():
            if warning not in self._warned:  # what the engine found while generating (e.g. a CUDA that fell back)
                self.report({"WARNING"}, warning)
        names = ", ".join(a.name for a in actions)
        self.report({"INFO"}, f"Generated {len(actions)} motion(s) in {job.seconds:.2f} s: {names}")
        if self._source_made is not None and job.results:
            for change in provenance.sampling_changes(self._source_made, job.results[0].motion.metadata):
                self.report({"WARNING"}, f"{change}: the motion differs from the source")
        return {"FINISHED"}


class MOTION_COMPOSER_OT_generate(_GenerateBase, bpy.types.Operator):
    """Generate motion from the prompt, tracks and constraints onto the target armature (Esc cancels)"""

    bl_idname = "motion_composer.generate"
    bl_label = "Generate Motion"

    def _requests(self, context):
        settings = context.scene.motion_composer
        space = results.engine_space(target_armature(context))
        request = request_builder.build_request(request_builder.read_panel(context.scene), space)
        requests = request_builder.variation_requests(request, settings.variations)
        return requests, settings.frame_start, settings.placement, settings.root_motion


class MOTION_COMPOSER_OT_regenerate(_GenerateBase, bpy.types.Operator):
    """Generate again from the request, seed and placement stored on the target's active Action"""

    bl_idname = "motion_composer.regenerate"
    bl_label = "Regenerate with These Settings"

    @classmethod
    def poll(cls, context):
        return super().poll(context) and stored_action(context) is not None

    def _requests(self, context):
        action, request, placement = self._stored_request(context)
        self.report(
            {"INFO"}, f"Regenerating {action.name!r} (seed {request.seed}, model {self._source_made['model_version']})"
        )
        settings = context.scene.motion_composer
        return ([request], int(placement.get("frame_start", settings.frame_start)),
                placement.get("placement", settings.placement), placement.get("root_motion", settings.root_motion))  # fmt: skip


def stored_action(context):
    """The target's Action made by Motion Composer (active, else on its NLA tracks), or None."""
    obj = target_armature(context)
    return results.generated_action(obj.animation_data if obj is not None else None)


class MOTION_COMPOSER_OT_cancel(bpy.types.Operator):
    """Stop the running generation; the scene stays as it was"""

    bl_idname = "motion_composer.cancel"
    bl_label = "Cancel Generation"

    @classmethod
    def poll(cls, context):
        return running_job() is not None

    def execute(self, context):
        running_job().cancel()
        return {"FINISHED"}


def _redraw_sidebars(context) -> None:
    screen = context.screen
    if screen is None:
        return
    for area in screen.areas:
        if area.type == "VIEW_3D":
            area.tag_redraw()


CLASSES = (MOTION_COMPOSER_OT_generate, MOTION_COMPOSER_OT_regenerate, MOTION_COMPOSER_OT_cancel)

register, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def unregister() -> None:
    for job in list(_RUNNING.values()):
        job.cancel()
    _RUNNING.clear()
    _unregister_classes()
