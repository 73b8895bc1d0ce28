"""Constraints that contradict each other get one warning line each, before sampling, naming both."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine import cli
from engine.constraints.conflicts import conflicts, names
from engine.pipeline import generation
from engine.request import GenerationRequest

WRIST_UP = {"type": "joint", "joint": "left_wrist", "time": 2.0, "position": [0.3, 0.0, 1.6]}


def request(*constraints) -> GenerationRequest:
    return GenerationRequest.from_dict({"text": "a person walks", "seconds": 4, "constraints": list(constraints)})


def test_constraints_that_can_hold_together_give_no_warning():
    later = {**WRIST_UP, "time": 2.5, "position": [0.3, 0.5, 1.4]}  # 0.54 m in 0.5 s: easy
    plant = {"type": "foot_plant", "foot": "left", "start": 1.0, "end": 1.5}
    slow_path = {"type": "root_path", "points": [[1.0, 0.0, 0.0], [1.5, 0.3, 0.0]]}
    assert request(WRIST_UP, later, plant, slow_path).warnings == []


def test_two_targets_for_one_joint_too_far_apart_for_the_time_between():
    (line,) = request(WRIST_UP, {**WRIST_UP, "time": 2.05, "position": [0.3, 1.0, 1.0]}).warnings
    assert line.startswith("constraint 0 (joint) left_wrist and constraint 1 (joint) left_wrist: ")
    assert "1.17 m apart 0.05 s apart" in line
    both_at_once = request(WRIST_UP, {**WRIST_UP, "position": [0.3, 0.2, 1.6]}).warnings
    assert len(both_at_once) == 1 and "at the same time" in both_at_once[0]


def test_a_foot_plant_while_the_root_path_moves_three_metres():
    plant = {"type": "foot_plant", "foot": "left", "start": 1.0, "end": 1.5}
    path = {"type": "root_path", "points": [[1.0, 0.0, 0.0], [1.5, 3.0, 0.0]]}
    (line,) = request(plant, path).warnings
    assert line.startswith("constraint 0 (foot_plant) left and constraint 1 (root_path): ")
    assert "3.00 m" in line


def test_targets_out_of_reach_of_the_body_or_the_root_path():
    (high,) = request({**WRIST_UP, "position": [0.3, 0.0, 2.5]}).warnings
    assert "above what the body reaches" in high
    path = {"type": "root_path", "points": [[1.0, 0.0, 0.0], [1.5, 0.3, 0.0]]}
    (far,) = request({**WRIST_UP, "time": 1.2, "position": [2.0, 0.0, 1.0]}, path).warnings
    assert "constraint 1 (root_path)" in far and "farther than it reaches" in far


def test_a_conflict_line_names_exactly_its_constraints():
    line = "constraint 0 (joint) left_wrist and constraint 1 (joint) left_wrist: targets 1.17 m apart"
    assert names(line, "constraint 1 (joint) left_wrist") and names(line, "constraint 0 (joint) left_wrist")
    assert not names(line, "constraint 1 (joint)") and not names(
        "constraint 2 (joint) head", "constraint 2 (joint) head"
    )


MODEL_DIR = Path(__file__).resolve().parent.parent / "exported_models"


@pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(), reason="needs the trained model")
def test_conflicts_are_stored_with_the_result_and_it_is_a_best_effort():
    req = GenerationRequest.from_dict({"text": "a person stands still", "seconds": 3, "fps": 20, "constraints": [
        WRIST_UP, {**WRIST_UP, "position": [0.3, 1.0, 1.6]}]})  # fmt: skip
    out = generation.generate(req, model_dir=MODEL_DIR)
    assert conflicts(req.constraint_set())[0] in out.metadata["warnings"]
    assert np.isfinite(out.positions()).all()
    misses = [r["max"] for r in out.metadata["constraints"] if r["type"] == "JointTarget"]  # "stands": + rest keys
    assert np.allclose(misses, 0.5, atol=0.01), misses  # 1 m apart at once: the compromise misses each by half


@pytest.mark.skipif(not (MODEL_DIR / "manifest.json").exists(), reason="needs the trained model")
def test_the_cli_says_a_target_was_missed_because_of_the_conflict_it_warned_about(tmp_path, capsys):
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"text": "a person stands still", "seconds": 3, "fps": 20, "constraints": [
        WRIST_UP, {**WRIST_UP, "position": [0.3, 1.0, 1.6]}]}))  # fmt: skip
    assert cli.main(["generate", "--job", str(job), "--out", str(tmp_path / "out.npz")]) == 0
    err = capsys.readouterr().err
    assert "at the same time" in err  # the conflict, before sampling
    missed = [line for line in err.splitlines() if "missed by" in line]
    assert len(missed) == 2 and all("see the warning about it above" in line for line in missed), err
