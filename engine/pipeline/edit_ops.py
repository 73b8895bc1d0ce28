"""Edits on the pipeline's sampler: regenerate a range, extend, restyle.

All three are one mechanism: encode the frames to keep as observations (the
model was trained with observed prefixes, suffixes and keyframes), sample
one window with the edit's prompt on the same per-window sampler as every
other request (sample.sample_windows), post-process it with the request's
PostProcessing, then copy the kept frames back untouched so they stay
bit-identical, aligning and blending only inside the new part.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import features as feat
from .. import observations
from .. import quaternion as quat
from ..constraints.coordinates import WindowFrame
from ..constraints.guidance import GuideOptions
from ..constraints.types import ConstraintSet, RootPath
from ..constraints.windows import WindowGuide
from ..edits import Edit, Extend, RegenerateRange, Restyle, extension_frames
from ..errors import RequestError
from ..kinematics.filters import smoothstep
from ..motion import Motion
from ..runtime import Models
from ..skeleton import BODY_PART_NAMES
from ..timeline.plan import TrackSpan
from . import post as postproc
from .sample import Conditions, StartFrom, sample_windows
from .settings import PostProcessing, SamplerSettings

#: seconds of kept motion observed on each side of a regenerated range
RANGE_CONTEXT_S = 3.0
#: frames just inside each border of a regenerated range where rotations blend from the kept ones
RANGE_BLEND_FRAMES = 3
#: text guidance of a regenerated range when its edit gives none. The kept frames around the range pull the
#: model towards continuing them; at the model's default (2.5) "a person jumps" over frames 60-121 of a walk
#: kept the pelvis at 0.88-0.90 m. With the text on the range only and weight 4 the pelvis spans 0.65-1.03 m
#: (mean over seeds 8, 1, 2, 3; a 6 s "a person jumps" alone: 0.60-0.97 m); weight 5 overshoots (about 0.56-1.42 m).
RANGE_TEXT_GUIDANCE = 4.0
#: seconds of kept motion an extension observes
EXTEND_CONTEXT_S = 2.0


class OneWindow:
    """Conditions.guides for a single window: always the same guide."""

    def __init__(self, guide: WindowGuide) -> None:
        self.guide = guide

    def window(self, lo: int, hi: int, features: np.ndarray) -> WindowGuide:
        return self.guide


def apply_edit(motion: Motion, edit: Edit, models: Models, post: PostProcessing, *, progress=None,
               cancel=None) -> Motion:  # fmt: skip
    """`motion` with one edit applied (its metadata kept; the pipeline writes the provenance)."""
    _check_motion(motion)
    run = {RegenerateRange: regenerate_range, Extend: extend, Restyle: restyle}[type(edit)]
    return run(motion, edit, models, post, progress=progress, cancel=cancel)


def observe_motion(motion: Motion, frames: int, models: Models, with_path: bool = True):
    """Observations (frames, OBS_DIM) of a model-rate motion placed at the window start, and its WindowFrame."""
    frame = _start_frame(motion, 0)
    raw = feat.encode(motion)
    m = min(len(raw), frames)
    obs, _ = observations.empty(frames)
    obs[:m, : feat.FEATURE_DIM] = (raw[:m] - models.mean) / models.std
    if with_path:
        xy = frame.points_to_window(motion.root_translation[:m])
        obs[:m, observations.PATH_SLICE] = observations.encode_path(
            xy, feat.heading(motion.rotations[:m, 0]) - frame.yaw
        )
    return obs, frame


def sample_one_window(models: Models, text: str, frames: int, frame: WindowFrame, obs: np.ndarray, mask: np.ndarray,
                      settings: SamplerSettings, seed: int, *, smoothing: float, start: StartFrom | None = None,
                      text_span: tuple[float, float] | None = None, progress=None,
                      cancel=None) -> np.ndarray:  # fmt: skip
    """Normalised features (frames, F) of one window: `text` on the whole body, `obs` observed where `mask`.

    `text_span` (window frames [a, b)) puts the text on those frames only, as a timeline track (cross-faded
    at its borders); elsewhere the window follows its observations."""
    guide = WindowGuide(ConstraintSet(), models.mean, models.std, models.fps, frames, frame, GuideOptions())
    guide.observe(obs, mask)
    a, b = text_span or (0.0, float(frames - 1))
    span = TrackSpan(0, text, a, b, BODY_PART_NAMES, inferred=False)
    cond = Conditions([span], last=float(frames - 1), guides=OneWindow(guide), start=start)
    return sample_windows(cond, frames, models, settings, seed, window=frames, overlap=0, smoothing=smoothing,
                          progress=progress, cancel=cancel)  # fmt: skip


def _window(models: Models, seconds: float) -> int:
    if seconds > models.manifest.max_seconds:
        raise RequestError(f"{seconds:.1f} s is more than one window ({models.manifest.max_seconds:.1f} s)")
    return models.manifest.window_frames(seconds)


def _start_frame(motion: Motion, frame: int) -> WindowFrame:
    yaw = float(feat.heading(motion.rotations[frame, 0]))
    return WindowFrame((float(motion.root_translation[frame, 0]), float(motion.root_translation[frame, 1])), yaw)


def _check_motion(motion: Motion) -> None:
    if not isinstance(motion, Motion) or motion.num_frames < 2:
        raise RequestError("editing needs a Motion with at least two frames")
    if not (np.all(np.isfinite(motion.rotations)) and np.all(np.isfinite(motion.root_translation))):
        raise RequestError("the motion to edit contains NaN or infinite values")


def _settings(edit: Edit, models: Models) -> SamplerSettings:
    return SamplerSettings.resolve(models.manifest, edit.steps, edit.guidance)


def _cleaned_window(x0: np.ndarray, models: Models, post: PostProcessing, frame: WindowFrame,
                    steps: int) -> Motion:  # fmt: skip
    """The sampled window decoded and post-processed (smoothing, feet) before its frames are spliced in."""
    motion = postproc.decode(x0, models.mean, models.std, models.fps, frame)
    return postproc.finish(motion, ConstraintSet(), post, steps)[0]


def regenerate_range(motion: Motion, edit: RegenerateRange, models: Models, post: PostProcessing, *,
                     progress=None, cancel=None) -> Motion:  # fmt: skip
    """Frames [start, end) of `motion` anew from the edit's text; every other frame stays bit-identical.

    The frames around the range (up to RANGE_CONTEXT_S each side) are
    observed, so the new part joins them; the text conditions the range only
    (a timeline track over it, guided with RANGE_TEXT_GUIDANCE unless the
    edit sets its own guidance), so the range follows its prompt; the root is offset linearly across
    the range so both borders meet exactly, and rotations blend over
    RANGE_BLEND_FRAMES frames just inside each border.
    """
    n, start, end = motion.num_frames, edit.start, edit.end
    if not 0 <= start < end <= n:
        raise RequestError(f"range {start}-{end} is not inside the motion's frames 0-{n}: give 0 <= start < end <= {n}")
    fps, mf, longest = motion.fps, models.fps, models.manifest.max_seconds
    span = (end - start) / fps
    if span > longest - 0.2:
        raise RequestError(f"the range is {span:.1f} s; at most {longest - 0.2:.1f} s can be regenerated at once")
    ctx = max(0.0, min(RANGE_CONTEXT_S, (longest - span) / 2 - 0.1))
    a = np.floor(max(0.0, start / fps - ctx) * mf) / mf  # the window starts on a model frame of the source
    b = min(motion.duration, (end - 1) / fps + ctx + 1.0 / fps)
    frames = _window(models, b - a)
    source = motion.resample(mf)
    window = source[int(round(a * mf)) : int(round(a * mf)) + frames]
    obs, frame = observe_motion(window, frames, models)
    times = a + np.arange(frames) / mf
    kept = ((times <= (start - 1) / fps + 1e-9) | (times >= end / fps - 1e-9)) & (np.arange(frames) < window.num_frames)
    mask = np.zeros_like(obs)
    mask[kept] = 1.0
    new = np.flatnonzero((times > (start - 1) / fps + 1e-9) & (times < end / fps - 1e-9))  # the range, window frames
    settings = SamplerSettings.resolve(models.manifest, edit.steps,
                                       RANGE_TEXT_GUIDANCE if edit.guidance is None else edit.guidance)  # fmt: skip
    x0 = sample_one_window(models, edit.text, frames, frame, obs, mask, settings, edit.seed, smoothing=post.smoothing,
                           text_span=(float(new[0]), float(new[-1] + 1)), progress=progress, cancel=cancel)  # fmt: skip
    gen = _cleaned_window(x0, models, post, frame, settings.steps)
    # the new frames (and one kept frame each side), sampled at the motion's own times
    idx = np.arange(max(start - 1, 0), min(end + 1, n))
    root, rot, contacts = gen.at((idx / fps - a) * mf)
    # offset the root so it meets the kept frames at both borders (linear across the range)
    off_a = motion.root_translation[start - 1] - root[0] if start > 0 else None
    off_b = motion.root_translation[end] - root[-1] if end < n else None
    off_a = off_b if off_a is None else off_a
    off_b = off_a if off_b is None else off_b
    if off_a is not None:
        u = np.linspace(0.0, 1.0, len(idx))[:, None]
        root = root + (1 - u) * off_a + u * off_b
    inside = (idx >= start) & (idx < end)
    new_root, new_rot = root[inside], rot[inside]
    # rotations blend from the kept frames into the new ones just inside the borders
    k = np.arange(start, end)
    far = np.full(len(k), 10**9)
    d = np.minimum(k - start + 1 if start > 0 else far, end - k if end < n else far)
    w = smoothstep(d / (RANGE_BLEND_FRAMES + 1.0))[:, None, None]
    new_rot = quat.slerp(motion.rotations[start:end], new_rot, w)
    out = motion.copy()
    out.root_translation[start:end] = new_root
    prev = motion.rotations[start - 1 : start] if start > 0 else new_rot[:1]
    out.rotations[start:end] = quat.continuous(np.concatenate([prev, new_rot]))[1:]
    if out.contacts is not None and contacts is not None:
        out.contacts[start:end] = contacts[inside]
    return out


def extend(motion: Motion, edit: Extend, models: Models, post: PostProcessing, *, progress=None,
           cancel=None) -> Motion:  # fmt: skip
    """`motion` with the edit's seconds of new motion appended (forward) or prepended (backward)."""
    seconds, forward = edit.seconds, edit.direction == "forward"
    fps, mf, longest = motion.fps, models.fps, models.manifest.max_seconds
    ctx = min(EXTEND_CONTEXT_S, motion.duration, longest - seconds - 0.1)
    if ctx < 1.0 / mf:
        raise RequestError(f"{seconds:g} s is too long to extend at once; at most {longest - 0.5:.1f} s")
    new = extension_frames(seconds, fps)
    src = motion.resample(mf)
    m = max(2, int(round(ctx * mf)) + 1)
    ctx_motion = src[src.num_frames - m :] if forward else src[:m]
    frames = _window(models, (m - 1) / mf + seconds)
    obs, frame = observe_motion(ctx_motion, m, models, with_path=forward)
    full, mask = observations.empty(frames)
    rows = np.arange(m) if forward else np.arange(frames - m, frames)
    full[rows] = obs
    mask[rows] = 1.0
    if not forward:
        frame = WindowFrame()
        mask[:, observations.PATH_SLICE] = 0.0  # the window's start is unknown, so no path
    settings = _settings(edit, models)
    x0 = sample_one_window(models, edit.text, frames, frame, full, mask, settings, edit.seed,
                           smoothing=post.smoothing, progress=progress, cancel=cancel)  # fmt: skip
    gen = _cleaned_window(x0, models, post, frame, settings.steps)
    if forward:
        join, anchor = m - 1, motion.num_frames - 1  # model frame of the original's last frame
        pos = join + np.arange(0, new + 1) * mf / fps
    else:
        join, anchor = frames - m, 0
        pos = join - np.arange(new, -1, -1) * mf / fps
    root, rot, contacts = gen.at(pos)
    root, rot = _align(root, rot, 0 if forward else len(pos) - 1, motion, anchor)
    keep = slice(1, None) if forward else slice(0, -1)
    root, rot = root[keep], rot[keep]
    if forward:
        rot = quat.continuous(np.concatenate([motion.rotations[-1:], rot]))[1:]
        out_root = np.concatenate([motion.root_translation, root])
        out_rot = np.concatenate([motion.rotations, rot])
    else:
        rot = quat.continuous(np.concatenate([motion.rotations[:1], rot[::-1]]))[1:][::-1]
        out_root = np.concatenate([root, motion.root_translation])
        out_rot = np.concatenate([rot, motion.rotations])
    out_contacts = None
    if motion.contacts is not None and contacts is not None:
        c = contacts[keep]
        out_contacts = np.concatenate([motion.contacts, c] if forward else [c, motion.contacts])
    return replace(motion, root_translation=out_root, rotations=out_rot, contacts=out_contacts)


