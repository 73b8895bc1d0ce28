"""Quaternion and rotation helpers (w, x, y, z), vectorised over leading axes.

One place for rotation maths so FK, retargeting, features and IO agree on the
convention: unit quaternions, Hamilton product, active rotations.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-9


def normalize(q: np.ndarray) -> np.ndarray:
    """Unit quaternions; zero-length input becomes the identity."""
    q = np.asarray(q, dtype=np.float64)
    n = np.sqrt(np.einsum("...i,...i->...", q, q))[..., None]
    out = q / np.maximum(n, EPS)
    zero = ~(n[..., 0] > EPS)  # zero length (or NaN): the identity
    if zero.any():
        out[zero] = (1.0, 0.0, 0.0, 0.0)
    return out


def identity(shape: tuple[int, ...] = ()) -> np.ndarray:
    q = np.zeros(tuple(shape) + (4,))
    q[..., 0] = 1.0
    return q


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a*b (apply b first, then a)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    aw, ax, ay, az = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bw, bx, by, bz = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))  # filled in place: no stack of four temporaries
    out[..., 0] = aw * bw - ax * bx - ay * by - az * bz
    out[..., 1] = aw * bx + ax * bw + ay * bz - az * by
    out[..., 2] = aw * by - ax * bz + ay * bw + az * bx
    out[..., 3] = aw * bz + ax * by - ay * bx + az * bw
    return out


def conjugate(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    return q * np.array([1.0, -1.0, -1.0, -1.0])


inverse = conjugate  # unit quaternions only


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b over the last axis (3), broadcast like np.cross but without its axis shuffling: FK and IK call it
    thousands of times per generation, where np.cross's overhead was a tenth of a two-character cast."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    out[..., 0] = a1 * b2 - a2 * b1
    out[..., 1] = a2 * b0 - a0 * b2
    out[..., 2] = a0 * b1 - a1 * b0
    return out


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors v (...,3) by quaternions q (...,4)."""
    q = np.asarray(q, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    w = q[..., :1]
    u = q[..., 1:]
    t = 2.0 * cross(u, v)
    return v + w * t + cross(u, t)


def to_matrix(q: np.ndarray) -> np.ndarray:
    q = normalize(q)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    m = np.empty(q.shape[:-1] + (3, 3))
    m[..., 0, 0] = 1 - 2 * (y * y + z * z)
    m[..., 0, 1] = 2 * (x * y - w * z)
    m[..., 0, 2] = 2 * (x * z + w * y)
    m[..., 1, 0] = 2 * (x * y + w * z)
    m[..., 1, 1] = 1 - 2 * (x * x + z * z)
    m[..., 1, 2] = 2 * (y * z - w * x)
    m[..., 2, 0] = 2 * (x * z - w * y)
    m[..., 2, 1] = 2 * (y * z + w * x)
    m[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return m


def from_matrix(m: np.ndarray) -> np.ndarray:
    """Rotation matrices (...,3,3) to quaternions with w >= 0 (robust branch choice)."""
    m = np.asarray(m, dtype=np.float64)
    shape = m.shape[:-2]
    m = m.reshape(-1, 3, 3)
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    m00, m01, m02 = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    m10, m11, m12 = m[:, 1, 0], m[:, 1, 1], m[:, 1, 2]
    m20, m21, m22 = m[:, 2, 0], m[:, 2, 1], m[:, 2, 2]
    cand = np.empty((len(m), 4, 4))  # the four branches' quaternions, filled in place
    cand[:, 0] = np.stack([1 + tr, m21 - m12, m02 - m20, m10 - m01], -1)
    cand[:, 1] = np.stack([m21 - m12, 1 + m00 - m11 - m22, m01 + m10, m02 + m20], -1)
    cand[:, 2] = np.stack([m02 - m20, m01 + m10, 1 - m00 + m11 - m22, m12 + m21], -1)
    cand[:, 3] = np.stack([m10 - m01, m02 + m20, m12 + m21, 1 - m00 - m11 + m22], -1)
    diag = np.stack([tr, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], -1)
    best = np.argmax(diag, axis=-1)
    q = cand[np.arange(len(m)), best]
    q = normalize(q)
    q = np.where(q[:, :1] < 0, -q, q)
    return q.reshape(shape + (4,))


def from_axis_angle(axis_angle: np.ndarray) -> np.ndarray:
    """Rotation vectors (...,3), angle = norm, to quaternions."""
    v = np.asarray(axis_angle, dtype=np.float64)
    angle = np.linalg.norm(v, axis=-1, keepdims=True)
    half = 0.5 * angle
    # sin(half)/angle, with its limit 0.5 at zero angle
    k = np.where(angle > 1e-8, np.sin(half) / np.maximum(angle, 1e-12), 0.5 - angle**2 / 48.0)
    return np.concatenate([np.cos(half), v * k], axis=-1)


def to_axis_angle(q: np.ndarray) -> np.ndarray:
    """Quaternions to rotation vectors with angle in [0, pi]."""
    q = normalize(q)
    q = np.where(q[..., :1] < 0, -q, q)
    s = np.linalg.norm(q[..., 1:], axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., :1])
    k = np.where(s > 1e-8, angle / np.maximum(s, 1e-12), 2.0)
    return q[..., 1:] * k


def from_two_vectors(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest-arc rotation taking direction a to direction b."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), EPS)
    b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), EPS)
    d = np.sum(a * b, axis=-1, keepdims=True)
    c = cross(a, b)
    q = np.concatenate([1.0 + d, c], axis=-1)
    # opposite vectors: rotate 180 degrees about any axis orthogonal to a
    opposite = d[..., 0] < -1 + 1e-9
    if np.any(opposite):
        ortho = np.cross(a, np.array([1.0, 0.0, 0.0]))
        small = np.linalg.norm(ortho, axis=-1) < 1e-6
        ortho = np.where(small[..., None], np.cross(a, np.array([0.0, 1.0, 0.0])), ortho)
        q = np.where(opposite[..., None], np.concatenate([np.zeros_like(d), ortho], -1), q)
    return normalize(q)


