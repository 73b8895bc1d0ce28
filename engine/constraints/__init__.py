"""Constraints: keyframes, joint targets, root paths, foot plants and user error functions.

parse.py validates request dicts into types.py; guidance.py feeds them to the
denoiser (observations) and steers each prediction; cleanup.py makes them
exact afterwards with IK; generate.py ties these to the sampler.
"""

from .cleanup import cleanup, measure
from .parse import parse_constraints
from .programmable import (
    AboveHeight,
    BelowHeight,
    ErrorTerm,
    FunctionTerm,
    InsideBox,
    InsideCircle,
    JointPosition,
    LookAt,
    MinDistance,
)
from .types import ConstraintSet, FootPlant, JointTarget, KeyframePose, RootPath

__all__ = [
    "AboveHeight", "BelowHeight", "ConstraintSet", "ErrorTerm", "FootPlant", "FunctionTerm", "InsideBox",
    "InsideCircle", "JointPosition", "JointTarget", "KeyframePose", "LookAt", "MinDistance", "RootPath",
    "cleanup", "measure", "parse_constraints",
]  # fmt: skip
