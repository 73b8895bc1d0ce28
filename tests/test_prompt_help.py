"""Prompt help with the shipped model: unknown prompts warn (CLI, provenance), known ones do not,
`python -m engine vocabulary` lists what the model learned."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fixtures_corpus import synthetic_corpus

from engine import prompt_help
from engine.pipeline import generate
from engine.request import GenerationRequest
from engine.runtime import DEFAULT_MODEL_DIR, load_models
from engine.training import vocabulary

HAS_VOCABULARY = (DEFAULT_MODEL_DIR / prompt_help.VOCABULARY_FILE).exists()
pytestmark = pytest.mark.skipif(not HAS_VOCABULARY, reason="needs exported_models/ with vocabulary.json")
ROOT = Path(__file__).resolve().parents[1]

KNOWN = ["a person walks forward", "a person waves the right hand", "a person jumps", "a tired old man walks",
         "someone runs", "a person bows", "a woman dances", "a person kicks angrily"]  # fmt: skip
UNKNOWN = ["a person swims", "a person sits down on a chair", "a person plays the guitar", "a person drives a car"]


@pytest.fixture(scope="module")
def models():
    return load_models(None, "cpu", 2)


def test_known_prompts_pass_and_unknown_ones_get_the_nearest_known(models):
    vocabulary = prompt_help.vocabulary_of(models)
    for text in KNOWN:
        advice = prompt_help.advise(text, vocabulary, models.text.encode)
        assert advice.known, (text, advice.similarity)
    for text in UNKNOWN:
        advice = prompt_help.advise(text, vocabulary, models.text.encode)
        assert not advice.known, (text, advice.similarity)
        assert len(advice.suggestions) == 3 and all(s in vocabulary.captions for s in advice.suggestions)
    chair = prompt_help.advise("a person sits down on a chair", vocabulary, models.text.encode)
    assert "sits up and gets to the feet" in " ".join(chair.suggestions)  # nearest real action: getting up
    c = vocabulary.calibration  # measured on the half of each set not used to fit the threshold
    assert c["heldout_pass_rate"] >= 0.8 and c["unknown_warn_rate"] >= 0.9


def test_the_warning_is_in_the_request_and_the_provenance(models):
    request = GenerationRequest.from_dict({"text": "a person swims", "seconds": 1.0, "steps": 2})
    motion = generate(request, threads=2)
    assert len(request.warnings) == 1 and "unlike anything the model learned" in request.warnings[0]
    assert motion.metadata["warnings"] == request.warnings
    plain = GenerationRequest.from_dict({"text": "a person walks forward", "seconds": 1.0, "steps": 2})
    assert generate(plain, threads=2).metadata["warnings"] == []


def test_cli_warns_in_one_line_and_lists_the_vocabulary(tmp_path):
    out = tmp_path / "swim.bvh"
    run = subprocess.run([sys.executable, "-m", "engine", "generate", "--text", "a person swims", "--seconds", "1",
                          "--steps", "2", "--threads", "2", "--out", str(out)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if "unlike anything" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: prompt 'a person swims'")
    listing = subprocess.run([sys.executable, "-m", "engine", "vocabulary", "--check", "a person swims"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert listing.returncode == 0, listing.stderr
    text = listing.stdout
    assert "walk" in text and "crawl" in text and "tired" in text and "'a person swims': familiarity" in text


def test_a_model_without_vocabulary_gives_no_advice(tmp_path):
    assert prompt_help.Vocabulary.load(tmp_path) is None
    data = json.loads((DEFAULT_MODEL_DIR / prompt_help.VOCABULARY_FILE).read_text())
    assert len(data["captions"]) == len(np.load(DEFAULT_MODEL_DIR / prompt_help.EMBEDDINGS_FILE))


def test_vocabulary_is_built_from_a_corpus_for_a_model_folder(tmp_path):
    """What `python -m engine.training.vocabulary` writes when a model is exported (here: the synthetic corpus)."""
    corpus, folder = tmp_path / "corpus", tmp_path / "model"
    synthetic_corpus(corpus)
    folder.mkdir()
    for name in ("denoiser.onnx", "text_encoder.onnx", "tokenizer.json", "stats.npz", "manifest.json"):
        (folder / name).symlink_to(DEFAULT_MODEL_DIR / name)
    data = vocabulary.build(corpus, folder)
    loaded = prompt_help.Vocabulary.load(folder)
    assert loaded.model_version == load_models(DEFAULT_MODEL_DIR, "cpu").version == data["model_version"]
    assert set(loaded.actions) == set(data["actions"]) and 0.0 < loaded.threshold < 1.0
    assert data["calibration"]["unknown_prompts"] == len(vocabulary.UNKNOWN_PROMPTS)