def from_frame(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Rotation whose local X maps to `primary` and local Y to `secondary` (orthogonalised)."""
    x = np.asarray(primary, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)
    y = np.asarray(secondary, dtype=np.float64)
    y = y - np.sum(y * x, axis=-1, keepdims=True) * x
    y = y / np.maximum(np.linalg.norm(y, axis=-1, keepdims=True), EPS)
    z = cross(x, y)
    return from_matrix(np.stack([x, y, z], axis=-1))


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Spherical interpolation along the short arc; t broadcasts over leading axes."""
    a = normalize(a)
    b = normalize(b)
    t = np.asarray(t, dtype=np.float64)
    if t.ndim and t.shape[-1] != 1:
        t = t[..., None]
    d = np.sum(a * b, axis=-1, keepdims=True)
    b = np.where(d < 0, -b, b)
    d = np.abs(d)
    theta = np.arccos(np.clip(d, -1.0, 1.0))
    s = np.sin(theta)
    near = s < 1e-6
    wa = np.where(near, 1.0 - t, np.sin((1.0 - t) * theta) / np.where(near, 1.0, s))
    wb = np.where(near, t, np.sin(t * theta) / np.where(near, 1.0, s))
    return normalize(wa * a + wb * b)


def continuous(q: np.ndarray, axis: int = 0) -> np.ndarray:
    """Flip signs along `axis` (time) so neighbouring quaternions lie in one hemisphere.

    Vectorised: frame t is flipped by the product of the signs of all earlier
    neighbour dot products, which is what flipping frame by frame amounts to.
    """
    q = np.moveaxis(np.asarray(q, dtype=np.float64), axis, 0)
    if len(q) < 2:
        return np.moveaxis(q.copy(), 0, axis)
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    signs = np.concatenate([np.ones_like(dots[:1]), np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)])
    return np.moveaxis(q * signs[..., None], 0, axis)


def to_6d(q: np.ndarray) -> np.ndarray:
    """Continuous 6D representation: the first two columns of the rotation matrix."""
    m = to_matrix(q)
    return np.concatenate([m[..., :, 0], m[..., :, 1]], axis=-1)


def from_6d(r: np.ndarray) -> np.ndarray:
    """6D back to quaternions via Gram-Schmidt (accepts unnormalised network outputs)."""
    r = np.asarray(r, dtype=np.float64)
    return from_frame(r[..., :3], r[..., 3:6])


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation angle (radians) of a^-1 b."""
    d = np.abs(np.sum(normalize(a) * normalize(b), axis=-1))
    return 2.0 * np.arccos(np.clip(d, 0.0, 1.0))


def about_z(angle: np.ndarray) -> np.ndarray:
    angle = np.asarray(angle, dtype=np.float64)
    z = np.zeros(angle.shape + (4,))
    z[..., 0] = np.cos(angle / 2)
    z[..., 3] = np.sin(angle / 2)
    return z
