"""Vocabulary suite: every content and style label of the corpus, generated beside that label's real clips.

The test split holds none of dataset 1's labels (one or two clips each, all
in training), so the text-to-motion suite cannot see a lost kick or a styled
walk that stands still. Here every content label (its plainest pair: the
'normal' style when it exists) and every style label (as a walk when that
pair exists) is generated from its plainest caption and compared with the
real clips of the same pair: test clips where there are any, training clips
otherwise (the table says which). Measured: evaluator retrieval of the label
among all the suite's labels, and the label's signature movement (speed of
walks and dashes, foot height of kicks and dances, wrist speed relative to
the pelvis for punches, slashes and waves, wrist height for raised hands,
pelvis rise for jumps, flips and get-ups, head drop for bows).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..skeleton import JOINT_NAMES
from ..training.captions import canonical_caption
from . import metrics as M
from . import sources
from .clips import DEFAULT_CORPUS, Split, load_split
from .embedder import DEFAULT_EVAL_DIR, Evaluator
from .suites import Context, Goal, Row, SuiteResult, register

MAX_SECONDS, MIN_SECONDS = 10.0, 3.0
NEUTRAL, WALK = "normal", "walk"
WAVES = ("wave-right-hand", "wave-left-hand", "wave-both-hands")
SIGNATURE_GOAL, WAVE_GOAL, STYLE_SPEED_GOAL, STYLE_R_GOAL = 0.7, 0.8, 0.5, 0.9
PER_LABEL = {True: 1, False: 3}  # generated motions per label: quick, full
_J = {n: i for i, n in enumerate(JOINT_NAMES)}
FEET = [_J[n] for n in ("left_ankle", "right_ankle", "left_foot", "right_foot")]
WRISTS = M.WRISTS


def _speed(p: np.ndarray, fps: float) -> float:
    return float(np.linalg.norm(np.diff(p[:, 0, :2], axis=0), axis=-1).mean() * fps)


MEASURES = {
    "speed": ("m/s", _speed),
    "foot height": ("m", lambda p, fps: float(p[:, FEET, 2].max())),
    "wrist speed": ("m/s", M.wrist_speed),
    "wrist height": ("m", lambda p, fps: float(p[:, WRISTS, 2].max())),
    "pelvis rise": ("m", lambda p, fps: float(np.ptp(p[:, 0, 2]))),
    "head drop": ("m", lambda p, fps: float(p[0, _J["head"], 2] - p[:, _J["head"], 2].min())),
}
# content label -> its signature measure, by the first keyword it contains
SIGNATURE_RULES = (("kick", "foot height"), ("dance", "foot height"), ("raise", "wrist height"),
                   ("punch", "wrist speed"), ("slash", "wrist speed"), ("wave", "wrist speed"),
                   ("bye", "wrist speed"), ("call", "wrist speed"), ("guide", "wrist speed"),
                   ("respond", "wrist speed"), ("spin", "wrist speed"), ("bow", "head drop"),
                   ("jump", "pelvis rise"), ("flip", "pelvis rise"), ("cartwheel", "pelvis rise"),
                   ("get-up", "pelvis rise"), ("roll", "pelvis rise"))  # fmt: skip


def signature(content: str) -> str:
    """The movement that makes a content label recognisable (speed for every kind of walk, run and crawl)."""
    return next((m for key, m in SIGNATURE_RULES if key in content), "speed")


@dataclass
class Label:
    content: str
    style: str
    kinds: tuple[str, ...]  # "content" and/or "style": which vocabulary entry this pair stands for
    reference: str  # "test" or "train": where its real clips come from
    clips: list[np.ndarray]

    @property
    def caption(self) -> str:
        return canonical_caption(self.content, self.style)


def vocabulary(test: Split, train: Split) -> list[Label]:
    """One label pair per content label and per style label of the corpus, with its real clips."""
    counts = Counter(train.pairs) + Counter(test.pairs)
    chosen: dict[tuple[str, str], list[str]] = {}
    for content in sorted({c for c, _ in counts}):
        pair = (content, NEUTRAL) if (content, NEUTRAL) in counts else _most_common(counts, 0, content)
        chosen.setdefault(pair, []).append("content")
    for style in sorted({s for _, s in counts}):
        pair = (WALK, style) if (WALK, style) in counts else _most_common(counts, 1, style)
        chosen.setdefault(pair, []).append("style")
    out = []
    for (content, style), kinds in chosen.items():
        split = test if (content, style) in set(test.pairs) else train
        clips = [c for c, p in zip(split.features, split.pairs, strict=True) if p == (content, style)]
        out.append(Label(content, style, tuple(kinds), "test" if split is test else "train", clips))
    return out


def _most_common(counts: Counter, position: int, value: str) -> tuple[str, str]:
    return max((p for p in counts if p[position] == value), key=lambda p: (counts[p], p))


def measure(ctx: Context) -> list[dict]:
    """Per label: generated and real signature values and retrieval hits (top-3 among the suite's labels)."""
    labels = vocabulary(ctx.test, ctx.train())
    fps, n = ctx.test.fps, PER_LABEL[ctx.quick]
    captions = [lab.caption for lab in labels]
    text = ctx.evaluator.texts(captions)
    rows = []
    for i, lab in enumerate(labels):
        real = [c[: int(MAX_SECONDS * fps) + 1] for c in lab.clips]
        seconds = float(np.clip(np.median([(len(c) - 1) / fps for c in real]), MIN_SECONDS, MAX_SECONDS))
        gen = sources.generated(lab.caption, [lab.caption] * n, [int(round(seconds * fps)) + 1] * n, fps,
                                ctx.seed * 7919 + i, None, ctx.model_dir)  # fmt: skip
        real_set = sources.from_features(lab.caption, [lab.caption] * len(real), real, fps)
        row = {"label": lab, "gen_top3": _top3(ctx, gen.features, text, i), "real_top3": _top3(ctx, real, text, i)}
        for name, (_, fn) in MEASURES.items():
            row[("gen", name)] = float(np.mean([fn(p, fps) for p in gen.positions]))
            row[("real", name)] = float(np.mean([fn(p, fps) for p in real_set.positions]))
        rows.append(row)
    return rows


def _top3(ctx: Context, features: list[np.ndarray], text: np.ndarray, index: int) -> float:
    """Share of the motions whose own label caption is among the 3 nearest of all the suite's label captions."""
    emb = ctx.evaluator.motions(features)
    sim = _unit(emb) @ _unit(text).T
    rank = (sim > sim[:, index : index + 1]).sum(axis=1)
    return float((rank < 3).mean())


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def ratio(row: dict, name: str) -> float:
    return row[("gen", name)] / max(row[("real", name)], 1e-6)


def summary(rows: list[dict]) -> dict:
    """The issue's vocabulary goals as numbers (also what the ablation table reports)."""
    content = [r for r in rows if "content" in r["label"].kinds]
    signature_ratios = [ratio(r, signature(r["label"].content)) for r in content]
    waves = [ratio(r, "wrist speed") for r in content if r["label"].content in WAVES]
    styled = [r for r in rows if "style" in r["label"].kinds and r["label"].content == WALK]
    gen_speed = np.array([r[("gen", "speed")] for r in styled])
    real_speed = np.array([r[("real", "speed")] for r in styled])
    corr = float(np.corrcoef(gen_speed, real_speed)[0, 1]) if len(styled) > 2 and gen_speed.std() > 0 else 0.0
    return {
        "labels": len(rows),
        "gen_top3": float(np.mean([r["gen_top3"] for r in rows])),
        "real_top3": float(np.mean([r["real_top3"] for r in rows])),
        "signature_min_ratio": float(min(signature_ratios)),
        "signature_labels_ok": int(sum(x >= SIGNATURE_GOAL for x in signature_ratios)),
        "signature_labels": len(signature_ratios),
        "wave_wrist_ratio": float(np.mean(waves)) if waves else float("nan"),
        "styled_walks": len(styled),
        "styled_walk_min_ratio": float((gen_speed / np.maximum(real_speed, 1e-6)).min()) if styled else float("nan"),
        "styled_walk_speed_r": corr,
    }


COLUMNS = ["generated", "real", "generated / real", "retrieval top-3, generated", "retrieval top-3, real"]


@register("vocabulary", quick=True)
def run(ctx: Context) -> SuiteResult:
    rows = ctx.cached("vocabulary_rows", lambda: measure(ctx))
    s = summary(rows)
    table = []
    for r in sorted(rows, key=lambda r: (r["label"].kinds[0], r["label"].content, r["label"].style)):
        lab = r["label"]
        names = [signature(lab.content)] if "content" in lab.kinds else []
        if "style" in lab.kinds and "speed" not in names:
            names.append("speed")
        if lab.content in WAVES:
            names = ["wrist speed"]
        for name in names:
            unit = MEASURES[name][0]
            table.append(Row(f"{lab.content} / {lab.style} ({'+'.join(lab.kinds)}; real: {lab.reference} clips): "
                             f"{name}", {COLUMNS[0]: r[("gen", name)], COLUMNS[1]: r[("real", name)],
                                         COLUMNS[2]: ratio(r, name), COLUMNS[3]: r["gen_top3"],
                                         COLUMNS[4]: r["real_top3"]}, unit, 2))  # fmt: skip
    table.append(Row("all labels: retrieval top-3", {COLUMNS[3]: s["gen_top3"], COLUMNS[4]: s["real_top3"]}))
    table.append(
        Row("styled walks: speed correlation with real across styles (r)", {COLUMNS[2]: s["styled_walk_speed_r"]})
    )
    goals = [
        Goal("vocabulary: every content label's signature movement >= 0.7 x real", s["signature_min_ratio"],
             SIGNATURE_GOAL, s["signature_min_ratio"] >= SIGNATURE_GOAL, ">= 0.7 x real (lowest label)"),
        Goal("vocabulary: wave wrist speed relative to the pelvis", s["wave_wrist_ratio"], WAVE_GOAL,
             s["wave_wrist_ratio"] >= WAVE_GOAL, ">= 0.8 x real"),
        Goal("vocabulary: every styled walk's speed", s["styled_walk_min_ratio"], STYLE_SPEED_GOAL,
             s["styled_walk_min_ratio"] >= STYLE_SPEED_GOAL, ">= 0.5 x real (slowest style)"),
        Goal("vocabulary: styled-walk speeds correlate with real across styles", s["styled_walk_speed_r"],
             STYLE_R_GOAL, s["styled_walk_speed_r"] >= STYLE_R_GOAL, "r >= 0.9"),
    ]  # fmt: skip
    train_only = sum(r["label"].reference == "train" for r in rows)
    notes = [
        f"{s['labels']} label pairs: every content label (with the 'normal' style where that pair exists, else its "
        "most frequent style) and every style label (as a walk where that pair exists); each generated "
        f"{PER_LABEL[ctx.quick]} time(s) from its plainest caption, e.g. '{canonical_caption('kick', NEUTRAL)}', "
        "for the median duration of its real clips (3-10 s), seed fixed per label.",
        f"Real clips: the pair's test clips where the test split has any, else its TRAINING clips ({train_only} of "
        f"{s['labels']} labels; the model has seen those clips, so 'real' there is what it was taught, not held out).",
        "Signature movements (world positions, 20 fps): speed = mean horizontal pelvis speed; foot height = highest "
        "ankle or toe; wrist speed = mean speed of the faster wrist relative to the pelvis; wrist height = highest "
        "wrist; pelvis rise = pelvis height range; head drop = head height at the start minus its lowest.",
        "Retrieval: the evaluator's embedding of each motion against the plainest captions of all the suite's labels; "
        "a hit when its own label is among the 3 nearest (close labels such as two styles of walk compete).",
        f"Summary: {s['signature_labels_ok']} of {s['signature_labels']} content labels reach 0.7 x real in their "
        f"signature; {s['styled_walks']} styled walks.",
    ]
    return SuiteResult("Vocabulary (every label of the corpus)", COLUMNS, table, goals, notes)


def main(argv=None) -> int:
    """`python -m engine.eval.vocabulary_suite --model-dir DIR [--full]`: the summary numbers as JSON."""
    import argparse
    import json
    from pathlib import Path

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--full", action="store_true", help=f"{PER_LABEL[False]} motions per label instead of 1")
    args = ap.parse_args(argv)
    evaluator = Evaluator(args.eval_dir, text_dir=args.model_dir)
    ctx = Context(args.model_dir, args.corpus, args.seed, not args.full, evaluator, load_split(args.corpus, "test"))
    rows = measure(ctx)
    out = summary(rows)
    out["labels_below_goal"] = [f"{r['label'].content}/{r['label'].style}: {signature(r['label'].content)} "
                                f"{ratio(r, signature(r['label'].content)):.2f}" for r in rows
                                if "content" in r["label"].kinds
                                and ratio(r, signature(r["label"].content)) < SIGNATURE_GOAL]  # fmt: skip
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
