"""Prompt help: tell when a prompt is unlike anything the model learned, and what it does know.

The model learned from captions of a fixed set of actions and styles. Its
`vocabulary.json` (written at export by engine.training.vocabulary) lists
them, with reference captions whose sentence embeddings (the shipped text
encoder's) are in `vocabulary.npy`, and a similarity threshold calibrated so
that held-out phrasings of known actions pass and unknown actions warn. A
prompt is embedded with the same encoder; its mean cosine similarity to its
TOP_K nearest reference captions says how familiar it is (one lucky word
match does not make a prompt familiar), and the nearest captions of other
actions are the suggestions. No network, no language model: one encoder call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ModelFilesError

VOCABULARY_FILE = "vocabulary.json"
EMBEDDINGS_FILE = "vocabulary.npy"
SUGGESTIONS = 3
#: familiarity = mean similarity to this many nearest reference captions
TOP_K = 8


@dataclass(frozen=True)
class Vocabulary:
    """What a model learned: actions and styles, reference captions and their embeddings, the threshold."""

    model_version: str
    threshold: float
    captions: tuple[str, ...]
    actions: tuple[str, ...]  # per caption, its action (content label)
    embeddings: np.ndarray = field(repr=False)  # (N, 384) unit vectors
    styles: dict[str, list[str]] = field(default_factory=dict)  # style label -> words a prompt can use
    examples: dict[str, str] = field(default_factory=dict)  # action -> its plainest caption
    calibration: dict = field(default_factory=dict)

    @classmethod
    def load(cls, directory: str | Path) -> Vocabulary | None:
        """The vocabulary shipped with the models in `directory`, or None when it has none (older exports)."""
        directory = Path(directory)
        path = directory / VOCABULARY_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            emb = np.load(directory / EMBEDDINGS_FILE).astype(np.float32)
            captions = tuple(data["captions"])
            actions = tuple(data["caption_actions"])
        except (OSError, ValueError, KeyError) as exc:
            raise ModelFilesError(f"the model's vocabulary files in {directory} are corrupt ({exc})") from None
        if emb.shape != (len(captions), emb.shape[1]) or len(actions) != len(captions):
            raise ModelFilesError(f"the model's vocabulary files in {directory} do not match each other")
        return cls(str(data.get("model_version", "unknown")), float(data["threshold"]), captions, actions, emb,
                   dict(data.get("styles", {})), dict(data.get("examples", {})), dict(data.get("calibration", {})))  # fmt: skip


@dataclass(frozen=True)
class PromptAdvice:
    text: str
    similarity: float  # familiarity: mean cosine similarity to the TOP_K nearest learned captions
    known: bool
    suggestions: tuple[str, ...]  # nearest learned captions, one per action

    def warning(self) -> str:
        """The one line shown to the user (CLI, panel, provenance)."""
        near = ", ".join(repr(s) for s in self.suggestions)
        return (f"prompt {self.text!r} is unlike anything the model learned (familiarity {self.similarity:.2f}); "
                f"nearest known: {near}; `python -m engine vocabulary` lists all")  # fmt: skip


def advise(text: str, vocabulary: Vocabulary, encode: Callable[[list[str]], np.ndarray]) -> PromptAdvice:
    """How familiar `text` is to the model, and the nearest captions of distinct learned actions."""
    emb = np.asarray(encode([text]), dtype=np.float32)[0]
    sims = vocabulary.embeddings @ emb
    suggestions: list[str] = []
    seen: set[str] = set()
    for i in np.argsort(-sims):
        action = vocabulary.actions[i]
        if action not in seen:
            seen.add(action)
            suggestions.append(vocabulary.captions[i])
            if len(suggestions) == SUGGESTIONS:
                break
    score = float(familiarity(emb[None], vocabulary.embeddings)[0])
    return PromptAdvice(text, score, score >= vocabulary.threshold, tuple(suggestions))


def familiarity(queries: np.ndarray, references: np.ndarray) -> np.ndarray:
    """(N,) mean cosine similarity of each query embedding to its TOP_K nearest reference embeddings."""
    sims = np.asarray(queries, dtype=np.float32) @ np.asarray(references, dtype=np.float32).T
    k = min(TOP_K, sims.shape[1])
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)


def check_request(request, models) -> list[PromptAdvice]:
    """Advice for every prompt of the request that the model does not know; their warnings are added to
    request.warnings (once), so the CLI prints them and the provenance stores them."""
    vocabulary = vocabulary_of(models)
    if vocabulary is None:
        return []
    out = []
    for text in dict.fromkeys(t.text for t in request.tracks if t.text.strip()):
        advice = advise(text, vocabulary, models.text.encode)
        if not advice.known:
            out.append(advice)
            if advice.warning() not in request.warnings:
                request.warnings.append(advice.warning())
    return out


_loaded: dict[str, Vocabulary | None] = {}


def vocabulary_of(models) -> Vocabulary | None:
    """The loaded models' vocabulary (read once per model folder)."""
    key = str(models.directory)
    if key not in _loaded:
        _loaded[key] = Vocabulary.load(models.directory)
    return _loaded[key]


def vocabulary_report(models, check: str | None = None) -> str:
    """What `python -m engine vocabulary` prints: actions with an example prompt, styles, the threshold."""
    vocabulary = vocabulary_of(models)
    if vocabulary is None:
        raise ModelFilesError(f"the models in {models.directory} ship no {VOCABULARY_FILE}: "
                              "run python -m engine.training.vocabulary --models DIR")  # fmt: skip
    lines = [f"model {vocabulary.model_version}: {len(vocabulary.examples)} actions, {len(vocabulary.styles)} styles",
             "", "actions (an example prompt each):"]  # fmt: skip
    lines += [f"  {action:20s} {example!r}" for action, example in sorted(vocabulary.examples.items())]
    lines += ["", "styles (words a prompt can use):"]
    lines += [f"  {style:20s} {', '.join(words)}" for style, words in sorted(vocabulary.styles.items())]
    c = vocabulary.calibration
    lines += ["", f"prompts below familiarity {vocabulary.threshold:.2f} get a warning (measured: "
              f"{c.get('heldout_pass_rate', 0):.0%} of held-out phrasings of known actions pass, "
              f"{c.get('unknown_warn_rate', 0):.0%} of unknown actions warn)"]  # fmt: skip
    if check is not None:
        advice = advise(check, vocabulary, models.text.encode)
        verdict = "known" if advice.known else "UNKNOWN"
        lines += ["", f"{check!r}: familiarity {advice.similarity:.2f} ({verdict}); nearest: "
                  + ", ".join(repr(s) for s in advice.suggestions)]  # fmt: skip
    return "\n".join(lines)
