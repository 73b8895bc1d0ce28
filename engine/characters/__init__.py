"""Several characters in one shared world: a cast, their interactions and crowds.

A job with `characters` is a cast (cast.py): each character is a single-
character request placed at a position and facing; `interactions`
(interactions.py) couple them: contacts between two joints, bodies kept
apart, a character turning towards another. Crowd entries (crowd.py) expand
into characters whose paths are planned first (planner.py). Characters are
sampled in lockstep (lockstep.py) so interaction guidance (coupling.py) acts
on all of them at every denoising step; clean-up (cleanup.py) then makes
contacts exact with IK on both sides, and report.py measures the residuals;
cast_pipeline.py (generate_cast) runs those stages in order.
"""

from .cast import Cast, Character, is_cast, load_cast, parse_cast
from .cast_pipeline import generate_cast

__all__ = ["Cast", "Character", "generate_cast", "is_cast", "load_cast", "parse_cast"]
