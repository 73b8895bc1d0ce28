"""Property test (issue #17): mutated inputs end in a result or the project's own error, quickly.

Hypothesis mutates job files, pose files, BVH files and command-line
arguments, starting from the shipped examples, with a fixed seed
(derandomize) and a bounded number of examples, so CI runs the same cases in
a few seconds to a minute. The model is not run: the property is about the
boundary (reading and validating), which is where every input enters.
"""

from __future__ import annotations

import json
import string
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import cli, pipeline
from engine.errors import MotionComposerError
from engine.io.bvh import read_bvh, write_bvh
from engine.io.json_input import read_json_file
from engine.motion import Motion
from engine.request import GenerationRequest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
SECONDS_PER_CASE = 5.0
FUZZ = settings(derandomize=True, max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip

# values a careless or hostile job file may hold where anything else was expected
NAMES = st.sampled_from(["joint", "keyframe", "root_path", "foot_plant", "extend", "restyle", "legs", "left_wrist",
                         "pose.json", "../outside.json", "/etc/passwd", "", " ", "\x00", "é" * 3])  # fmt: skip
NUMBERS = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([0, -1, 1e308, -1e308, 1e-308, 2**63, 1e18, 0.5]))  # fmt: skip
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, NAMES, st.text(max_size=30))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(NAMES, inner, max_size=4)), max_leaves=12)  # fmt: skip


def ends_well(fn, *args):
    """The property: fn(*args) returns or raises MotionComposerError, within the time bound."""
    started = time.perf_counter()
    try:
        fn(*args)
    except MotionComposerError as exc:
        assert "\n" not in str(exc).strip(), f"error message is not one line: {exc}"
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS_PER_CASE, f"took {elapsed:.1f} s"


def paths_in(value, prefix=()):
    """Every (path, value) inside a JSON structure, the root included."""
    yield prefix, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from paths_in(child, (*prefix, key))


def replaced(doc, path, new):
    if not path:
        return new
    doc = json.loads(json.dumps(doc))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return doc


@st.composite
def mutated_json(draw, base):
    """`base` with one to three values replaced, keys deleted or added, or its text damaged."""
    doc = base
    for _ in range(draw(st.integers(1, 3))):
        spots = list(paths_in(doc))
        path, _ = draw(st.sampled_from(spots))
        action = draw(st.sampled_from(["replace", "delete", "add", "wrap"]))
        if action == "replace" or not path:
            doc = replaced(doc, path, draw(VALUES))
        elif action == "wrap":  # a list where a name or number was expected: ["joint"]
            doc = replaced(doc, path, [json.loads(json.dumps(_value_at(doc, path)))])
        else:
            parent_path, key = path[:-1], path[-1]
            parent = json.loads(json.dumps(_value_at(doc, parent_path)))
            if action == "delete":
                del parent[key]
            elif isinstance(parent, dict):
                parent[draw(NAMES)] = draw(VALUES)
            else:
                parent.append(draw(VALUES))
            doc = replaced(doc, parent_path, parent)
    text = json.dumps(doc, allow_nan=False) if _finite(doc) else json.dumps(doc)
    if draw(st.booleans()):
        text = draw(damaged_text(text))
    return text


