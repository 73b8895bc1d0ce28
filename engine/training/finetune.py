"""Fine-tuning: `python -m engine.training.train --init exported_models --corpus CORPUS [--mix BASE:0.5] --out DIR`.

The hooks train.py calls when --init is given: the starting network and its
feature statistics come from the model folder (so the fine-tuned model reads
its inputs exactly as the shipped one did, and its text encoder is copied,
not re-exported), batches optionally mix in a base corpus so old motions are
not forgotten, and the export goes to a temporary folder beside --out that
is renamed into place only when the model, its manifest and its model card
are complete. A full disk or any failure leaves no half-written model folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import MotionComposerError
from . import vocabulary
from .init_model import InitModel, load_init
from .model_card import DataSource, captions_seen, corpus_sources, init_licence, write_card

TEXT_FILES = ("text_encoder", "tokenizer")
VOCABULARY_LIMIT = 500  # captions stored in the manifest
#: prepare floors every feature's std at 0.01: a channel at the floor never moved in the base corpus
STD_FLOOR = 0.0101


def widened_stats(init_stats: dict, corpus: Path) -> tuple[dict, list[int]]:
    """The init model's statistics, with the std of channels it never saw move taken from the new corpus.

    The base corpus holds, e.g., no spine3 or toe rotation (its skeleton lacks
    them) and strictly hinged knees, so those channels have the floor std
    0.01; a library that moves them would feed the network values hundreds of
    standard deviations out. Widening only those channels keeps the model's
    reading of every other channel exactly as trained, and the model still
    predicts the old constant there until it learns otherwise.
    """
    own = np.load(corpus / "stats.npz")
    widen = (init_stats["std"] <= STD_FLOOR) & (own["std"] > STD_FLOOR)
    std = np.where(widen, own["std"], init_stats["std"]).astype(np.float32)
    return {"mean": init_stats["mean"], "std": std}, [int(i) for i in np.flatnonzero(widen)]


def parse_mix(text: str | None) -> tuple[Path, float] | None:
    """'base_corpus:0.5' -> (path, fraction of each batch drawn from it)."""
    if not text:
        return None
    return corpus_share(text, "--mix", "CORPUS:FRACTION with a fraction between 0 and 1, e.g. "
                        "~/.cache/motion_composer/corpus:0.5")  # fmt: skip


def corpus_share(text: str, option: str, usage: str, default: float | None = None,
                 build: str = "python -m engine.training.prepare") -> tuple[Path, float]:  # fmt: skip
    """'CORPUS:SHARE' (or 'CORPUS' alone, taking `default`) -> (folder, share of each batch drawn from it).

    One-line errors name `option`; `usage` says how to write it, `build` how to make the corpus.
    """
    path, sep, tail = text.rpartition(":")
    if default is not None and (not sep or "/" in tail):
        path, share = text, default
    else:
        try:
            share = float(tail)
        except ValueError:
            share = -1.0
    if not path or not 0.0 < share < 1.0:
        raise MotionComposerError(f"{option} {text!r}: write {usage}")
    folder = Path(path).expanduser()
    if not (folder / "train.npz").exists():
        raise MotionComposerError(f"{option} {folder}: no train.npz there (build it with {build})")
    return folder, share


class MixedCorpus:
    """Batches drawn from the user's corpus and, with probability `share` per item, from the base corpus."""

    def __init__(self, own, base, share: float):
        self.own, self.base, self.share = own, base, share
        self.fps = own.fps

    def batch(self, rng: np.random.Generator, size: int, *args):
        n_base = int(rng.binomial(size, self.share))
        parts = [c.batch(rng, n, *args) for c, n in ((self.own, size - n_base), (self.base, n_base)) if n]
        return [torch.cat(tensors) for tensors in zip(*parts, strict=True)]


