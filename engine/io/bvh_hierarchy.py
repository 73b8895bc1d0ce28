"""Parser for the HIERARCHY section of a BVH file: joints, offsets, channels, End Sites.

Works on (token, line) pairs so that the layout of braces and line breaks does
not matter, while every error still names its line. Joint names and channel
columns follow Blender's importer (spaces joined with '_', columns numbered in
the order CHANNELS lines appear), except that a duplicate joint name is an
error: retargeting and bone mapping go by name, so two joints with one name
cannot both be animated. Joint count and nesting depth are limited
(engine.limits), so a hostile file cannot exhaust the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import BVHError
from ..limits import as_int

_CHANNELS = {f"{a}{kind}".lower(): (kind, a) for a in "XYZ" for kind in ("position", "rotation")}


@dataclass
class Joint:
    """One ROOT or JOINT block; the *_cols are columns of a MOTION row (offset in file units and axes)."""

    name: str
    parent: int
    offset: np.ndarray | None = None
    rot_cols: list[int] = field(default_factory=list)
    rot_axes: str = ""
    pos_cols: list[int | None] = field(default_factory=lambda: [None, None, None])


class Hierarchy:
    """Recursive-descent parser over the (token, line) pairs of the HIERARCHY section."""

    def __init__(self, tokens: list[tuple[str, int]], where: str, end_line: int, motion_found: bool):
        self.tokens, self.pos, self.where, self.end_line = tokens, 0, where, end_line
        self.end_what = (
            "'MOTION' comes before the HIERARCHY is complete" if motion_found else "file ends inside HIERARCHY"
        )
        self.joints: list[Joint] = []
        self.lines: dict[str, int] = {}  # joint name -> line it is declared on
        self.max_joints, self.max_depth = as_int("bvh_joints"), as_int("bvh_depth")
        self.end_sites: list[tuple[int, np.ndarray]] = []  # (joint, offset): kept only to guess units
        self.num_channels = 0

    def error(self, line: int, what: str) -> BVHError:
        return BVHError(f"{self.where}: line {line}: {what}")

    def next(self, expected: str) -> tuple[str, int]:
        if self.pos >= len(self.tokens):
            raise self.error(self.end_line, f"{self.end_what}, expected {expected} (truncated file?)")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expect(self, word: str) -> None:
        tok, line = self.next(f"'{word}'")
        if tok.lower() != word.lower():
            raise self.error(line, f"expected '{word}', found '{tok}'")

    def rest_of_line(self, line: int) -> list[str]:
        """The remaining tokens of `line`, up to an opening brace."""
        out = []
        while self.pos < len(self.tokens) and self.tokens[self.pos][1] == line and self.tokens[self.pos][0] != "{":
            out.append(self.tokens[self.pos][0])
            self.pos += 1
        return out

    def offset(self, line: int) -> np.ndarray:
        values = self.rest_of_line(line)
        try:
            offset = np.array([float(v) for v in values])
        except ValueError:
            offset = np.zeros(0)
        if offset.shape != (3,) or not np.isfinite(offset).all():
            raise self.error(line, f"OFFSET needs 3 numbers, found '{' '.join(values)}'")
        return offset

    def parse(self) -> None:
        tok, line = self.next("'HIERARCHY'")
        if tok.upper() != "HIERARCHY":
            raise self.error(line, f"a BVH file starts with 'HIERARCHY', found '{tok}'")
        tok, line = self.next("'ROOT'")
        if tok.upper() != "ROOT":
            raise self.error(line, f"expected 'ROOT', found '{tok}'")
        self.joint(line, parent=-1, depth=1)
        if self.pos < len(self.tokens):
            tok, line = self.tokens[self.pos]
            what = "a second ROOT (one skeleton per file is supported)" if tok.upper() == "ROOT" else f"'{tok}'"
            raise self.error(line, f"unexpected {what} after the ROOT block; expected 'MOTION'")

    def joint(self, line: int, parent: int, depth: int) -> None:
        words = self.rest_of_line(line)
        if not words:
            raise self.error(line, "joint without a name")
        if depth > self.max_depth:
            raise self.error(line, f"joints nest more than {self.max_depth} levels deep (the limit)")
        if len(self.joints) >= self.max_joints:
            raise self.error(line, f"more than {self.max_joints:,} joints (the limit)")
        name = "_".join(words)  # spaces become '_', as in Blender
        if name in self.lines:
            raise self.error(line, f"joint name '{name}' is also used on line {self.lines[name]}; "
                                   "joint names must be unique, rename one")  # fmt: skip
        self.lines[name] = line
        joint, index = Joint(name, parent), len(self.joints)
        self.joints.append(joint)
        self.expect("{")
        while True:
            tok, line = self.next("'}'")
            word = tok.upper()
            if word == "OFFSET":
                joint.offset = self.offset(line)
            elif word == "CHANNELS":
                self.channels(joint, line)
            elif word == "JOINT":
                self.joint(line, parent=index, depth=depth + 1)
            elif word == "END":
                self.expect("Site")
                self.rest_of_line(line)  # a name after 'End Site' is ignored, as Blender does
                self.expect("{")
                self.expect("OFFSET")
                self.end_sites.append((index, self.offset(self.tokens[self.pos - 1][1])))
                self.expect("}")
            elif tok == "}":
                break
            else:
                raise self.error(
                    line, f"unknown keyword '{tok}' in HIERARCHY (expected OFFSET, CHANNELS, JOINT, End Site or '}}')"
                )
        if joint.offset is None:
            raise self.error(line, f"joint '{joint.name}' has no OFFSET")

    def channels(self, joint: Joint, line: int) -> None:
        words = self.rest_of_line(line)
        if not words or not words[0].isdigit() or int(words[0]) != len(words) - 1:
            raise self.error(
                line, f"CHANNELS needs a count and that many channel names on its line, found '{' '.join(words)}'"
            )
        if joint.rot_axes or joint.pos_cols != [None, None, None]:
            raise self.error(line, f"joint '{joint.name}' has a second CHANNELS line")
        for name in words[1:]:
            if name.lower() not in _CHANNELS:
                raise self.error(line, f"unknown channel '{name}' (expected X/Y/Z position or rotation)")
            kind, axis = _CHANNELS[name.lower()]
            if kind == "rotation":
                if axis in joint.rot_axes:
                    raise self.error(line, f"joint '{joint.name}' lists {axis}rotation twice")
                joint.rot_axes += axis
                joint.rot_cols.append(self.num_channels)
            else:
                if joint.pos_cols["XYZ".index(axis)] is not None:
                    raise self.error(line, f"joint '{joint.name}' lists {axis}position twice")
                joint.pos_cols["XYZ".index(axis)] = self.num_channels
            self.num_channels += 1

    def rest_points(self) -> np.ndarray:
        """Rest positions of the joints and End Sites (file units), to guess the units."""
        pos = np.zeros((len(self.joints), 3))
        for j, joint in enumerate(self.joints):
            pos[j] = joint.offset + (pos[joint.parent] if joint.parent >= 0 else 0.0)
        return np.vstack([pos, *(pos[j] + end for j, end in self.end_sites)])
