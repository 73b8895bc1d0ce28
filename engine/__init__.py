"""Motion Composer engine: text, tracks and constraints to canonical-skeleton motion.

Plain Python + numpy (+ onnxruntime and tokenizers when generating); never
imports bpy or torch. Heavy pieces load lazily so `import engine` is cheap.
"""

from .errors import MotionComposerError
from .motion import Motion
from .skeleton import CANONICAL, Skeleton

__all__ = ["CANONICAL", "Motion", "MotionComposerError", "Skeleton", "generate"]


def generate(request, **kwargs):
    """Generate a Motion for a request (see engine.request.GenerationRequest)."""
    # deferred for start-up cost only: the pipeline adds ~110 ms to `import engine` (python -X importtime)
    from .pipeline import generate as _generate

    return _generate(request, **kwargs)
