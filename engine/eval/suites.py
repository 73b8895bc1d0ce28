"""Metric suites: the registry that `python -m engine.eval.bench` runs, and the context they share.

Adding a suite (e.g. per-segment R-precision for the timeline, constrained-
joint error for constraints):

1. Write a module in engine/eval/ with a function `run(ctx: Context) -> SuiteResult`
   and decorate it with `@register("name", quick=True)` (quick=False leaves it
   out of `--quick`).
2. Add the module name to SUITE_MODULES below.
3. Use `ctx` for the shared pieces: `ctx.evaluator` (texts()/motions()
   embeddings), `ctx.test` (the test split, subset in --quick), `ctx.train()`
   (loaded on demand), `ctx.model_dir`, `ctx.seed`, `ctx.quick` and
   `ctx.cached(key, build)` to share work (e.g. generated sets) between suites.
4. Return rows (one value per column, e.g. per source) and goals; the report
   prints each suite as its own table and every goal in the goal table.

Suites must be deterministic for `ctx.seed` and must not import torch (the
benchmark times onnxruntime, which torch slows down in the same process).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .clips import Split, load_split

SUITE_MODULES = [
    "engine.eval.suite_text",
    "engine.eval.speed",
    "engine.eval.constraints_suite",
    "engine.eval.timeline_suite",
    "engine.eval.characters_suite",
    "engine.eval.clean_suite",
    "engine.eval.reach_suite",
    "engine.eval.vocabulary_suite",
]


@dataclass
class Row:
    metric: str
    values: dict[str, float | None]  # column -> value (None: not measured)
    unit: str = ""
    digits: int = 3
    note: str = ""


@dataclass
class Goal:
    name: str
    value: float
    target: float
    passed: bool
    rule: str  # how value and target compare, for the reader, e.g. ">= 0.9 x real"


@dataclass
class SuiteResult:
    title: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Context:
    model_dir: Path
    corpus: Path
    seed: int
    quick: bool
    evaluator: object
    test: Split
    _cache: dict = field(default_factory=dict)

    def cached(self, key: str, build: Callable):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def train(self) -> Split:
        return self.cached("train_split", lambda: load_split(self.corpus, "train"))


Suite = Callable[[Context], SuiteResult]
SUITES: dict[str, tuple[Suite, bool]] = {}


def register(name: str, quick: bool = True):
    """Decorator: add a suite under `name`; quick=False keeps it out of --quick runs."""

    def wrap(fn: Suite) -> Suite:
        SUITES[name] = (fn, quick)
        return fn

    return wrap


def load_suites() -> dict[str, tuple[Suite, bool]]:
    for module in SUITE_MODULES:
        importlib.import_module(module)
    return SUITES
