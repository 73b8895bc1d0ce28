"""Fine-tuning from the shipped model folder: --init / --mix, the exported folder and card, bad input.

The own corpus is a synthetic library (test_own_library's procedural clips on
a Mixamo-named skeleton), the base corpus the tiny training test's synthetic
one; the starting model is the real exported_models/ (its ONNX weights).
"""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest
from test_own_library import MIXAMO, renamed
from test_training_tiny import synthetic_corpus

from engine.errors import MotionComposerError
from engine.eval import demo_motion, own_data
from engine.eval.embedder import DEFAULT_EVAL_DIR, Evaluator
from engine.io.bvh import write_bvh
from engine.model_info import describe
from engine.prompt_help import Vocabulary, advise
from engine.runtime import DEFAULT_MODEL_DIR, load_models
from engine.training import finetune, model_card, vocabulary
from engine.training.init_model import load_init
from engine.training.model_card import DataSource, licence_verdict

REPO = Path(__file__).resolve().parent.parent


def own_corpus(tmp_path: Path) -> Path:
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(3):
        write_bvh(lib / f"walk_{i}.bvh", renamed(demo_motion.walk(seconds=2.0 + i, fps=30.0), MIXAMO))
        (lib / f"walk_{i}.txt").write_text(f"a person strides forward, take {i}\n")
    out = tmp_path / "own"
    cmd = [sys.executable, "-m", "engine.training.prepare", "--bvh", str(lib), "--out", str(out), "--licence",
           "CC BY 4.0", "--source-name", "studio", "--hold-out", "walk_2"]  # fmt: skip
    assert subprocess.run(cmd, cwd=REPO, capture_output=True, text=True).returncode == 0
    return out


@pytest.mark.slow
def test_tiny_fine_tune_with_mixing_exports_a_complete_model(tmp_path):
    own = own_corpus(tmp_path)
    base = tmp_path / "base"
    base.mkdir()
    synthetic_corpus(base)
    report = {"sources": {"synthetic": "MIT"}, "splits": {"train": {"per_source": {"synthetic": {"clips": 12}}}}}
    (base / "report.json").write_text(json.dumps(report))
    out = tmp_path / "mine"
    cmd = [sys.executable, "-m", "engine.training.train", "--tiny", "--init", str(DEFAULT_MODEL_DIR), "--corpus",
           str(own), "--mix", f"{base}:0.5", "--minutes", "5", "--out", str(out), "--checkpoints",
           str(tmp_path / "ckpt"), "--embedding-cache", str(tmp_path / "emb")]  # fmt: skip
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    shipped = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    assert manifest["init"]["model_version"] == shipped["model_version"] != manifest["model_version"]
    # the shipped network, not --tiny's; an imputing base stays imputing (engine.training.init_model)
    assert manifest["config"] == shipped["config"] | {"impute": bool(shipped["config"].get("impute"))}
    assert manifest["training"]["steps"] == 5 and manifest["training"]["mix"] == f"{base}:0.5"
    assert [d["name"] for d in manifest["data"]] == ["studio", "synthetic"]
    assert manifest["vocabulary"] == [f"a person strides forward, take {i}" for i in (0, 1)]
    assert manifest["licence"] == "non-commercial"
    card = (out / "MODEL_CARD.md").read_text()
    assert "CC BY 4.0" in card and "non-commercial use only (CC BY-NC 4.0)" in card and "mixed in (50%" in card
    for key, name in shipped["files"].items():
        assert (out / name).exists(), key
    assert (out / "text_encoder.onnx").read_bytes() == (DEFAULT_MODEL_DIR / "text_encoder.onnx").read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert describe(out).fine_tuned_from == shipped["model_version"]
    # prompt help knows the own captions and, mixed, the base vocabulary, at the base's calibrated threshold
    vocabulary = Vocabulary.load(out)
    base = Vocabulary.load(DEFAULT_MODEL_DIR)
    assert vocabulary.captions[-2:] == ("a person strides forward, take 0", "a person strides forward, take 1")
    assert len(vocabulary.captions) == len(base.captions) + 2 and vocabulary.threshold == base.threshold
    assert vocabulary.model_version == manifest["model_version"]
    models = load_models(out, "cpu")
    assert advise("a person strides forward, take 1", vocabulary, models.text.encode).known
    assert not advise("a person swims breaststroke in a pool", vocabulary, models.text.encode).known
    gen = [sys.executable, "-m", "engine", "generate", "--text", "a person strides forward", "--seconds", "2",
           "--model-dir", str(out), "--out", str(tmp_path / "x.bvh")]  # fmt: skip
    assert subprocess.run(gen, cwd=REPO, capture_output=True, text=True).returncode == 0


def broken_model(tmp_path: Path, **changes) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(DEFAULT_MODEL_DIR, folder, ignore=shutil.ignore_patterns("*.onnx", "eval", "tokenizer.json"))
    manifest = json.loads((folder / "manifest.json").read_text())
    for key, value in changes.items():
        manifest[key] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_incompatible_init_says_what_differs(tmp_path):
    with pytest.raises(MotionComposerError, match="incompatible: feature layout: the model has 200 features"):
        load_init(broken_model(tmp_path, feature_dim=200), 20.0)
    shutil.rmtree(tmp_path / "broken")
    names = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())["skeleton"]["names"]
    skeleton = {"names": names[:-1] + ["right_hand"], "parents": list(range(-1, 21))}
    with pytest.raises(MotionComposerError, match="incompatible: skeleton"):
        load_init(broken_model(tmp_path, skeleton=skeleton), 20.0)
    with pytest.raises(MotionComposerError, match="frame rate: the model runs at 20.0 fps, the corpus at 30"):
        load_init(DEFAULT_MODEL_DIR, 30.0)
    with pytest.raises(MotionComposerError, match="is not a model folder: manifest.json is missing"):
        load_init(tmp_path, 20.0)


