"""Editing existing motion: inbetween, regenerate a range, extend, restyle.

All four are one mechanism: encode the frames to keep as observations (the
model was trained with observed prefixes, suffixes and keyframes), sample
the rest with the constrained sampler, then copy the kept frames back
untouched so they stay bit-identical, aligning and blending only inside the
new part.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import features as feat
from . import quaternion as quat
from .constraints.cleanup import cleanup
from .constraints.frames import WindowFrame
from .constraints.generate import decode_window, generate_constrained, sample_window
from .constraints.guidance import OBS_DIM, ROOT_PATH_SCALE, Guide, GuideOptions
from .constraints.types import ConstraintSet, RootPath
from .errors import RequestError
from .motion import Motion
from .request import GenerationRequest
from .runtime import Models, load_models


def _models_and_settings(model_dir, provider, threads, steps, guidance):
    models = load_models(model_dir, provider, threads)
    steps = steps or int(models.manifest["default_steps"])
    guidance = float(models.manifest["default_guidance"]) if guidance is None else float(guidance)
    return models, steps, guidance


def _window_frames(seconds: float, models: Models) -> int:
    fpt = int(models.manifest["frames_per_token"])
    n = int(round(seconds * models.fps)) + 1
    return n + (-n) % fpt


def _max_seconds(models: Models) -> float:
    return (int(models.manifest["max_frames"]) - 2) / models.fps


def _start_frame(motion: Motion, frame: int) -> WindowFrame:
    yaw = float(feat.heading(motion.rotations[frame, 0]))
    return WindowFrame((float(motion.root_translation[frame, 0]), float(motion.root_translation[frame, 1])), yaw)


def observe_motion(motion: Motion, frames: int, models: Models, with_path: bool = True):
    """Observations (frames, OBS_DIM) of a model-rate motion placed at the window start, and its WindowFrame."""
    frame = _start_frame(motion, 0)
    raw = feat.encode(motion)
    m = min(len(raw), frames)
    obs = np.zeros((frames, OBS_DIM), np.float32)
    obs[:m, : feat.FEATURE_DIM] = (raw[:m] - models.mean) / models.std
    if with_path:
        xy = frame.points_to_window(motion.root_translation[:m])[:, :2] / ROOT_PATH_SCALE
        yaw = feat.heading(motion.rotations[:m, 0]) - frame.yaw
        obs[:m, feat.FEATURE_DIM :] = np.concatenate([xy, np.sin(yaw)[:, None], np.cos(yaw)[:, None]], -1)
    return obs, frame


def _sample_at(m: Motion, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root and rotations of `m` at fractional frame positions (linear / slerp)."""
    p = np.clip(positions, 0.0, m.num_frames - 1)
    i0 = np.floor(p).astype(int)
    i1 = np.minimum(i0 + 1, m.num_frames - 1)
    t = (p - i0)[:, None]
    root = m.root_translation[i0] * (1 - t) + m.root_translation[i1] * t
    rot = quat.slerp(m.rotations[i0], m.rotations[i1], t[:, :, None])
    return root, rot


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def extension_frames(seconds: float, fps: float) -> int:
    """Frames `extend` adds for `seconds` at the motion's `fps` (callers placing the result need it too)."""
    return int(round(seconds * fps))


def _check_motion(motion: Motion) -> None:
    if not isinstance(motion, Motion) or motion.num_frames < 2:
        raise RequestError("editing needs a Motion with at least two frames")
    if not (np.all(np.isfinite(motion.rotations)) and np.all(np.isfinite(motion.root_translation))):
        raise RequestError("the motion to edit contains NaN or infinite values")


