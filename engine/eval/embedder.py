"""The shipped evaluator at run time (onnxruntime only): captions and motions -> 256-d unit embeddings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

from ..errors import ModelFilesError
from ..text_encoder import TextEncoder
from .clips import stats_fingerprint

MOTION_FILE = "motion_encoder.onnx"
TEXT_FILE = "text_projection.onnx"
DEFAULT_EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "exported_models" / "eval"
BATCH = 32


def _session(path: Path, threads: int | None = None):
    if not Path(path).exists():
        raise ModelFilesError(
            f"evaluator file {path} is missing; train it with `python -m engine.eval.train_evaluator`"
        )
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def find_text_encoder(*dirs: Path) -> tuple[Path, Path]:
    """MiniLM ONNX + tokenizer from the first directory that has both (a model dir or its export)."""
    for d in dirs:
        if d is not None and (Path(d) / "text_encoder.onnx").exists() and (Path(d) / "tokenizer.json").exists():
            return Path(d) / "text_encoder.onnx", Path(d) / "tokenizer.json"
    raise ModelFilesError(f"no text_encoder.onnx + tokenizer.json in {', '.join(str(d) for d in dirs if d)}")


class Evaluator:
    """Embeds captions (MiniLM + projection) and feature clips (motion encoder) for the metrics."""

    def __init__(self, eval_dir: Path = DEFAULT_EVAL_DIR, text_dir: Path | None = None, threads: int | None = None):
        self.directory = Path(eval_dir)
        self.motion = _session(self.directory / MOTION_FILE, threads)
        self.projection = _session(self.directory / TEXT_FILE, threads)
        text_onnx, tokenizer = find_text_encoder(text_dir, self.directory.parent)
        self.minilm = TextEncoder(text_onnx, tokenizer, lambda p: _session(p, threads))
        info = self.directory / "evaluator.json"
        self.info = json.loads(info.read_text()) if info.exists() else {}

    def corpus_mismatch(self, corpus: Path) -> str:
        """'' when `corpus` is the build the evaluator was trained on, else a sentence saying it is not."""
        expected = self.info.get("corpus", {}).get("stats_fingerprint")
        found = stats_fingerprint(corpus)
        if expected and expected != found:
            return (
                f"the corpus at {corpus} (statistics {found}) is not the build the evaluator was trained on "
                f"({expected}, {self.info['corpus'].get('path', '?')}): its numbers are not comparable"
            )
        return ""

    def texts(self, captions: list[str]) -> np.ndarray:
        """(N, 256) unit vectors for the captions."""
        return self.project(self.minilm.encode(list(captions)))

    def project(self, minilm: np.ndarray) -> np.ndarray:
        return self.projection.run(None, {"text": np.asarray(minilm, np.float32)})[0]

    def motions(self, clips: list[np.ndarray]) -> np.ndarray:
        """(N, 256) unit vectors for raw feature clips (T_i, 203) at the model rate.

        Clips are batched by length (padding masked out), so the result does
        not depend on the order they come in.
        """
        out = np.zeros((len(clips), 0), np.float32)
        order = sorted(range(len(clips)), key=lambda i: (len(clips[i]), i))
        rows = {}
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            frames = max(len(clips[i]) for i in idx)
            frames += frames % 2
            feats = np.zeros((len(idx), frames, clips[idx[0]].shape[1]), np.float32)
            valid = np.zeros((len(idx), frames), np.float32)
            for row, i in enumerate(idx):
                feats[row, : len(clips[i])] = clips[i]
                valid[row, : len(clips[i])] = 1.0
            emb = self.motion.run(None, {"features": feats, "valid": valid})[0]
            rows.update(zip(idx, emb, strict=True))
        if rows:
            out = np.stack([rows[i] for i in range(len(clips))])
        return out
