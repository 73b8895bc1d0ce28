"""engine.generate: a GenerationRequest in, a canonical Motion out."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import features as feat
from . import prompt_help
from .errors import RequestError
from .request import GenerationRequest
from .runtime import Models, load_models
from .sampler import DDIMSampler, classifier_free


def model_frames(seconds: float, models: Models) -> int:
    """Frames at the model rate covering `seconds`, rounded up to whole tokens."""
    fpt = int(models.manifest["frames_per_token"])
    n = int(round(seconds * models.fps)) + 1
    return n + (-n) % fpt


def check_length(seconds: float, models: Models) -> int:
    n = model_frames(seconds, models)
    limit = int(models.manifest["max_frames"])
    if n > limit:
        longest = (limit - 2) / models.fps
        raise RequestError(f"{seconds:g} s is longer than one model window ({longest:g} s); "
                           "split it into tracks or shorten it")  # fmt: skip
    return n


def generate(request: GenerationRequest, *, model_dir=None, provider: str = "auto", threads: int | None = None,
             progress: Callable[[float], None] | None = None, cancel: Callable[[], bool] | None = None,
             clean_feet: bool = True):  # fmt: skip
    """Sample a motion for the request; deterministic for (request, seed, model).

    `clean_feet` pins the feet while the model says they are in contact
    (engine.constraints.cleanup): on by default, since sliding feet are the
    first thing an animator would have to fix by hand.
    """
    request.validate()
    prompt_help.check_request(request, load_models(model_dir, provider, threads))  # warns about unknown prompts
    if request.edits:
        from .edits import generate_edited

        return generate_edited(request, generate, model_dir=model_dir, provider=provider, threads=threads,
                               progress=progress, cancel=cancel, clean_feet=clean_feet)  # fmt: skip
    if request.constraints:  # one window or a timeline: engine.constraints.generate handles both
        return _generate_constrained(request, model_dir, provider, threads, progress, cancel)
    models = load_models(model_dir, provider, threads)
    steps = request.steps or int(models.manifest["default_steps"])
    guidance = request.guidance if request.guidance is not None else float(models.manifest["default_guidance"])
    if _uses_timeline(request, models):
        return _finish(_generate_timeline(request, models, steps, guidance, progress, cancel), clean_feet)
    frames = check_length(request.seconds, models)
    text = models.text.encode([request.tracks[0].text, ""])
    obs_dim = int(models.manifest["obs_dim"])
    zeros = np.zeros((2, frames, obs_dim), np.float32)
    valid = np.ones((2, frames), np.float32)

    def network(x2: np.ndarray, t: int) -> np.ndarray:
        return models.denoise(x2, np.full(len(x2), t), text, zeros, zeros, valid)

    rng = np.random.default_rng(request.seed)
    noise = rng.standard_normal((1, frames, models.mean.shape[0])).astype(np.float32)
    x0 = DDIMSampler(steps).sample(classifier_free(network, guidance), noise, progress=progress, cancel=cancel)
    return _finish(to_motion(x0[0], models, request, steps, guidance), clean_feet)


def _finish(motion, clean_feet: bool):
    """Foot-contact clean-up of an unconstrained result (the constrained path cleans up itself)."""
    motion.metadata["foot_cleanup"] = clean_feet
    if not clean_feet:
        return motion
    from .constraints.cleanup import cleanup
    from .constraints.types import ConstraintSet

    cleaned = cleanup(motion, ConstraintSet())
    cleaned.metadata = motion.metadata
    return cleaned


def _uses_timeline(request: GenerationRequest, models: Models) -> bool:
    from .timeline.run import needs_timeline

    return needs_timeline(request, model_frames(request.seconds, models), models)


def _generate_timeline(request: GenerationRequest, models: Models, steps: int, guidance: float, progress, cancel):
    """Several tracks, body-part tracks or long sequences: composed per step, windowed (engine.timeline)."""
    from .timeline.run import timeline_features

    frames = model_frames(request.seconds, models)
    x0 = timeline_features(request, models, frames, steps, guidance, progress=progress, cancel=cancel)
    return to_motion(x0, models, request, steps, guidance)


def _generate_constrained(request, model_dir, provider, threads, progress, cancel):
    """Keyframes, joint targets, root paths and foot plants: observed and guided (engine.constraints)."""
    from .constraints.generate import generate_constrained

    return generate_constrained(request, model_dir=model_dir, provider=provider, threads=threads,
                                progress=progress, cancel=cancel)  # fmt: skip


OUTPUT_SMOOTHING = 1.0  # frames (sigma) of temporal smoothing on the sampled features; see features.smooth


def to_motion(x0: np.ndarray, models: Models, request: GenerationRequest, steps: int, guidance: float,
              start_position=(0.0, 0.0), start_yaw: float = 0.0):  # fmt: skip
    """Normalised features -> Motion at the request's frame rate and exact duration, starting where given."""
    raw = feat.smooth(x0, OUTPUT_SMOOTHING) * models.std + models.mean
    motion = feat.decode(raw, models.fps, start_position=start_position, start_yaw=start_yaw)
    motion = motion.frames_for(request.seconds, request.fps)
    motion.metadata = describe(request, models, steps, guidance)
    return motion


def describe(request: GenerationRequest, models: Models, steps: int, guidance: float) -> dict:
    """The metadata that makes a generation reproducible: request, seed, sampler settings, model version."""
    return {
        "request": request.to_dict(),
        "seed": request.seed,
        "steps": steps,
        "guidance": guidance,
        "model_version": models.version,
        "warnings": list(request.warnings),
    }