def regenerate_range(motion: Motion, start: int, end: int, text: str, *, seed: int = 0, steps: int | None = None,
                     guidance: float | None = None, context_seconds: float = 3.0, blend_frames: int = 3,
                     model_dir=None, provider: str = "auto", threads: int | None = None, progress=None,
                     cancel=None) -> Motion:  # fmt: skip
    """Regenerate frames [start, end) of `motion` from `text`; every other frame stays bit-identical.

    The frames around the range (up to `context_seconds` each side) are
    observed, so the new part joins them; the root is offset linearly across
    the range so both borders meet exactly, and rotations blend over
    `blend_frames` frames just inside each border.
    """
    _check_motion(motion)
    n = motion.num_frames
    if not (isinstance(start, (int, np.integer)) and isinstance(end, (int, np.integer))) or not 0 <= start < end <= n:
        raise RequestError(f"range {start}-{end} is not inside the motion's frames 0-{n}: give 0 <= start < end <= {n}")
    models, steps, guidance = _models_and_settings(model_dir, provider, threads, steps, guidance)
    fps, mf = motion.fps, models.fps
    span = (end - start) / fps
    if span > _max_seconds(models) - 0.2:
        raise RequestError(
            f"the range is {span:.1f} s; at most {_max_seconds(models) - 0.2:.1f} s can be regenerated at once"
        )
    ctx = max(0.0, min(context_seconds, (_max_seconds(models) - span) / 2 - 0.1))
    a = max(0.0, start / fps - ctx)
    a = np.floor(a * mf) / mf  # window starts on a model frame of the source
    b = min(motion.duration, (end - 1) / fps + ctx + 1.0 / fps)
    frames = _window_frames(b - a, models)
    source = motion.resample(mf) if fps != mf else motion.copy()
    i0 = int(round(a * mf))
    window = source[i0 : i0 + frames]
    obs, frame = observe_motion(window, frames, models)
    times = a + np.arange(frames) / mf
    kept = ((times <= (start - 1) / fps + 1e-9) | (times >= end / fps - 1e-9)) & (np.arange(frames) < window.num_frames)
    mask = np.zeros_like(obs)
    mask[kept] = 1.0
    guide = Guide(ConstraintSet(), models.mean, models.std, mf, frames, frame, GuideOptions())
    guide.observe(obs, mask)
    raw = sample_window(models, text, guide, seed=seed, steps=steps, guidance=guidance, progress=progress,
                       cancel=cancel)  # fmt: skip
    gen = decode_window(raw, mf, frame)
    # the new frames, sampled at the motion's own times
    idx = np.arange(max(start - 1, 0), min(end + 1, n))
    root, rot = _sample_at(gen, (idx / fps - a) * mf)
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
    w = _smoothstep(d / (blend_frames + 1.0))[:, None, None]
    new_rot = quat.slerp(motion.rotations[start:end], new_rot, w)
    out = motion.copy()
    out.root_translation[start:end] = new_root
    prev = motion.rotations[start - 1 : start] if start > 0 else new_rot[:1]
    out.rotations[start:end] = quat.continuous(np.concatenate([prev, new_rot]))[1:]
    if out.contacts is not None:
        c = feat.CONTACT_SLICE
        cont = np.clip(raw[:, c], 0, 1)
        out.contacts[start:end] = cont[np.clip(np.round((k / fps - a) * mf).astype(int), 0, frames - 1)]
    out.metadata = dict(motion.metadata, edit={"op": "regenerate_range", "start": start, "end": end, "text": text,
                                               "seed": seed, "model_version": models.version})  # fmt: skip
    return out


def extend(motion: Motion, seconds: float, text: str, *, direction: str = "forward", seed: int = 0,
           steps: int | None = None, guidance: float | None = None, context_seconds: float = 2.0,
           model_dir=None, provider: str = "auto", threads: int | None = None, progress=None,
           cancel=None) -> Motion:  # fmt: skip
    """`motion` with `seconds` of new motion appended (forward) or prepended (backward); original frames kept."""
    _check_motion(motion)
    if direction not in ("forward", "backward"):
        raise RequestError(f"direction must be 'forward' or 'backward' (got {direction!r})")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not np.isfinite(seconds) or seconds <= 0:
        raise RequestError(f"seconds to extend must be a positive number (got {seconds!r})")
    models, steps, guidance = _models_and_settings(model_dir, provider, threads, steps, guidance)
    fps, mf = motion.fps, models.fps
    ctx = min(context_seconds, motion.duration, _max_seconds(models) - seconds - 0.1)
    if ctx < 1.0 / mf:
        raise RequestError(f"{seconds:g} s is too long to extend at once; at most {_max_seconds(models) - 0.5:.1f} s")
    new = extension_frames(seconds, fps)
    forward = direction == "forward"
    src = motion.resample(mf) if fps != mf else motion.copy()
    m = max(2, int(round(ctx * mf)) + 1)
    ctx_motion = src[src.num_frames - m :] if forward else src[:m]
    frames = _window_frames((m - 1) / mf + seconds, models)
    obs, frame = observe_motion(ctx_motion, m, models, with_path=forward)
    full = np.zeros((frames, OBS_DIM), np.float32)
    mask = np.zeros_like(full)
    rows = np.arange(m) if forward else np.arange(frames - m, frames)
    full[rows] = obs
    mask[rows] = 1.0
    if not forward:
        mask[:, feat.FEATURE_DIM :] = 0.0  # the window's start is unknown, so no path
    guide = Guide(ConstraintSet(), models.mean, models.std, mf, frames, frame if forward else WindowFrame(),
                  GuideOptions())  # fmt: skip
    guide.observe(full, mask)
    raw = sample_window(models, text, guide, seed=seed, steps=steps, guidance=guidance, progress=progress,
                       cancel=cancel)  # fmt: skip
    gen = decode_window(raw, mf, frame if forward else WindowFrame())
    if forward:
        join, anchor = m - 1, motion.num_frames - 1  # model frame of the original's last frame
        pos = join + np.arange(0, new + 1) * mf / fps
    else:
        join, anchor = frames - m, 0
        pos = join - np.arange(new, -1, -1) * mf / fps
    root, rot = _sample_at(gen, pos)
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
    contacts = None
    if motion.contacts is not None:
        c = np.clip(raw[np.clip(np.round(pos[keep]).astype(int), 0, frames - 1), feat.CONTACT_SLICE], 0, 1)
        contacts = np.concatenate([motion.contacts, c] if forward else [c, motion.contacts])
    meta = dict(motion.metadata, edit={"op": "extend", "seconds": seconds, "direction": direction, "text": text,
                                       "seed": seed, "model_version": models.version})  # fmt: skip
    return replace(motion, root_translation=out_root, rotations=out_rot, contacts=contacts, metadata=meta)