def _value_at(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def _finite(doc) -> bool:
    return all(not isinstance(v, float) or np.isfinite(v) for _, v in paths_in(doc))


@st.composite
def damaged_text(draw, text: str):
    """Text with a slice deleted, duplicated or replaced (truncation, junk, deep brackets, long numbers)."""
    i = draw(st.integers(0, len(text)))
    j = draw(st.integers(i, min(len(text), i + 40)))
    junk = draw(st.one_of(st.text(string.printable, max_size=20), st.sampled_from(
        ["[" * 5000, "{" * 300, "9" * 400, "1e999", "NaN", "-Infinity", "\x00\xff", '"' * 3])))  # fmt: skip
    kind = draw(st.sampled_from(["delete", "duplicate", "replace", "truncate"]))
    if kind == "delete":
        return text[:i] + text[j:]
    if kind == "duplicate":
        return text[:j] + text[i:j] + text[j:]
    if kind == "truncate":
        return text[:i]
    return text[:i] + junk + text[j:]


def validate_job(path: Path) -> None:
    """What every entry point does with a job file before the model runs."""
    GenerationRequest.from_dict(read_json_file(path, "job file"), base_dir=path.parent)  # typed and checked once


@pytest.mark.timeout(600)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_mutated_job_files(tmp_path, example):
    base = json.loads(example.read_text())
    for pose in (ROOT / "examples").glob("*pose*.json"):
        (tmp_path / pose.name).write_text(pose.read_text())
    path = tmp_path / "job.json"

    @FUZZ
    @given(mutated_json(base))
    def check(text):
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        ends_well(validate_job, path)

    check()


@pytest.mark.timeout(300)
def test_mutated_pose_files(tmp_path):
    pose = json.loads((ROOT / "examples" / "constraints_pose_stand.json").read_text())
    job = {
        "text": "a person stands",
        "seconds": 2.0,
        "constraints": [{"type": "keyframe", "time": 1.0, "pose": "p.json"}],
    }

    @FUZZ
    @given(mutated_json(pose))
    def check(text):
        (tmp_path / "p.json").write_text(text, encoding="utf-8", errors="surrogatepass")
        ends_well(GenerationRequest.from_dict, job, tmp_path)

    check()


def small_bvh(tmp_path: Path) -> str:
    rng = np.random.default_rng(0)
    q = rng.normal(size=(4, 22, 4))
    path = tmp_path / "base.bvh"
    write_bvh(
        path,
        Motion(
            fps=30.0, root_translation=rng.normal(size=(4, 3)), rotations=q / np.linalg.norm(q, axis=-1, keepdims=True)
        ),
    )
    return path.read_text()


@pytest.mark.timeout(300)
def test_mutated_bvh_files(tmp_path):
    base = small_bvh(tmp_path)
    lines = base.splitlines()
    path = tmp_path / "x.bvh"
    header_lines = [i for i, line in enumerate(lines) if line.startswith(("Frames:", "Frame Time:"))]

    @st.composite
    def mutated(draw):
        out = list(lines)
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(out) - 1))
            kind = draw(st.sampled_from(["delete", "duplicate", "swap", "number", "damage", "header"]))
            if kind == "delete":
                del out[i]
            elif kind == "duplicate":
                out.insert(i, out[i])
            elif kind == "swap":
                k = draw(st.integers(0, len(out) - 1))
                out[i], out[k] = out[k], out[i]
            elif kind == "number":
                words = out[i].split() or [""]
                w = draw(st.integers(0, len(words) - 1))
                words[w] = (
                    str(draw(NUMBERS))
                    if draw(st.booleans())
                    else draw(st.sampled_from(["nan", "inf", "1e999", "9" * 400]))
                )
                out[i] = " ".join(words)
            elif kind == "header" and header_lines:
                h = draw(st.sampled_from(header_lines))
                if h < len(out):
                    out[h] = draw(st.sampled_from(["Frames: 999999999", "Frames: -1", "Frames: " + "9" * 5000,
                                                   "Frame Time: 0", "Frame Time: 1e-300", "Frames: 4.5"]))  # fmt: skip
            else:
                out[i] = draw(damaged_text(out[i]))
        return "\n".join(out) + "\n"

    @FUZZ
    @given(mutated())
    def check(text):
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        ends_well(read_bvh, path)

    check()


OPTIONS = ["--text", "--job", "--seconds", "--seed", "--steps", "--guidance", "--fps", "--threads", "--provider",
           "--out", "--overwrite", "--allow-outside-paths", "--model-dir"]  # fmt: skip


@pytest.mark.timeout(300)
def test_mutated_command_lines(tmp_path, monkeypatch, capsys):
    def fake_generate(request, **kwargs):
        n = int(round(request.seconds * request.fps)) + 1
        motion = Motion(
            fps=request.fps, root_translation=np.zeros((n, 3)), rotations=np.tile([1.0, 0, 0, 0], (n, 22, 1))
        )
        motion.metadata = {"model_version": "fake", "warnings": []}
        return motion

    monkeypatch.setattr(pipeline, "generate", fake_generate)
    monkeypatch.setenv("MOTION_COMPOSER_LOG_DIR", str(tmp_path / "logs"))
    (tmp_path / "job.json").write_text(json.dumps({"text": "walk", "seconds": 1}))
    values = st.one_of(st.sampled_from(["walk", "1", "-1", "0", "1e308", "nan", "inf", "-inf", "999999", "2.5", "",
                                        str(tmp_path), str(tmp_path / "job.json"), str(tmp_path / "o.bvh"),
                                        str(tmp_path / "o.npz"), str(tmp_path / "o.txt"), "/dev/zero", "9" * 5000]),
                       st.text(max_size=10))  # fmt: skip
    argv = st.lists(st.one_of(st.sampled_from(OPTIONS), values), max_size=10)

    @FUZZ
    @given(argv)
    def check(args):
        started = time.perf_counter()
        try:
            code = cli.main(["generate", *args])
        except SystemExit as exc:  # argparse usage errors: exit code 2 and a usage line
            code = exc.code
        err = capsys.readouterr().err
        assert code in (0, 2, 130), f"exit {code}: {err}"
        assert "Traceback" not in err and time.perf_counter() - started < SECONDS_PER_CASE
        for out in (tmp_path / "o.bvh", tmp_path / "o.npz"):
            out.unlink(missing_ok=True)

    check()
