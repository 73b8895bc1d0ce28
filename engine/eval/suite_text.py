"""Text-to-motion suite: real motions vs a retrieval baseline vs the generator, on the test split."""

from __future__ import annotations

from ..kinematics import contact
from ..skeleton import FOOT_JOINTS
from . import metrics as M
from . import sources
from .clips import pair_ids, pick_captions
from .suites import Context, Goal, Row, SuiteResult, register

REAL, FLOOR, LIBRARY = "real test", "train floor", "retrieval"
GEN, GEN50 = "generator (default)", "generator (50 steps)"
GEN_CLEAN = "generator (default) + foot clean-up"
COLUMNS = [REAL, LIBRARY, GEN, GEN50, GEN_CLEAN, FLOOR]
GEN50_STEPS = 50


def build_sets(ctx: Context) -> dict[str, dict[str, sources.MotionSet]]:
    """{column: {"train": set answering training phrasings, "heldout": set answering held-out ones}}."""
    test, fps, seed = ctx.test, ctx.test.fps, ctx.seed
    captions = pick_captions(test, seed)
    heldout = pick_captions(test, seed + 1, heldout=True)
    frames = [len(c) for c in test.features]
    train = ctx.train()
    library = sources.RetrievalBaseline(train, ctx.evaluator.minilm.encode)
    real = sources.real(test, captions)
    sets = {
        REAL: {"train": real, "heldout": sources.MotionSet(real.label, heldout, real.features, real.positions)},
        FLOOR: {"train": sources.train_floor(test, train, captions, seed)},
        LIBRARY: {
            "train": library.query(captions, frames, seed, LIBRARY),
            "heldout": library.query(heldout, frames, seed, LIBRARY),
        },  # fmt: skip
    }
    for column, steps in ((GEN, None), (GEN50, GEN50_STEPS)):
        sets[column] = {"train": sources.generated(column, captions, frames, fps, seed, steps, ctx.model_dir)}
        print(f"  {column}: {sets[column]['train'].seconds:.0f} s", flush=True)
        if not (ctx.quick and steps == GEN50_STEPS):
            sets[column]["heldout"] = sources.generated(column, heldout, frames, fps, seed, steps, ctx.model_dir)
    sets[GEN_CLEAN] = {"train": sources.foot_cleaned(GEN_CLEAN, sets[GEN]["train"])}
    return sets