def _align(root, rot, i, motion: Motion, anchor: int):
    """Rigidly move generated frames (turn about Z, then shift) so frame `i` matches `motion`'s frame `anchor`."""
    turn = float(feat.heading(motion.rotations[anchor, 0]) - feat.heading(rot[i, 0]))
    q = quat.about_z(np.full(len(rot), turn))
    rot = rot.copy()
    rot[:, 0] = quat.multiply(q, rot[:, 0])
    rel = root - root[i]
    rel = quat.rotate(q, rel)
    return rel + motion.root_translation[anchor], rot


def restyle(motion: Motion, text: str, strength: float = 0.5, *, seed: int = 0, steps: int | None = None,
            guidance: float | None = None, model_dir=None, provider: str = "auto",
            threads: int | None = None, progress=None, cancel=None) -> Motion:  # fmt: skip
    """Re-perform `motion` as `text`, keeping its timing and root path.

    `strength` 0 returns the motion unchanged, 1 samples from pure noise
    (guided only by the path); in between, sampling starts from the motion
    noised to that level. The root path is observed and then matched exactly.
    """
    _check_motion(motion)
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0.0 <= strength <= 1.0:
        raise RequestError(f"restyle strength must be between 0 and 1 (got {strength!r})")
    models, steps, guidance = _models_and_settings(model_dir, provider, threads, steps, guidance)
    if motion.duration > _max_seconds(models):
        raise RequestError(f"restyle works on up to {_max_seconds(models):.1f} s at once; cut the motion first")
    start_step = int(round((1.0 - strength) * steps))
    if start_step >= steps:
        return motion.copy()
    mf = models.fps
    src = motion.resample(mf) if motion.fps != mf else motion.copy()
    frames = _window_frames(src.duration, models)
    obs, frame = observe_motion(src, frames, models)
    mask = np.zeros_like(obs)
    mask[: src.num_frames, feat.FEATURE_DIM :] = 1.0
    x_start = np.zeros((frames, feat.FEATURE_DIM))
    raw = feat.encode(src)
    x_start[: len(raw)] = raw
    x_start[len(raw) :] = raw[-1]
    guide = Guide(ConstraintSet(), models.mean, models.std, mf, frames, frame, GuideOptions())
    guide.observe(obs, mask)
    out = sample_window(models, text, guide, seed=seed, steps=steps, guidance=guidance, start_step=start_step,
                        x_start=x_start, progress=progress, cancel=cancel)  # fmt: skip
    gen = decode_window(out[: src.num_frames], mf, frame)
    gen = gen.resample(motion.fps) if motion.fps != mf else gen
    gen = gen[: motion.num_frames]
    times = np.arange(motion.num_frames) / motion.fps
    path = RootPath(times, motion.root_translation[:, :2].copy(), np.full(len(times), np.nan), dense=True)
    gen = cleanup(gen, ConstraintSet(paths=[path]), feet=True)
    gen.metadata = dict(motion.metadata, edit={"op": "restyle", "text": text, "strength": strength, "seed": seed,
                                               "model_version": models.version})  # fmt: skip
    return gen


def inbetween(keyframes: list[dict], text: str, seconds: float | None = None, *, fps: float = 30.0, seed: int = 0,
              **kwargs) -> Motion:  # fmt: skip
    """Motion through given poses: keyframes are {"time": s, "pose": {"rotations", "root_translation"?}}.

    The clip runs from 0 to `seconds` (default: the last keyframe's time).
    """
    if not keyframes:
        raise RequestError("inbetween needs at least one keyframe")
    if seconds is None:
        seconds = max(float(k.get("time", 0.0)) for k in keyframes)
    job = {"text": text, "seconds": seconds, "fps": fps, "seed": seed,
           "constraints": [{"type": "keyframe", **k} for k in keyframes]}  # fmt: skip
    return generate_constrained(GenerationRequest.from_dict(job), **kwargs)
