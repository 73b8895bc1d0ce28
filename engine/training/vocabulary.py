"""Write the model's vocabulary for prompt help (engine.prompt_help): what it learned, and a threshold.

    python -m engine.training.vocabulary [--corpus DIR] [--models exported_models]

Reference captions: for every (action, style) pair in the training split, its
training phrasings with the subject "a person" (plain, with the style's first
adjective, with its first adverb). A prompt's familiarity is its mean cosine
similarity to its TOP_K nearest reference captions. Calibration: the held-out
phrasings of the same pairs (templates and synonyms never trained on) must
pass; the prompts in UNKNOWN_PROMPTS (actions no corpus has) must warn. The
threshold maximises the mean of the two rates on half of each set (even
positions); the rates on the other half are what is reported as measured.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from ..prompt_help import EMBEDDINGS_FILE, TOP_K, VOCABULARY_FILE, Vocabulary, familiarity
from ..runtime import DEFAULT_MODEL_DIR, load_models
from .captions import CONTENTS, STYLES, canonical_caption, heldout_captions
from .idle import IDLE_LABEL

#: actions no training corpus has: calibration prompts that must warn
UNKNOWN_PROMPTS = (
    "a person swims", "a person swims breaststroke in a pool", "a person sits down on a chair",
    "someone sits on a chair and crosses the legs", "a person climbs a ladder", "a person rides a bicycle",
    "a person plays the guitar", "a person drives a car", "a person lies down on a bed to sleep",
    "a person lifts a heavy box from the floor", "a person does push-ups", "a person skis down a slope",
    "a person paddles a canoe", "a person types on a keyboard", "a person drinks from a cup",
    "a person brushes the teeth", "a person rows a boat", "a person juggles three balls",
    "a person throws a ball overhand", "a person picks up a phone and talks", "a person ice skates",
    "a person eats with a spoon", "a person swings a golf club", "a person plays basketball and shoots",
    "a person climbs a rock wall", "a person sits cross-legged on the floor", "a person kneels down to pray",
    "a person rides a horse", "a person shovels snow", "a person plays the piano", "a person hammers a nail",
    "a person opens a door and walks through", "a person reads a book", "a person surfs a wave",
    "a person pushes a shopping cart", "a person sweeps the floor with a broom",
)  # fmt: skip
HELDOUT_PER_PAIR = 3


def reference_captions(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(caption, action) rows for the trained pairs: training verbs with the first adjective / adverb."""
    out: dict[str, str] = {}
    for content, style in pairs:
        adjs, advs = STYLES[style][0], STYLES[style][1]
        for verb in CONTENTS[content][0]:
            article = "an" if adjs[0][:1] in ("a", "e", "i", "o", "u") else "a"
            for text in (f"a person {verb}", f"{article} {adjs[0]} person {verb}" if adjs[0] else "",
                         f"a person {verb} {advs[0]}" if advs[0] else ""):  # fmt: skip
                if text:
                    out.setdefault(text, content)
    return list(out.items())


def calibrate(known: np.ndarray, unknown: np.ndarray) -> tuple[float, float, float]:
    """(threshold, pass rate of known phrasings, warn rate of unknown prompts) maximising their mean."""
    best = (0.0, 1.0, 0.0)
    for t in np.unique(np.concatenate([known, unknown])):
        passed, warned = float(np.mean(known >= t)), float(np.mean(unknown < t))
        if passed + warned > best[1] + best[2] + 1e-9:
            best = (float(t), passed, warned)
    return best


