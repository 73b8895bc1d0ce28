"""generate(): the one path every request takes.

settings -> window plan -> conditions (text per body part and time,
observations, guidance terms) -> per-window sampler -> decode ->
post-processing -> provenance, then each edit of the request on the same
sampler. A single prompt is the one-track, one-window case; tracks per body
part, constraints and long sequences differ only in their conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .. import prompt_help
from ..constraints.guidance import GuideOptions
from ..constraints.programmable import ErrorTerm
from ..constraints.windows import TimelineGuides
from ..errors import RequestError
from ..motion import Motion
from ..request import GenerationRequest
from ..runtime import Models, load_models
from ..timeline import plan
from ..timeline.transitions import transition_times
from . import post as postproc
from .edit_ops import apply_edit
from .provenance import Provenance
from .sample import Conditions, sample_windows
from .settings import PostProcessing, SamplerSettings

#: body-part tracks see their own sample on the parts they do not own (timeline/compose.py); False shares
#: one sample between all rows (cheaper: no extra unconditional rows, but a wave slows a walk down)
PRIVATE_CONTEXT = True

Progress = Callable[[float], None] | None


def window_plan(models: Models) -> tuple[int, int]:
    """(window, overlap) in model frames, multiples of the frames per token.

    The window holds WINDOW_S inclusive of both ends (a 10 s request is one window).
    """
    m = models.manifest
    window = min(m.window_frames(plan.WINDOW_S), m.max_frames)
    overlap = int(round(plan.OVERLAP_S * m.fps))
    return window - window % m.frames_per_token, overlap + (-overlap) % m.frames_per_token


def generate(request: GenerationRequest, *, model_dir=None, provider: str = "auto", threads: int | None = None,
             progress: Progress = None, cancel: Callable[[], bool] | None = None,
             post: PostProcessing | None = None, terms: Sequence[ErrorTerm] = (),
             guide_options: GuideOptions | None = None, obs_guidance: float | None = None) -> Motion:  # fmt: skip
    """Sample a Motion for the request; deterministic for (request, seed, model, post-processing).

    `post` (default PostProcessing()) applies to every request kind and every
    edit. `terms` are programmable error terms (engine.constraints.programmable)
    guided and cleaned up like the request's constraints. The result's
    metadata is its Provenance as a dict.
    """
    if not isinstance(request, GenerationRequest):
        raise RequestError("generate needs a GenerationRequest (engine.request)")
    post = post or PostProcessing()
    models = load_models(model_dir, provider, threads)
    if models.device_note and models.device_note not in request.warnings:
        request.warnings.append(models.device_note)  # the CLI prints it once, the provenance keeps it
    prompt_help.check_request(request, models)  # warns (request.warnings, provenance) about prompts it never learned
    stages = 1 + len(request.edits)

    def stage(i: int) -> Progress:
        return None if progress is None else (lambda f: progress((i + float(f)) / stages))

    settings = SamplerSettings.resolve(models.manifest, request.steps, request.guidance, obs_guidance)
    motion, residuals = sample_request(request, models, settings, post, terms, guide_options, stage(0), cancel)
    for i, edit in enumerate(request.edits, start=1):
        motion = apply_edit(motion, edit, models, post, progress=stage(i), cancel=cancel)
    provenance = Provenance(request.to_dict(), models.version, settings, post, tuple(residuals),
                            tuple(request.warnings))  # fmt: skip
    motion.metadata = provenance.to_dict()
    return motion


def sample_request(request: GenerationRequest, models: Models, settings: SamplerSettings, post: PostProcessing,
                   terms: Sequence[ErrorTerm] = (), guide_options: GuideOptions | None = None,
                   progress: Progress = None, cancel: Callable[[], bool] | None = None):  # fmt: skip
    """The request without its edits: (Motion at the request's fps, constraint residuals)."""
    cset = request.constraint_set()
    cset.functions.extend(terms)
    fps = models.fps
    guides = TimelineGuides(cset, models.mean, models.std, fps, guide_options)
    cond = Conditions(plan.spans_from_tracks(request.tracks, fps), last=request.seconds * fps, guides=guides)
    total = models.manifest.window_frames(request.seconds)
    window, overlap = window_plan(models)
    x0 = sample_windows(cond, total, models, settings, request.seed, window=window, overlap=overlap,
                        private=PRIVATE_CONTEXT, smoothing=post.smoothing, progress=progress,
                        cancel=cancel)  # fmt: skip
    motion = postproc.decode(x0, models.mean, models.std, fps, guides.start)
    motion = motion.frames_for(request.seconds, request.fps)
    return postproc.finish(motion, cset, post, settings.steps, transition_times(request.tracks, request.seconds))


def inbetween(keyframes: list[dict], text: str, seconds: float | None = None, *, fps: float = 30.0, seed: int = 0,
              **kwargs) -> Motion:  # fmt: skip
    """Motion through given poses: keyframes are {"time": s, "pose": {"rotations", "root_translation"?}}.

    A request with keyframe constraints; the clip runs from 0 to `seconds` (default: the last keyframe's time).
    """
    if not keyframes:
        raise RequestError("inbetween needs at least one keyframe")
    if seconds is None:
        seconds = max(float(k.get("time", 0.0)) for k in keyframes)
    job = {"text": text, "seconds": seconds, "fps": fps, "seed": seed,
           "constraints": [{"type": "keyframe", **k} for k in keyframes]}  # fmt: skip
    return generate(GenerationRequest.from_dict(job), **kwargs)
