"""Motion Composer engine: text, tracks and constraints to canonical-skeleton motion.

Plain Python + numpy (+ onnxruntime and tokenizers when generating); never
imports bpy or torch. onnxruntime loads when models are first loaded.
"""

from .errors import MotionComposerError
from .motion import Motion
from .pipeline import generate
from .skeleton import CANONICAL, Skeleton

__all__ = ["CANONICAL", "Motion", "MotionComposerError", "Skeleton", "generate"]
