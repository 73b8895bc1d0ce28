"""Settings every request kind shares: the sampler's (steps, guidance weights) and post-processing.

`PostProcessing` is one typed object honoured by every request kind (single
prompt, tracks, constraints, long sequences, edits): the pipeline applies it
in one place (post.py), so no kind can skip smoothing or ignore clean_feet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import RequestError
from ..manifest import ModelManifest
from ..sampling.ddim import DEFAULT_SPACING


@dataclass(frozen=True)
class PostProcessing:
    """What happens to sampled features before they are a result.

    smoothing: Gaussian sigma in model frames over the sampled features (kinematics.filters.gaussian);
      few-step sampling leaves frame-to-frame jitter, 1 frame divides the jerk by about 5.
    adaptive_smoothing: after decoding, a zero-phase low-pass with a sharp knee (kinematics.smoothing) removes the
      jitter the sampler leaves above real motion's frequencies and keeps the motion below them (a wave, a
      punch); what it removes is put back where the whole body holds no more of it than real motion does (the
      jitter budget: the model's quick waves keep their swing); its cutoff follows the sampler's step count
      (more steps, more jitter: 3.75 Hz at 10, 3.25 Hz at 50). The name is kept for job files and provenance.
    clean_feet: plant the feet while in contact (kinematics.feet: the model's contact channels checked against
      the contact definition's height and speed), legs by IK, pelvis lowered where a plant is out of reach.
    exact_constraints: IK clean-up puts every constraint on target (reported as residuals either way).
    ease_transitions: where timeline tracks hand over, a border jerkier than the segments beside it is low-passed
      locally until it is not (timeline.transitions: a hand the next track raises no longer flicks up); after the
      smoothing, before the feet.
    """

    smoothing: float = 1.0
    adaptive_smoothing: bool = True
    clean_feet: bool = True
    exact_constraints: bool = True
    ease_transitions: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.smoothing <= 10.0:
            raise RequestError(f"smoothing must be between 0 and 10 frames (got {self.smoothing!r})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PostProcessing:
        data = data or {}
        known = {
            k: data[k]
            for k in ("smoothing", "adaptive_smoothing", "clean_feet", "exact_constraints", "ease_transitions")
            if k in data
        }
        return cls(**known)


@dataclass(frozen=True)
class SamplerSettings:
    """Steps, their spacing and classifier-free guidance weights (text, observations) of one sampling pass."""

    steps: int
    guidance: float
    obs_guidance: float = 1.0
    spacing: str = DEFAULT_SPACING  # the model's (ModelManifest.step_spacing)

    @classmethod
    def resolve(cls, manifest: ModelManifest, steps: int | None, guidance: float | None,
                obs_guidance: float | None = None) -> SamplerSettings:  # fmt: skip
        """The request's values where given, else the model's defaults."""
        return cls(steps or manifest.default_steps, manifest.default_guidance if guidance is None else float(guidance),
                   1.0 if obs_guidance is None else float(obs_guidance), manifest.step_spacing)  # fmt: skip