def _align(root, rot, i, motion: Motion, anchor: int):
    """Rigidly move generated frames (turn about Z, then shift) so frame `i` matches `motion`'s frame `anchor`."""
    turn = float(feat.heading(motion.rotations[anchor, 0]) - feat.heading(rot[i, 0]))
    q = quat.about_z(np.full(len(rot), turn))
    rot = rot.copy()
    rot[:, 0] = quat.multiply(q, rot[:, 0])
    return quat.rotate(q, root - root[i]) + motion.root_translation[anchor], rot


def restyle(motion: Motion, edit: Restyle, models: Models, post: PostProcessing, *, progress=None,
            cancel=None) -> Motion:  # fmt: skip
    """`motion` re-performed as the edit's text, keeping its timing and root path.

    `strength` 0 returns the motion unchanged, 1 samples from pure noise
    (guided only by the path); in between, sampling starts from the motion
    noised to that level. The root path is observed and then matched exactly.
    """
    if motion.duration > models.manifest.max_seconds:
        raise RequestError(f"restyle works on up to {models.manifest.max_seconds:.1f} s at once; cut the motion first")
    settings = _settings(edit, models)
    start_step = int(round((1.0 - edit.strength) * settings.steps))
    if start_step >= settings.steps:
        return motion.copy()
    mf = models.fps
    src = motion.resample(mf)
    frames = _window(models, src.duration)
    obs, frame = observe_motion(src, frames, models)
    mask = np.zeros_like(obs)
    mask[: src.num_frames, observations.PATH_SLICE] = 1.0
    raw = feat.encode(src)
    x_start = np.zeros((frames, feat.FEATURE_DIM))
    x_start[: len(raw)] = raw
    x_start[len(raw) :] = raw[-1]
    start = StartFrom(((x_start - models.mean) / models.std).astype(np.float32), start_step)
    x0 = sample_one_window(models, edit.text, frames, frame, obs, mask, settings, edit.seed, start=start,
                           smoothing=post.smoothing,
                           progress=progress, cancel=cancel)  # fmt: skip
    gen = postproc.decode(x0[: src.num_frames], models.mean, models.std, mf, frame)
    gen = gen.resample(motion.fps)[: motion.num_frames]
    times = np.arange(motion.num_frames) / motion.fps
    path = RootPath(times, motion.root_translation[:, :2].copy(), np.full(len(times), np.nan), dense=True)
    # the path is the restyle's own promise, so it is met even where constraints are otherwise left as sampled
    gen, _ = postproc.finish(gen, ConstraintSet(paths=[path]), replace(post, exact_constraints=True), settings.steps)
    gen.metadata = motion.metadata
    return gen
