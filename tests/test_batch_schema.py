"""docs/job.schema.json agrees with engine/request.py, and the examples follow both."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from engine.errors import RequestError
from engine.request import GenerationRequest
from engine.skeleton import BODY_PART_NAMES, CANONICAL

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "job.schema.json").read_text())
EXAMPLES = sorted((ROOT / "examples").glob("job_*.json"))


def validate(value, schema, root=SCHEMA, path="$") -> None:
    """A small JSON Schema checker for the keywords job.schema.json uses."""
    if "$ref" in schema:
        node = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        validate(value, node, root, path)
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        kinds = {"object": dict, "array": list, "string": str, "null": type(None), "number": (int, float),
                 "integer": int}  # fmt: skip
        ok = any(isinstance(value, kinds[n]) and not isinstance(value, bool) or (n == "null" and value is None)
                 for n in names)  # fmt: skip
        assert ok, f"{path}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in enum"
    if "const" in schema:
        assert value == schema["const"], f"{path}: {value!r} != {schema['const']!r}"
    if "pattern" in schema and isinstance(value, str):
        assert re.search(schema["pattern"], value), f"{path}: {value!r} does not match {schema['pattern']}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value) and value <= schema.get("maximum", value), path
        if "exclusiveMinimum" in schema:
            assert value > schema["exclusiveMinimum"], path
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{path}: missing {key!r}"
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                validate(item, props[key], root, f"{path}.{key}")
            elif not any(re.search(p, key) for p in schema.get("patternProperties", {})):
                assert schema.get("additionalProperties", True) is not False, f"{path}: unknown field {key!r}"
    if isinstance(value, list):
        assert schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)), f"{path}: length"
        if schema.get("uniqueItems"):
            assert len({json.dumps(v) for v in value}) == len(value), f"{path}: duplicates"
        for i, item in enumerate(value):
            if "items" in schema:
                validate(item, schema["items"], root, f"{path}[{i}]")
    for sub in schema.get("anyOf", []), schema.get("oneOf", []):
        if sub:
            passed = sum(_passes(value, s, root) for s in sub)
            assert passed >= 1 if sub is schema.get("anyOf") else passed == 1, f"{path}: anyOf/oneOf"


def _passes(value, schema, root) -> bool:
    try:
        validate(value, schema, root)
    except AssertionError:
        return False
    return True


def test_schema_lists_exactly_the_fields_the_engine_knows():
    with pytest.raises(RequestError, match="known fields: (.*)") as info:
        GenerationRequest.from_dict({"text": "x", "zzz": 1})
    known = set(info.value.args[0].split("known fields: ")[1].split(", "))
    assert set(SCHEMA["properties"]) == known
    assert SCHEMA["$defs"]["body_part"]["enum"] == list(BODY_PART_NAMES)
    assert SCHEMA["$defs"]["joint"]["enum"] == list(CANONICAL.names)
    assert set(SCHEMA["$defs"]["track"]["properties"]) == {"text", "start", "end", "body_parts"}


def test_schema_constraint_fields_match_the_constraint_parser():
    parse = pytest.importorskip("engine.constraints.parse", reason="the constraints engine has not landed")
    variants = {v["properties"]["type"]["const"]: set(v["properties"]) for v in SCHEMA["$defs"]["constraint"]["oneOf"]}
    assert variants == {kind: set(fields) for kind, fields in parse.FIELDS.items()}


def test_schema_edit_fields_match_the_engine():
    from engine.edits import OPS, REQUIRED

    variants = {v["properties"]["op"]["const"]: v for v in SCHEMA["$defs"]["edit"]["oneOf"]}
    assert set(variants) == set(OPS)
    for op, cls in OPS.items():
        assert set(variants[op]["properties"]) == {"op", *(f.name for f in dataclasses.fields(cls))}
        assert set(variants[op]["required"]) == {"op", *REQUIRED[op]}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_follow_the_schema_and_the_engine(path):
    data = json.loads(path.read_text())
    validate(data, SCHEMA)
    request = GenerationRequest.from_json_file(path)
    assert GenerationRequest.from_dict(request.to_dict()).to_dict() == request.to_dict()


@pytest.mark.parametrize("bad", [{"seconds": 2}, {"text": "walk", "seconds": 0}, {"text": "x", "speed": 1},
                                 {"tracks": [{"text": "x", "body_parts": ["tail"]}]},
                                 {"text": "x", "edits": [{"op": "restyle", "text": "y", "amount": 1}]},
                                 {"text": "x", "edits": [{"op": "extend", "text": "y"}]}])  # fmt: skip
def test_schema_and_engine_reject_the_same_bad_jobs(bad):
    assert not _passes(bad, SCHEMA, SCHEMA)
    with pytest.raises(RequestError):
        GenerationRequest.from_dict(bad)