def build(corpus: Path, model_dir: Path) -> dict:
    split = np.load(corpus / "train.npz")
    models = load_models(model_dir, "cpu")
    trained = {(str(c), str(s)) for c, s in zip(split["contents"], split["styles"], strict=True)}
    if models.manifest.details.get("training", {}).get("recipe", {}).get("idle_items"):
        trained.add(IDLE_LABEL)  # standing-still stretches cut from the clips (train.py --idle-items)
    pairs = sorted(trained)
    rows = reference_captions(pairs)
    captions = [c for c, _ in rows]
    emb = models.text.encode(captions)
    rng = random.Random(0)
    heldout = [
        h
        for c, s in pairs
        for h in rng.sample(heldout_captions(c, s), min(HELDOUT_PER_PAIR, len(heldout_captions(c, s))))
    ]
    known = familiarity(models.text.encode(heldout), emb)
    unknown = familiarity(models.text.encode(list(UNKNOWN_PROMPTS)), emb)
    threshold, fit_pass, fit_warn = calibrate(known[::2], unknown[::2])
    threshold = round(threshold - 1e-4, 4)  # exactly the calibrated boundary passes
    passed, warned = float(np.mean(known[1::2] >= threshold)), float(np.mean(unknown[1::2] < threshold))
    styles = {s: [w for w in (STYLES[s][0][0], STYLES[s][1][0]) if w] for s in sorted({s for _, s in pairs})}
    data = {
        "model_version": models.version,
        "threshold": threshold,
        "actions": sorted({c for c, _ in pairs}),
        "styles": {s: w for s, w in styles.items() if w},
        "examples": {c: canonical_caption(c, "normal") for c in sorted({c for c, _ in pairs})},
        "captions": captions,
        "caption_actions": [a for _, a in rows],
        "top_k": TOP_K,
        "calibration": {
            "heldout_phrasings": len(heldout), "unknown_prompts": len(UNKNOWN_PROMPTS),
            "fit_heldout_pass_rate": round(fit_pass, 4), "fit_unknown_warn_rate": round(fit_warn, 4),
            "heldout_pass_rate": round(passed, 4), "unknown_warn_rate": round(warned, 4),
        },
    }  # fmt: skip
    (model_dir / VOCABULARY_FILE).write_text(json.dumps(data, indent=1) + "\n")
    np.save(model_dir / EMBEDDINGS_FILE, emb.astype(np.float16))
    return data


def extend(base_dir: Path, out_dir: Path, own_captions: list[str], keep_base: bool) -> dict | None:
    """A fine-tuned model's vocabulary: its own training captions (each its own action), plus the base model's
    when the base corpus was mixed in (without mixing the base vocabulary is forgotten). The threshold is the
    base's: the text encoder is the same, and own captions come without held-out phrasings to calibrate on.
    None (no files written) when the base model has no vocabulary."""
    base = Vocabulary.load(base_dir)
    if base is None:
        return None
    own = [c for c in dict.fromkeys(own_captions) if not keep_base or c not in base.captions]
    emb = load_models(out_dir, "cpu").text.encode(own) if own else np.zeros((0, base.embeddings.shape[1]))
    captions = (list(base.captions) if keep_base else []) + own
    caption_actions = (list(base.actions) if keep_base else []) + own
    data = {
        "model_version": json.loads((out_dir / "manifest.json").read_text()).get("model_version", "unknown"),
        "threshold": base.threshold,
        "actions": sorted(set(caption_actions)),
        "styles": base.styles if keep_base else {},
        "examples": (base.examples if keep_base else {}) | {c: c for c in own},
        "captions": captions,
        "caption_actions": caption_actions,
        "top_k": TOP_K,
        "calibration": {"threshold_from": base.model_version, "base_captions_kept": keep_base} | base.calibration,
    }  # fmt: skip
    (out_dir / VOCABULARY_FILE).write_text(json.dumps(data, indent=1) + "\n")
    stacked = np.concatenate([base.embeddings, emb]) if keep_base else emb
    np.save(out_dir / EMBEDDINGS_FILE, stacked.astype(np.float16))
    return data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m engine.training.vocabulary", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path.home() / ".cache/motion_composer/corpus")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODEL_DIR)
    args = parser.parse_args(argv)
    data = build(args.corpus, args.models)
    c = data["calibration"]
    print(f"{len(data['captions'])} reference captions, {len(data['actions'])} actions, {len(data['styles'])} styles; "
          f"threshold {data['threshold']} (top-{TOP_K} mean similarity); on the half not used to fit it: "
          f"{c['heldout_pass_rate']:.1%} of {c['heldout_phrasings'] // 2} held-out phrasings pass, "
          f"{c['unknown_warn_rate']:.1%} of {c['unknown_prompts'] // 2} unknown prompts warn")  # fmt: skip


if __name__ == "__main__":
    main()
