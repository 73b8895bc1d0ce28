"""The one Motion type that every stage passes around."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import quaternion as quat
from .skeleton import CANONICAL, MIRROR, Skeleton


@dataclass
class Motion:
    """Root translation (T,3) and local joint rotations (T,J,4, w x y z) at `fps`.

    `root_translation` is the world position of the skeleton's root joint;
    `contacts` (T,4) optional foot contacts in `skeleton.FOOT_JOINTS` order.
    """

    fps: float
    root_translation: np.ndarray
    rotations: np.ndarray
    skeleton: Skeleton = field(default=CANONICAL, repr=False)
    contacts: np.ndarray | None = None
    metadata: dict = field(default_factory=dict, repr=False)  # e.g. request, seed, model version

    def __post_init__(self) -> None:
        self.root_translation = np.asarray(self.root_translation, dtype=np.float64)
        self.rotations = np.asarray(self.rotations, dtype=np.float64)
        t = len(self.rotations)
        if self.rotations.shape != (t, self.skeleton.num_joints, 4):
            raise ValueError(f"rotations must be (T, {self.skeleton.num_joints}, 4), got {self.rotations.shape}")
        if self.root_translation.shape != (t, 3):
            raise ValueError(f"root_translation must be ({t}, 3), got {self.root_translation.shape}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.contacts is not None:
            self.contacts = np.asarray(self.contacts, dtype=np.float64)
            if len(self.contacts) != t:
                raise ValueError(f"contacts must have {t} frames, got {len(self.contacts)}")

    @property
    def num_frames(self) -> int:
        return len(self.rotations)

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame."""
        return (self.num_frames - 1) / self.fps

    def forward_kinematics(self) -> tuple[np.ndarray, np.ndarray]:
        """World joint positions (T,J,3) and rotations (T,J,4)."""
        return self.skeleton.forward_kinematics(self.rotations, self.root_translation)

    def positions(self) -> np.ndarray:
        return self.forward_kinematics()[0]

    def __getitem__(self, frames: slice) -> Motion:
        """Slice frames, e.g. motion[10:40]."""
        if not isinstance(frames, slice):
            raise TypeError("index a Motion with a slice of frames")
        contacts = None if self.contacts is None else self.contacts[frames]
        return replace(self, root_translation=self.root_translation[frames].copy(),
                       rotations=self.rotations[frames].copy(), contacts=contacts)  # fmt: skip

    def copy(self) -> Motion:
        return self[:]

    def resample(self, fps: float) -> Motion:
        """Same duration at a new frame rate: endpoints kept, slerp between frames."""
        if fps == self.fps:
            return self.copy()
        n = int(round(self.duration * fps)) + 1
        root, rot, contacts = self.at(np.linspace(0.0, self.num_frames - 1, n))
        return replace(self, fps=float(fps), root_translation=root, rotations=rot, contacts=contacts)

    def at(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Root, rotations and contacts at fractional frame positions (clipped to the motion): linear / slerp."""
        p = np.clip(np.asarray(positions, dtype=np.float64), 0.0, self.num_frames - 1)
        i0 = np.floor(p).astype(int)
        i1 = np.minimum(i0 + 1, self.num_frames - 1)
        t = (p - i0)[:, None]
        root = self.root_translation[i0] * (1 - t) + self.root_translation[i1] * t
        rot = quat.slerp(self.rotations[i0], self.rotations[i1], t[:, :, None])
        contacts = None if self.contacts is None else self.contacts[i0] * (1 - t) + self.contacts[i1] * t
        return root, rot, contacts

    def frames_for(self, seconds: float, fps: float) -> Motion:
        """Frames at exactly k / fps for k = 0 .. round(seconds * fps), interpolated from this motion.

        A request for `seconds` at `fps` gets exactly that many frames whatever rate the
        model runs at (the last model frame is held if it stops a fraction of a frame short).
        """
        n = int(round(seconds * fps)) + 1
        src = np.minimum(np.arange(n) * (self.fps / fps), self.num_frames - 1)
        i0 = np.minimum(np.floor(src).astype(int), self.num_frames - 1)
        i1 = np.minimum(i0 + 1, self.num_frames - 1)
        t = (src - i0)[:, None]
        root = self.root_translation[i0] * (1 - t) + self.root_translation[i1] * t
        rot = quat.slerp(self.rotations[i0], self.rotations[i1], t[:, :, None])
        contacts = None if self.contacts is None else self.contacts[i0] * (1 - t) + self.contacts[i1] * t
        return replace(self, fps=float(fps), root_translation=root, rotations=rot, contacts=contacts)

    def concatenate(self, other: Motion) -> Motion:
        """Append `other` (same skeleton and fps) after this motion."""
        if other.skeleton is not self.skeleton and other.skeleton.names != self.skeleton.names:
            raise ValueError("cannot concatenate motions on different skeletons")
        if other.fps != self.fps:
            other = other.resample(self.fps)
        contacts = None
        if self.contacts is not None and other.contacts is not None:
            contacts = np.concatenate([self.contacts, other.contacts])
        return replace(self, root_translation=np.concatenate([self.root_translation, other.root_translation]),
                       rotations=np.concatenate([self.rotations, other.rotations]), contacts=contacts)  # fmt: skip

    def mirrored(self) -> Motion:
        """Left/right mirror image across the YZ plane (x -> -x), joints swapped.

        Valid for skeletons whose rest pose is symmetric (the canonical one).
        """
        if self.skeleton.names != CANONICAL.names:
            raise ValueError("mirroring needs the canonical skeleton")
        root = self.root_translation * np.array([-1.0, 1.0, 1.0])
        rot = self.rotations[:, list(MIRROR)] * np.array([1.0, 1.0, -1.0, -1.0])
        contacts = None
        if self.contacts is not None:
            contacts = self.contacts[:, [2, 3, 0, 1]]  # (l_ankle, l_foot, r_ankle, r_foot)
        return replace(self, root_translation=root, rotations=rot, contacts=contacts)
