"""Typed provenance: everything that reproduces a result, stored with it.

A result is reproducible from (request with its edits, seed, model version,
sampler settings, post-processing); `Provenance` holds those plus warnings
and each constraint's residual. It travels as a plain dict (Motion.metadata,
JSON in job files, `.npz` outputs and Blender Action properties) and comes
back with `from_dict`; `request()` rebuilds the exact GenerationRequest, so
Regenerate reproduces the stored motion.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import RequestError
from ..request import GenerationRequest
from ..sampling.ddim import LEGACY_SPACING
from .post import Residual
from .settings import PostProcessing, SamplerSettings

VERSION = 1


@dataclass(frozen=True)
class Provenance:
    request: dict[str, Any]  # GenerationRequest.to_dict(), edits included
    model_version: str
    sampler: SamplerSettings  # of the base generation (each edit stores its own in the request)
    post: PostProcessing
    residuals: tuple[Residual, ...] = ()
    warnings: tuple[str, ...] = ()
    version: int = field(default=VERSION)

    @property
    def seed(self) -> int:
        return int(self.request["seed"])

    def to_request(self) -> GenerationRequest:
        return GenerationRequest.from_dict(self.request)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form; the flat keys (seed, steps, guidance, edits, constraints) are what readers use."""
        return {
            "provenance_version": self.version,
            "request": self.request,
            "seed": self.seed,
            "model_version": self.model_version,
            "steps": self.sampler.steps,
            "guidance": self.sampler.guidance,
            "observation_guidance": self.sampler.obs_guidance,
            "step_spacing": self.sampler.spacing,
            "post_processing": self.post.to_dict(),
            "edits": list(self.request.get("edits", [])),
            "constraints": [asdict(r) for r in self.residuals],
            "warnings": list(self.warnings),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        try:
            version = int(data.get("provenance_version", VERSION))
            if version > VERSION:
                raise RequestError(f"provenance version {version} is newer than this engine reads ({VERSION})")
            sampler = SamplerSettings(int(data["steps"]), float(data["guidance"]),
                                      float(data.get("observation_guidance", 1.0)),
                                      str(data.get("step_spacing", LEGACY_SPACING)))  # fmt: skip
            return cls(dict(data["request"]), str(data["model_version"]), sampler,
                       PostProcessing.from_dict(data.get("post_processing")),
                       tuple(Residual(**r) for r in data.get("constraints", [])),
                       tuple(data.get("warnings", [])), version)  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, RequestError):
                raise
            raise RequestError(f"stored generation settings are incomplete or damaged ({exc})") from None

    @classmethod
    def from_json(cls, text: str) -> Provenance:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise RequestError(f"stored generation settings are not valid JSON ({exc.msg})") from None


def sampling_changes(stored: dict[str, Any], made: dict[str, Any]) -> list[str]:
    """Why a result made again from a stored one's request and seed (`made`, its metadata) is not the stored one:
    one line per difference in what picks the motion for a seed (the model, the sampler's step spacing, a
    timeline's easing of its track borders), empty when there is none (a result that names no spacing was sampled
    with LEGACY_SPACING; one that names no easing was made before borders were eased)."""
    changes = []
    old_model, new_model = stored.get("model_version", "unknown"), made.get("model_version", "unknown")
    if old_model != new_model:
        changes.append(f"the source Action was made with model {old_model}, this is {new_model}")
    old_spacing, new_spacing = (d.get("step_spacing", LEGACY_SPACING) for d in (stored, made))
    if old_spacing != new_spacing:
        changes.append(f"the source Action was sampled with {old_spacing!r} step spacing, this engine uses "
                       f"{new_spacing!r}")  # fmt: skip
    old_post, new_post = (d.get("post_processing") or {} for d in (stored, made))
    borders = len((stored.get("request") or {}).get("tracks") or ()) > 1  # a timeline: its borders can be eased
    old_ease, new_ease = (p.get("ease_transitions", False) for p in (old_post, new_post))
    if borders and old_ease != new_ease:
        changes.append(f"the source Action's track borders were {'' if old_ease else 'not '}eased, this engine's "
                       f"are {'' if new_ease else 'not '}(PostProcessing.ease_transitions)")  # fmt: skip
    return changes
