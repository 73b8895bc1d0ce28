"""Measured quality of one generated motion and the flags the review page sorts by.

The bounds are multiples of what real mocap shows on the benchmark
(BENCHMARK.md: foot skating 10 % of grounded foot steps, mean jerk 55 m/s^3),
so a flag means "clearly worse than real data", not "worse than average".
"""

from __future__ import annotations

from ..eval.metrics import foot_skate_ratio, mean_jerk
from ..pipeline.post import METRE_RESIDUALS

SKATE_BOUND = 0.30  # share of grounded foot steps that slide (real data: 0.10)
JERK_BOUND = 165.0  # mean jerk, m/s^3 (real data: 55)
RESIDUAL_BOUND = 0.02  # metres: largest constraint error after clean-up


def measure(motion) -> dict:
    """Foot skating, mean jerk, the largest constraint error and the flags they raise."""
    positions = motion.positions()
    skate = foot_skate_ratio([positions], motion.fps)
    jerk = mean_jerk([positions], motion.fps)
    errors = [
        float(c.get("max", c.get("mean", 0.0)))
        for c in motion.metadata.get("constraints", [])
        if c.get("type") in METRE_RESIDUALS
    ]  # angles (radians) are not held to a bound in centimetres
    residual = max(errors) if errors else None
    flags = []
    if skate > SKATE_BOUND:
        flags.append(f"foot skating {skate:.0%} > {SKATE_BOUND:.0%}")
    if jerk > JERK_BOUND:
        flags.append(f"jerk {jerk:.0f} > {JERK_BOUND:.0f} m/s^3")
    if residual is not None and residual > RESIDUAL_BOUND:
        flags.append(f"constraint error {residual * 100:.1f} cm > {RESIDUAL_BOUND * 100:.0f} cm")
    return {"foot_skating": round(skate, 4), "jerk": round(jerk, 2),
            "constraint_error": None if residual is None else round(residual, 5), "flags": flags}  # fmt: skip