def args_for(tmp_path: Path, corpus: Path, **more) -> Namespace:
    """train.py's arguments as the fine-tune hooks read them."""
    base = {"init": str(DEFAULT_MODEL_DIR), "corpus": str(corpus), "out": str(tmp_path / "mine"), "mix": None}
    return Namespace(**(base | more))


def test_bad_fine_tune_arguments_and_a_full_disk_leave_no_model_folder(tmp_path, monkeypatch):
    corpus = tmp_path / "own"
    corpus.mkdir()
    synthetic_corpus(corpus)
    with pytest.raises(MotionComposerError, match="--mix .* a fraction between 0 and 1"):
        finetune.FineTune.from_args(args_for(tmp_path, corpus, mix=f"{corpus}:2"))
    with pytest.raises(MotionComposerError, match="is the --init folder"):
        finetune.FineTune.from_args(args_for(tmp_path, corpus, out=str(DEFAULT_MODEL_DIR)))
    tune = finetune.FineTune.from_args(args_for(tmp_path, corpus))
    assert tune.staging.exists()
    own_std, init_std = np.load(corpus / "stats.npz")["std"], tune.init.stats["std"]
    widened = (init_std <= finetune.STD_FLOOR) & (own_std > finetune.STD_FLOOR)  # channels the base never moved
    assert tune.widened == np.flatnonzero(widened).tolist() and len(tune.widened) > 0
    assert np.array_equal(tune.stats["std"], np.where(widened, own_std, init_std))
    (tune.staging / "manifest.json").write_text(json.dumps({"model_version": "x", "training": {}}))

    def full_disk(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(finetune, "write_card", full_disk)
    with pytest.raises(MotionComposerError, match="the disk is full while writing"):
        tune.finish(tune.staging)
    assert not (tmp_path / "mine").exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    message = finetune.user_error(OSError(errno.ENOSPC, "full"), args_for(tmp_path, corpus))
    assert "disk is full" in str(message)


def test_licence_follows_the_strictest_input():
    cmu = DataSource("CMU", "free to use, also commercially; not to be resold as data", "CMU Graphics Lab", "own")
    bandai = DataSource("bandai-1", "CC BY-NC 4.0", "", "mixed in")
    assert licence_verdict([cmu], "MIT", "base")[0].startswith("commercial use allowed")
    verdict, reasons = licence_verdict([cmu, bandai], "MIT", "base")
    assert verdict == "non-commercial" and reasons == ["mixed in: bandai-1 is CC BY-NC 4.0"]
    verdict, reasons = licence_verdict([cmu], "non-commercial use only (CC BY-NC 4.0)", "mc-1")
    assert verdict == "non-commercial" and "starts from mc-1" in reasons[0]
    assert model_card.corpus_sources(Path("/nonexistent"), "own")[0].licence.startswith("unknown")


class OneHotEvaluator:
    """Captions embed as one-hot vectors by name; a 'motion' is its own embedding (first row of the clip)."""

    names = ["dribble", "swordplay", "walk"]

    def texts(self, captions):
        return np.eye(3)[[self.names.index(c) for c in captions]]

    def motions(self, clips):
        return np.stack([c[0] for c in clips])


def test_own_data_ranks_count_better_candidates():
    ev = OneHotEvaluator()
    made = [np.array([[0.9, 0.1, 0.0]]), np.array([[0.2, 0.7, 0.1]]), np.array([[0.6, 0.0, 0.4]])]
    ranks = own_data.caption_ranks(ev, made, ["dribble", "swordplay", "walk"])
    assert ranks.tolist() == [1, 1, 2]  # the third motion looks more like a dribble than a walk
    real = [np.array([[1.0, 0.0, 0.0]]), np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 0.0, 1.0]])]
    assert own_data.motion_ranks(ev, made, real).tolist() == [1, 1, 2]
    numbers = own_data.rank_numbers(np.array([1, 1, 2]), 3)
    assert numbers == {"top1": 2 / 3, "top3": 1.0, "mean_rank": 4 / 3, "candidates": 3}


def test_a_fine_tune_without_mixing_knows_only_its_own_captions(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    for name in ("denoiser.onnx", "text_encoder.onnx", "tokenizer.json", "stats.npz"):
        (out / name).symlink_to(DEFAULT_MODEL_DIR / name)
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text()) | {"model_version": "mc-own-1"}
    (out / "manifest.json").write_text(json.dumps(manifest))
    data = vocabulary.extend(DEFAULT_MODEL_DIR, out, ["a person dribbles a basketball"] * 2, keep_base=False)
    loaded = Vocabulary.load(out)
    assert loaded.captions == ("a person dribbles a basketball",) and data["styles"] == {}
    assert loaded.model_version == "mc-own-1" and loaded.threshold == Vocabulary.load(DEFAULT_MODEL_DIR).threshold
    assert advise("a person dribbles a basketball", loaded, load_models(out, "cpu").text.encode).known


def test_own_retrieval_generates_each_held_out_clip_and_ranks_it(tmp_path):
    """engine.eval.own_data's per-model numbers on a tiny own corpus (one held-out clip: rank 1 of 1)."""
    got = own_data.own_retrieval(DEFAULT_MODEL_DIR, Evaluator(DEFAULT_EVAL_DIR, DEFAULT_MODEL_DIR),
                                 own_corpus(tmp_path), seed=0)  # fmt: skip
    assert got["caption candidates"] == 1 and got["caption top1"] == 1.0 and got["real clip mean_rank"] == 1.0
