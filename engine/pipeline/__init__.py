"""The generation pipeline: one path for every request kind (see generation.py).

- settings.py    PostProcessing and SamplerSettings (typed, shared by every kind)
- sample.py      Conditions and the per-window sampler (timeline composer + guides + DDIM)
- post.py        decode, smoothing, clean-up, residuals
- edit_ops.py    regenerate a range, extend, restyle on the same sampler
- provenance.py  what reproduces a result, as stored on it
- generation.py  generate(request) tying them together
"""

from .generation import generate, inbetween
from .provenance import Provenance
from .settings import PostProcessing, SamplerSettings

__all__ = ["PostProcessing", "Provenance", "SamplerSettings", "generate", "inbetween"]