@register("text_to_motion")
def run(ctx: Context) -> SuiteResult:
    sets = ctx.cached("text_to_motion_sets", lambda: build_sets(ctx))
    ev, test, fps = ctx.evaluator, ctx.test, ctx.test.fps
    groups = pair_ids(test.pairs)
    emb = {c: {k: ev.motions(s.features) for k, s in v.items()} for c, v in sets.items()}
    text = {k: ev.texts(sets[REAL][k].captions) for k in ("train", "heldout")}

    def rprec(column, kind):
        if kind not in emb[column]:
            return [None] * 3
        return [float(x) for x in M.r_precision(text[kind], emb[column][kind], groups, 32, 3, ctx.seed)]

    r = {c: rprec(c, "train") for c in COLUMNS}
    rh = {c: rprec(c, "heldout") for c in COLUMNS}
    fid = {c: M.fid(emb[REAL]["train"], emb[c]["train"]) for c in COLUMNS}
    fid[REAL] = 0.0
    pos = {c: sets[c]["train"].positions for c in COLUMNS}
    skate = {c: 100 * M.foot_skate_ratio(pos[c], fps) for c in COLUMNS}
    rows = [
        Row("R-precision top-1", {c: r[c][0] for c in COLUMNS}),
        Row("R-precision top-2", {c: r[c][1] for c in COLUMNS}),
        Row("R-precision top-3", {c: r[c][2] for c in COLUMNS}),
        Row("held-out phrasing R-precision top-1", {c: rh[c][0] for c in COLUMNS}),
        Row("held-out phrasing R-precision top-3", {c: rh[c][2] for c in COLUMNS}),
        Row("FID to real test", fid),
        Row("diversity", {c: M.diversity(emb[c]["train"]) for c in COLUMNS}),
        Row("multimodality (within label)", {c: M.multimodality(emb[c]["train"], groups) for c in COLUMNS}),
        Row(f"foot skate (h < rest + {contact.HEIGHT_MARGIN * 100:g} cm, v > {contact.SPEED:g} m/s)", skate, "%", 2),
        Row("floor penetration (below rest height)", {c: 100 * M.floor_penetration(pos[c]) for c in COLUMNS}, "cm"),
        Row("mean jerk", {c: M.mean_jerk(pos[c], fps) for c in COLUMNS}, "m/s^3", 1),
        Row(
            "time spent on the column (all its sets; clean-up alone)",
            {c: sum(s.seconds for s in sets[c].values()) for c in COLUMNS},
            "s",
            1,
        ),
    ]
    goals = []
    for g in (GEN, GEN50):
        goals += [
            Goal(
                f"{g}: R-precision top-3 within 10% of real",
                r[g][2],
                0.9 * r[REAL][2],
                r[g][2] >= 0.9 * r[REAL][2],
                ">= 0.9 x real",
            ),  # fmt: skip
        ]
        if rh[g][2] is not None:
            goals.append(Goal(f"{g}: held-out phrasing R-precision top-3 at least the retrieval baseline's",
                              rh[g][2], rh[LIBRARY][2], rh[g][2] >= rh[LIBRARY][2], ">= retrieval"))  # fmt: skip
        goals += [
            Goal(
                f"{g}: FID at most twice the real-data floor",
                fid[g],
                2 * fid[FLOOR],
                fid[g] <= 2 * fid[FLOOR],
                "<= 2 x floor",
            ),  # fmt: skip
            Goal(
                f"{g}: foot skating no worse than real motions",
                skate[g],
                skate[REAL],
                skate[g] <= skate[REAL],
                "<= real (%)",
            ),  # fmt: skip
        ]
    n = len(test)
    rest = ", ".join(f"{k} {v * 100:.2f} cm" for k, v in zip(FOOT_JOINTS, contact.FOOT_REST, strict=True))
    notes = [
        f"{n} test items (one per test clip: its label pair, a caption drawn with the seed, its duration); "
        f"R-precision in batches of 32 ({n // 32 * 32} items used), one true caption per batch, captions of "
        "other items with the same content and style label left out of the candidates.",
        "Held-out phrasing: captions built only from templates and synonyms never used in training; the "
        "retrieval baseline and the generator answer them with new motions, real motions are scored against them.",
        f"Retrieval baseline: train clip of the label whose plainest caption is nearest to the query in the "
        f"MiniLM space, trimmed to the item's duration. Train floor: a random original train clip with each "
        f"item's label, trimmed likewise; FID floor = its FID to the real test set ({fid[FLOOR]:.3f}).",
        f"Foot skate: a foot joint step (ankles and toes, frame t to t+1 at {fps:g} fps) is grounded when the "
        f"joint is below its standing height + {contact.HEIGHT_MARGIN * 100:g} cm at both frames (standing "
        f"heights: {rest}), and skates when it also moves faster than {contact.SPEED:g} m/s horizontally; "
        "the value is skating / grounded steps. Floor penetration: mean depth of the foot joints below their "
        "standing height over all frames. Jerk: mean |d3p/dt3| over all joints and frames.",
        f"'{GEN_CLEAN}': the default generator's motions after engine.constraints.cleanup with no constraints "
        "(feet pinned where the model predicts contact); engine.generate does not run it today.",
        "Diversity: mean evaluator-embedding distance over all pairs; multimodality: the same within each "
        "content+style label, averaged over labels. Embeddings are unit vectors (distances between 0 and 2).",
    ]
    if ctx.quick:
        notes.append("--quick: test subset, no held-out phrasing run for the 50-step generator.")
    return SuiteResult("Text to motion (test split)", COLUMNS, rows, goals, notes)
