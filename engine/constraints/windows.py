"""Constraints on a timeline: the ConstraintSet split per sampling window, in window time and coordinates.

engine.timeline samples several tracks and long sequences window by window.
Each window gets a `WindowGuide` (a Guide, guidance.py) for the constraints
that fall inside it: times relative to the window's first frame, world
positions relative to where that frame is in the world (its WindowFrame).
The first window starts where the constraints pin time 0 (coordinates.choose_frame);
a later window starts where the features already final before it end, so its
frame is integrated from them (the root and heading the decoded sequence will
have there). The composer feeds the guide's observations to every row of the
window's batch, and every composed prediction is guided as in a single
window; clean-up of the decoded sequence then makes every constraint exact
(generate.finish).

A sparse root path is cut at the window's end by the point interpolated
there (in time, between its waypoints), so a window heads towards waypoints
that lie beyond it instead of leaving the whole correction to the next one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace

import numpy as np

from ..observations import PATH_COS, PATH_SIN, PATH_X, PATH_Y, ROOT_PATH_SCALE
from .coordinates import WindowFrame, choose_frame
from .guidance import Guide, GuideOptions
from .trajectory import Trajectory, rotate_xy
from .types import ConstraintSet, RootPath, frame_at


def window_constraints(cset: ConstraintSet, lo: int, hi: int, fps: float) -> ConstraintSet:
    """The constraints on model frames [lo, hi), times relative to frame `lo` (positions stay world)."""
    s0, s1 = lo / fps, (hi - 1) / fps

    def overlaps(start: float, end: float) -> bool:
        return frame_at(start, fps) <= hi - 1 and frame_at(end, fps) >= lo

    def clip(c):
        c = copy.copy(c)
        c.start, c.end = max(c.start, s0) - s0, min(c.end, s1) - s0
        return c

    paths = [q for q in (_path_piece(p, lo, hi, fps) for p in cset.paths) if q is not None]
    return ConstraintSet(
        keyframes=[replace(k, time=k.time - s0) for k in cset.keyframes if overlaps(k.time, k.time)],
        joints=[clip(j) for j in cset.joints if overlaps(j.start, j.end)],
        paths=paths,
        plants=[clip(p) for p in cset.plants if overlaps(p.start, p.end)],
        functions=[clip(f) for f in cset.functions if overlaps(f.start, f.end)],
    )


def _path_piece(p: RootPath, lo: int, hi: int, fps: float) -> RootPath | None:
    """The part of a root path on model frames [lo, hi), in window time; None where the window misses it."""
    s0, s1 = lo / fps, (hi - 1) / fps
    if p.dense:  # a curve: cut exactly at the window's ends (it is linear in time between its points)
        a, b = max(p.times[0], s0), min(p.times[-1], s1)
        if a > b:
            return None
        times = np.unique(np.concatenate([[a], p.times[(p.times > a) & (p.times < b)], [b]]))
        xy, z = p.at(times)
    else:  # waypoints: those inside, plus the path's point at the window's end when it goes on after it
        frames = np.array([frame_at(t, fps) for t in p.times])
        keep = (frames >= lo) & (frames <= hi - 1)
        times, xy, z = p.times[keep], p.points[keep], p.heights[keep]
        if p.times[0] <= s1 < p.times[-1] and not (keep.any() and frames[keep][-1] == hi - 1):
            times, xy, z = np.append(times, s1), np.concatenate([xy, p.at(np.array([s1]))[0]]), np.append(z, np.nan)
        if not len(times):
            return None
    facing = p.facing
    if len(facing):
        on = [lo <= frame_at(t, fps) <= hi - 1 for t in facing[:, 0]]
        facing = facing[on] - [s0, 0.0]
    return replace(p, times=times - s0, points=xy, heights=z, facing=facing)


class WindowGuide(Guide):
    """A window's Guide as the timeline composer uses it: the same observations for every row's crop."""

    def crop_observations(
        self, starts: Iterable[int], t: int | None = None
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """obs and obs_mask for window frames [a, T) per crop start a, root path channels relative to frame a, for
        the network call at diffusion time t.

        The model observes a root path relative to its row's first frame; for a
        crop that starts inside the window that frame's place comes from the
        latest prediction, so before the first one a late crop observes no path.
        """
        obs, mask = self.observations(t)
        out = {}
        traj = None
        for a in starts:
            if a == 0:
                out[a] = (obs, mask)
                continue
            o, m = obs[a:].copy(), mask[a:].copy()
            if self.last is None:
                m[:, PATH_X:] = 0.0
                o[:, PATH_X:] = 0.0
            else:
                if traj is None:
                    traj = Trajectory.from_features(self.last, self.fps)
                (x0, y0), yaw0 = traj.root[a] / ROOT_PATH_SCALE, traj.yaw[a]
                o[:, PATH_X], o[:, PATH_Y] = rotate_xy(o[:, PATH_X] - x0, o[:, PATH_Y] - y0, -yaw0)
                cos, sin = rotate_xy(o[:, PATH_COS], o[:, PATH_SIN], -yaw0)  # the heading turned by -yaw0
                o[:, PATH_SIN], o[:, PATH_COS] = sin, cos
                o[:, PATH_X:] *= m[:, PATH_X:]
            out[a] = (o, m)
        return out


class TimelineGuides:
    """The guides of one timeline's windows, asked for in window order (each window's frame follows the last)."""

    def __init__(self, cset: ConstraintSet, mean: np.ndarray, std: np.ndarray, fps: float,
                 options: GuideOptions | None = None) -> None:  # fmt: skip
        self.cset, self.mean, self.std, self.fps, self.options = cset, mean, std, fps, options
        self.start = choose_frame(cset, fps)  # where the timeline's frame 0 is in the world
        self._at, self._frame = 0, self.start  # the last window's first frame and its place

    def window(self, lo: int, hi: int, features: np.ndarray) -> WindowGuide | None:
        """The guide of window [lo, hi), None when no constraint falls in it.

        `features`: the timeline's normalised features, final before frame `lo`.
        """
        frame = self.place(lo, features)
        part = window_constraints(self.cset, lo, hi, self.fps)
        if not part:
            return None
        return WindowGuide(part, self.mean, self.std, self.fps, hi - lo, frame, self.options)

    def place(self, lo: int, features: np.ndarray) -> WindowFrame:
        """World position and heading of frame `lo`, integrated on from the previous window's first frame."""
        if lo != self._at:
            raw = features[self._at : lo + 1].astype(np.float64) * self.std + self.mean
            traj = Trajectory.from_features(raw, self.fps, self._frame.origin, self._frame.yaw)
            self._at, self._frame = lo, WindowFrame((float(traj.root[-1, 0]), float(traj.root[-1, 1])),
                                                    float(traj.yaw[-1]))  # fmt: skip
        return self._frame
