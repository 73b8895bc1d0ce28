"""The target armature as plain arrays: what retargeting needs to know about a rig.

Read from Blender by `addon.rig_reader`, or built by hand (tests, scripts) with
`TargetSkeleton.from_bones`. Everything is in armature space, Blender's bone
convention: a bone's rest matrix has its origin at the head and its local +Y
axis along the bone (head -> tail); the roll turns the X/Z axes about +Y.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import quaternion as quat
from ..errors import RetargetError


@dataclass(frozen=True)
class TargetSkeleton:
    """Bone names, parents (-1 for none), rest matrices (B,4,4) and bone lengths.

    `object_matrix` is the armature object's world matrix: retargeting works in
    armature space and only uses it to know which way is up in the world.
    `inherit_rotation[b]` False marks hinge bones (Blender's "Inherit Rotation" off).
    `copy_of[b]` >= 0 marks a bone whose posed matrix is copied from another bone
    (a full Copy Transforms constraint, as Rigify's ORG bones have); -1 for none.
    `connected[b]` marks bones joined to their parent's tail: their location cannot move.
    `custom_properties` lists pose-bone custom properties by bone (None: not known).
    `local_location[b]` False marks bones whose location keys are in armature axes
    (Blender's "Local Location" off, as Rigify's IK controls have).
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    rest: np.ndarray = field(repr=False)
    lengths: np.ndarray = field(repr=False)
    object_matrix: np.ndarray = field(default_factory=lambda: np.eye(4), repr=False)
    inherit_rotation: tuple[bool, ...] | None = None
    name: str = "Armature"
    copy_of: tuple[int, ...] | None = None
    connected: tuple[bool, ...] | None = None
    custom_properties: dict[str, tuple[str, ...]] | None = field(default=None, repr=False)
    local_location: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.names)
        rest = np.asarray(self.rest, dtype=np.float64).reshape(n, 4, 4)
        object.__setattr__(self, "rest", rest)
        object.__setattr__(self, "lengths", np.asarray(self.lengths, dtype=np.float64).reshape(n))
        object.__setattr__(self, "object_matrix", np.asarray(self.object_matrix, dtype=np.float64).reshape(4, 4))
        if self.inherit_rotation is None:
            object.__setattr__(self, "inherit_rotation", (True,) * n)
        if self.connected is None:
            object.__setattr__(self, "connected", (False,) * n)
        if self.local_location is None:
            object.__setattr__(self, "local_location", (True,) * n)
        if self.copy_of is None:
            object.__setattr__(self, "copy_of", (-1,) * n)
        if len(self.parents) != n:
            raise ValueError("names and parents must have the same length")
        if len(set(self.names)) != n:
            raise RetargetError(f"armature {self.name!r} has duplicate bone names")
        for b, p in enumerate(self.parents):
            if not -1 <= p < n or p == b:
                raise ValueError(f"bone {self.names[b]!r} has an invalid parent index {p}")
        object.__setattr__(self, "_index", {nm: i for i, nm in enumerate(self.names)})
        object.__setattr__(self, "_order", _topological_order(self.parents, self.copy_of))
        object.__setattr__(self, "_rest_rot", quat.from_matrix(_orthonormal(rest[:, :3, :3])))

    @property
    def num_bones(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise RetargetError(f"armature {self.name!r} has no bone named {name!r}") from None

    def has(self, name: str) -> bool:
        return name in self._index

    @property
    def order(self) -> tuple[int, ...]:
        """Bone indices with every parent before its children."""
        return self._order

    @property
    def heads(self) -> np.ndarray:
        return self.rest[:, :3, 3]

    @property
    def tails(self) -> np.ndarray:
        return self.heads + self.rest[:, :3, 1] * self.lengths[:, None]

    @property
    def rest_rotations(self) -> np.ndarray:
        """Rest orientations as quaternions (B,4), armature space."""
        return self._rest_rot

    def dependencies(self, b: int) -> list[int]:
        """Bones whose pose decides this bone's pose: parent chain and copied bones, transitively."""
        out, todo = set(), [b]
        while todo:
            x = todo.pop()
            for d in (self.parents[x], self.copy_of[x]):
                if d >= 0 and d not in out:
                    out.add(d)
                    todo.append(d)
        return sorted(out)

    def ancestors(self, b: int) -> list[int]:
        out = []
        p = self.parents[b]
        while p >= 0:
            out.append(p)
            p = self.parents[p]
        return out

    def is_ancestor(self, a: int, b: int) -> bool:
        """True when bone a is a (strict) ancestor of bone b."""
        return a in self.ancestors(b)

    def depth(self, b: int) -> int:
        return len(self.ancestors(b))

    def children(self, b: int) -> list[int]:
        return [c for c, p in enumerate(self.parents) if p == b]

    def up_axis(self) -> np.ndarray:
        """World +Z expressed in armature space (unit vector)."""
        m = self.object_matrix[:3, :3]
        try:
            up = np.linalg.solve(m, np.array([0.0, 0.0, 1.0]))
        except np.linalg.LinAlgError:
            raise RetargetError(f"armature object {self.name!r} has a degenerate (zero) scale") from None
        return up / np.linalg.norm(up)

    def world_scale(self) -> float:
        """Average world length of one armature-space unit (object scale)."""
        return float(abs(np.linalg.det(self.object_matrix[:3, :3])) ** (1.0 / 3.0))

    @classmethod
    def from_bones(
        cls,
        bones: list[tuple[str, str | None, tuple[float, float, float], tuple[float, float, float], float]],
        *,
        object_matrix: np.ndarray | None = None,
        name: str = "Armature",
    ) -> TargetSkeleton:
        """Build from (name, parent name or None, head, tail, roll) rows, like Blender's edit bones."""
        names = tuple(b[0] for b in bones)
        index = {nm: i for i, nm in enumerate(names)}
        parents = tuple(-1 if b[1] is None else index[b[1]] for b in bones)
        rest = np.zeros((len(bones), 4, 4))
        lengths = np.zeros(len(bones))
        for i, (_, _, head, tail, roll) in enumerate(bones):
            head = np.asarray(head, dtype=np.float64)
            axis = np.asarray(tail, dtype=np.float64) - head
            lengths[i] = np.linalg.norm(axis)
            rest[i, :3, :3] = bone_matrix(axis, roll)
            rest[i, :3, 3] = head
            rest[i, 3, 3] = 1.0
        om = np.eye(4) if object_matrix is None else object_matrix
        return cls(names, parents, rest, lengths, om, name=name)


def bone_matrix(axis: np.ndarray, roll: float) -> np.ndarray:
    """Blender's rest orientation for a bone along `axis` with `roll` (vec_roll_to_mat3).

    The columns are the bone's local X, Y (= axis) and Z in armature space.
    """
    axis = np.asarray(axis, dtype=np.float64)
    n = np.linalg.norm(axis)
    nor = axis / n if n > 1e-12 else np.array([0.0, 1.0, 0.0])
    x, y, z = nor
    theta = 1.0 + y
    theta_alt = x * x + z * z
    if theta > 6.1e-3 or theta_alt > 2.5e-4**2:
        if theta <= 6.1e-3:
            theta = theta_alt * 0.5 + theta_alt * theta_alt * 0.125
        b = np.array(
            [
                [1 - x * x / theta, x, -x * z / theta],
                [-x, y, -z],
                [-x * z / theta, z, 1 - z * z / theta],
            ]
        )
    else:
        b = np.diag([-1.0, -1.0, 1.0])
    r = quat.to_matrix(quat.from_axis_angle(nor * roll))
    return r @ b


def _orthonormal(m: np.ndarray) -> np.ndarray:
    """Nearest rotation matrices (strips scale/shear that imported rest matrices may carry)."""
    u, _, vt = np.linalg.svd(m)
    r = u @ vt
    flip = np.linalg.det(r) < 0
    if np.any(flip):
        u[flip, :, -1] *= -1
        r = u @ vt
    return r


def _topological_order(parents: tuple[int, ...], copy_of: tuple[int, ...]) -> tuple[int, ...]:
    """Parents (and copied bones) before the bones that depend on them; copies dropped if cyclic."""
    n = len(parents)
    for use_copies in (True, False):
        deps = [[d for d in (parents[b], copy_of[b] if use_copies else -1) if d >= 0] for b in range(n)]
        users: list[list[int]] = [[] for _ in range(n)]
        pending = [len(d) for d in deps]
        for b, ds in enumerate(deps):
            for d in ds:
                users[d].append(b)
        ready = [b for b in range(n) if pending[b] == 0]
        order: list[int] = []
        while ready:
            b = ready.pop()
            order.append(b)
            for u in users[b]:
                pending[u] -= 1
                if pending[u] == 0:
                    ready.append(u)
        if len(order) == n:
            return tuple(order)
        if not use_copies:
            raise ValueError("bone parents form a cycle")
    raise AssertionError("unreachable")