@dataclass
class FineTune:
    init: InitModel
    out: Path
    staging: Path
    corpus: Path
    mix: tuple[Path, float] | None
    stats: dict  # the init model's feature statistics, widened where the new corpus moves (see widened_stats)
    widened: list[int]
    started: float
    cpu_started: float

    @classmethod
    def from_args(cls, args, main: bool = True) -> FineTune | None:
        """None without --init; otherwise the checked set-up (one-line errors for bad input).

        Under torchrun only the main rank (`main`) writes: the others read the
        same init model and corpus, and end before the export.
        """
        if not args.init or not Path(args.init).is_dir():
            return None  # no --init, or a warm start from a .onnx / .pt file (engine/training/warm_start.py)
        corpus = Path(args.corpus).expanduser()
        if not (corpus / "train.npz").exists():
            raise MotionComposerError(
                f"--corpus {corpus}: no train.npz (build it with python -m engine.training.prepare)"
            )
        fps = float(np.load(corpus / "train.npz")["fps"])
        init = load_init(Path(args.init), fps)
        mix = parse_mix(args.mix)
        out = Path(args.out)
        if out.resolve() == init.folder.resolve():
            raise MotionComposerError(f"--out {out} is the --init folder; give a new folder for the fine-tuned model")
        if out.exists() and not (out / "manifest.json").exists():
            raise MotionComposerError(f"--out {out} exists and is not a model folder; give a new folder")
        staging = staging_folder(out)
        if main:
            remove_staging(out)  # a run that died earlier may have left one
            staging.mkdir(parents=True)
        stats, widened = widened_stats(init.stats, corpus)
        return cls(init, out, staging, corpus, mix, stats, widened, time.time(), time.process_time())

    def checkpoints(self) -> Path:
        """Default checkpoint folder of this fine-tune (never the base training's)."""
        tag = hashlib.sha256(str(self.out.resolve()).encode()).hexdigest()[:8]
        return Path.home() / ".cache" / "motion_composer" / f"finetune-{self.out.name}-{tag}"

    def text_files(self) -> tuple[Path, Path]:
        """The init model's text encoder and tokenizer (read in place; `finish` copies them into the new model)."""
        files = self.init.manifest["files"]
        return self.init.folder / files["text_encoder"], self.init.folder / files["tokenizer"]

    def model(self, impute: bool):
        model = self.init.denoiser(impute)
        print(f"initial weights from {self.init.folder / self.init.manifest['files']['denoiser']}", flush=True)
        return model

    def load_corpus(self, corpus_class, corpus_args: tuple):
        own = corpus_class(self.corpus / "train.npz", *corpus_args)
        if self.mix is None:
            return own
        return MixedCorpus(own, corpus_class(self.mix[0] / "train.npz", *corpus_args), self.mix[1])

    def sources(self) -> list[DataSource]:
        out = corpus_sources(self.corpus, "fine-tune corpus")
        if self.mix:
            out += corpus_sources(self.mix[0], f"mixed in ({self.mix[1]:.0%} of each batch)")
        return out

    def finish(self, exported: Path) -> Path:
        """Manifest additions and model card, then the staging folder becomes --out."""
        manifest_path = exported / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        manifest["training"] |= {
            "init": self.init.version,
            "mix": f"{self.mix[0]}:{self.mix[1]}" if self.mix else None,
            "wall_minutes": round((time.time() - self.started) / 60, 1),
            "cpu_minutes": round((time.process_time() - self.cpu_started) / 60, 1),
            "widened_std_channels": self.widened,
        }
        manifest["data"] = [s.to_dict() for s in self.sources()]
        manifest["vocabulary"] = captions_seen(self.corpus)[:VOCABULARY_LIMIT]  # what the panel shows it knows
        manifest["init"] = {"model_version": self.init.version, "folder": str(self.init.folder),
                            "licence": init_licence(self.init)}  # fmt: skip
        try:
            files = self.init.manifest["files"]
            for key in TEXT_FILES:
                shutil.copy2(self.init.folder / files[key], exported / Path(files[key]).name)
            vocabulary.extend(self.init.folder, exported, captions_seen(self.corpus), keep_base=self.mix is not None)
            write_card(exported, manifest, self.corpus)
            old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
            if self.out.exists():
                self.out.rename(old)
            exported.rename(self.out)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            self.abandon()
            raise disk_error(exc, self.out) from None
        return self.out

    def abandon(self) -> None:
        remove_staging(self.out)


def staging_folder(out: Path) -> Path:
    return Path(out).parent / f".{Path(out).name}.tmp-{os.getpid()}"


def remove_staging(out: Path) -> None:
    """Remove the temporary folders of fine-tunes into `out` (this run's after a failure, or dead runs')."""
    for tmp in Path(out).parent.glob(f".{Path(out).name}.tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def disk_error(exc: OSError, out: Path) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return MotionComposerError(f"the disk is full while writing {out}; nothing was written there (free space and "
                                   "run again: training resumes from its checkpoint)")  # fmt: skip
    return MotionComposerError(f"cannot write {out}: {exc}")


def user_error(exc: Exception, args) -> Exception:
    """The one-line error for a failed training run (a full disk included); re-raises anything else.

    A fine-tune's temporary folder goes with it, so --out is either complete or untouched.
    """
    if args.init:
        remove_staging(Path(args.out))
    if isinstance(exc, MotionComposerError):
        return exc
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_error(exc, Path(args.out))
    raise exc
