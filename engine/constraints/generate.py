"""Constrained sampling: observations and guidance around the DDIM sampler, then clean-up.

`sample_window` (one window) is shared by api.generate (job-file
constraints) and engine.editing (inbetween, regenerate a range, extend,
restyle), which differ only in what they observe and where sampling starts;
`generate_constrained` also runs timelines (several tracks, body parts,
long sequences) with one guide per window (windows.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import features as feat
from ..motion import Motion
from ..runtime import Models, load_models
from ..sampler import DDIMSampler
from .cleanup import cleanup, measure
from .frames import WindowFrame, choose_frame
from .guidance import Guide, GuideOptions
from .parse import parse_constraints
from .programmable import ErrorTerm
from .types import ConstraintSet
from .windows import TimelineGuides


def sample_window(models: Models, text: str, guide: Guide, *, seed: int, steps: int, guidance: float,
                  start_step: int = 0, x_start: np.ndarray | None = None,
                  progress: Callable[[float], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> np.ndarray:  # fmt: skip
    """Raw features (T, F) of one window sampled with the guide's observations and guidance.

    `x_start` (raw features) with `start_step` > 0 starts from a partly noised
    existing motion (restyle). Classifier-free guidance: both halves of the
    batch see the observations, only the text differs.
    """
    frames = guide.frames
    emb = models.text.encode([text, ""])
    valid = np.ones((2, frames), np.float32)
    sampler = DDIMSampler(steps)
    last_t = int(sampler.timesteps[-1])

    def denoise(x_t: np.ndarray, t: int) -> np.ndarray:
        obs, mask = guide.observations()
        obs2, mask2 = np.stack([obs, obs]), np.stack([mask, mask])
        both = models.denoise(np.concatenate([x_t, x_t]), np.full(2, t), emb, obs2, mask2, valid)
        cond, uncond = np.split(both, 2)
        return uncond + guidance * (cond - uncond)

    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((1, frames, models.mean.shape[0])).astype(np.float32)
    start = None
    if x_start is not None:
        start = ((x_start - models.mean) / models.std).astype(np.float32)[None]
    x0 = sampler.sample(
        guide.guided(denoise, last_t), noise, start_step=start_step, x_start=start, progress=progress, cancel=cancel
    )
    return x0[0].astype(np.float64) * models.std + models.mean


def generate_constrained(request, *, functions: Sequence[ErrorTerm] = (), model_dir=None, provider: str = "auto",
                         threads: int | None = None, options: GuideOptions | None = None, clean: bool = True,
                         feet: bool = True, progress=None, cancel=None) -> Motion:  # fmt: skip
    """Generate a Motion honouring request.constraints plus programmable error terms.

    One full-length prompt that fits a model window is sampled as one guided
    window; several tracks, body-part tracks, partial tracks and longer
    sequences go through the timeline with a guide per window (windows.py).
    The result's metadata["constraints"] lists each constraint's error from
    the model alone ("model_mean"/"model_max") and after clean-up ("mean"/"max").
    """
    from ..api import check_length, describe, model_frames, to_motion
    from ..timeline.run import needs_timeline, timeline_features

    request.validate()
    cset = parse_constraints(request.constraints, request.seconds, request.fps)
    cset.functions.extend(functions)
    models = load_models(model_dir, provider, threads)
    steps = request.steps or int(models.manifest["default_steps"])
    cfg = request.guidance if request.guidance is not None else float(models.manifest["default_guidance"])
    total = model_frames(request.seconds, models)
    if needs_timeline(request, total, models):
        guides = TimelineGuides(cset, models.mean, models.std, models.fps, options)
        x0 = timeline_features(request, models, total, steps, cfg, guides=guides, progress=progress, cancel=cancel)
        motion = to_motion(x0, models, request, steps, cfg, guides.start.origin, guides.start.yaw)
    else:
        frames = check_length(request.seconds, models)
        frame = choose_frame(cset, models.fps)
        guide = Guide(cset, models.mean, models.std, models.fps, frames, frame, options)
        raw = sample_window(models, request.tracks[0].text, guide, seed=request.seed, steps=steps, guidance=cfg,
                            progress=progress, cancel=cancel)  # fmt: skip
        motion = decode_window(raw, models.fps, frame)
        motion = motion.frames_for(request.seconds, request.fps)
    motion, report = finish(motion, cset, clean, feet)
    motion.metadata = {**describe(request, models, steps, cfg), "constraints": report}
    return motion


def decode_window(raw: np.ndarray, fps: float, frame: WindowFrame) -> Motion:
    return feat.decode(raw, fps, start_position=frame.origin, start_yaw=frame.yaw)


def finish(motion: Motion, cset: ConstraintSet, clean: bool, feet: bool) -> tuple[Motion, list[dict]]:
    """Clean-up and the per-constraint error report (model alone vs after clean-up)."""
    before = measure(motion, cset)
    if clean:
        motion = cleanup(motion, cset, feet=feet)
    after = measure(motion, cset) if clean else before
    report = [{"label": b["label"], "type": b["type"], "model_mean": b["mean"], "model_max": b["max"],
               "mean": a["mean"], "max": a["max"]} for b, a in zip(before, after, strict=True)]  # fmt: skip
    return motion, report
