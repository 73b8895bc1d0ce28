"""Pictures of a cast job (several characters): side views at a few times and a top view of everyone.

    python tools/render_cast.py examples/characters_handshake.json --out docs/images
    python tools/render_cast.py examples/characters_high_five.json --out /tmp/hf --close-up


Side views look across the line between the first two characters (for a
crowd: along +Y, so X runs left to right); contact joints are circled in
red on the frames where the contact holds. The top view draws every pelvis
trail, skeletons at the side views' times, and the interaction residuals.
With --close-up, also `<job>_contact.png`: the first contact's reach, hold
and release frame by frame, close to the contact joints, above the speed
of those joints relative to their pelvis (one hump each way is a reach;
two humps, or a spike, is not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.characters import generate_cast, load_cast  # noqa: E402
from engine.characters.interactions import Contact  # noqa: E402
from engine.characters.reach_path import MAX_SEARCH_S, REST_SEARCH_S  # noqa: E402
from engine.characters.terms import APPROACH_S, RELEASE_S  # noqa: E402
from engine.skeleton import CANONICAL  # noqa: E402

COLOURS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def render(cast, motions: dict, title: str, path: Path, panels: int = 6) -> None:
    names = list(motions)
    pos = np.stack([motions[n].positions() for n in names])  # (C, T, J, 3)
    fps = motions[names[0]].fps
    frames = np.linspace(0, pos.shape[1] - 1, panels).round().astype(int)
    contacts = [it for it in cast.interactions if isinstance(it, Contact)]
    for it in contacts:  # show each contact: the panel nearest its middle moves there
        mid = int(round(0.5 * (it.start + it.end) * fps))
        frames[np.argmin(np.abs(frames - mid))] = mid
    frames = np.unique(frames)
    fig = plt.figure(figsize=(2.6 * panels, 7.4))
    for k, f in enumerate(frames):
        ax = fig.add_subplot(2, panels, k + 1)
        axis = _side_axis(pos[:, f, 0])
        centre = pos[:, f, 0, :2].mean(axis=0)
        for c in range(len(names)):
            _side_bones(ax, pos[c, f], centre, axis, COLOURS[c % 10], 1.6)
        for it in contacts:
            if it.start - 1e-6 <= f / fps <= it.end + 1e-6:
                for ref in (it.a, it.b):
                    p = pos[names.index(ref.character), f, ref.joint]
                    ax.plot([float((p[:2] - centre) @ axis)], [float(p[2])], "o", mfc="none", mec="red", ms=9)
        ax.axhline(0, color="grey", lw=0.8)
        half = max(1.2, np.abs((pos[:, f, 0, :2] - centre) @ axis).max() + 0.8)
        ax.set_xlim(-half, half)
        ax.set_ylim(-0.05, 2.0)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{f / fps:.1f} s (side)", fontsize=8)
    ax = fig.add_subplot(2, 1, 2)
    for c, n in enumerate(names):
        colour = COLOURS[c % 10]
        ax.plot(pos[c, :, 0, 0], pos[c, :, 0, 1], "-", color=colour, lw=0.8, label=n if len(names) <= 12 else None)
        for f in frames:
            for j, parent in enumerate(CANONICAL.parents):
                if parent >= 0:
                    p = pos[c, f]
                    ax.plot([p[parent, 0], p[j, 0]], [p[parent, 1], p[j, 1]], color=colour, lw=0.7, alpha=0.7)
    for it in contacts:
        fr = np.arange(int(round(it.start * fps)), int(round(it.end * fps)) + 1)
        p = pos[names.index(it.a.character), fr, it.a.joint]
        ax.plot(p[:, 0], p[:, 1], ".", color="red", ms=3)
    notes = [_note(r) for r in _all_rows(motions)] or [""]
    ax.set_title("top view (m), skeletons at the side views' times; " + "; ".join(notes[:3]), fontsize=8)
    lo, hi = pos[..., :2].reshape(-1, 2).min(axis=0) - 0.5, pos[..., :2].reshape(-1, 2).max(axis=0) + 0.5
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    if len(names) <= 12:
        ax.legend(fontsize=6, loc="upper right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=60)
    plt.close(fig)


def render_contact(cast, motions: dict, title: str, path: Path, panels: int = 10) -> bool:
    """The first contact from its reach's earliest start to its release's latest end (reach_path), close up,
    and its joints' speeds relative to their pelvis; False when the job has no contact."""
    it = next((i for i in cast.interactions if isinstance(i, Contact)), None)
    if it is None:
        return False
    names = list(motions)
    fps = motions[names[0]].fps
    pos = {n: motions[n].positions() for n in names}
    last = len(pos[names[0]]) - 1
    lo, hi = (
        int(np.clip(round(t * fps), 0, last))
        for t in (it.start - APPROACH_S - REST_SEARCH_S, it.end + RELEASE_S + MAX_SEARCH_S)
    )
    refs = [(names.index(r.character), r) for r in (it.a, it.b)]
    fig = plt.figure(figsize=(1.6 * panels, 7.0))
    for k, f in enumerate(np.linspace(lo, hi, panels).round().astype(int)):
        ax = fig.add_subplot(2, panels, k + 1)
        ends = np.stack([pos[r.character][f, 0, :2] for _, r in refs])
        axis = _side_axis(ends)
        centre = np.mean([pos[r.character][f, r.joint, :2] for _, r in refs], axis=0)
        for c, r in refs:
            p = pos[r.character][f]
            u = _side_bones(ax, p, centre, axis, COLOURS[c % 10], 1.4)
            held = it.start - 1e-6 <= f / fps <= it.end + 1e-6
            ax.plot([u[r.joint]], [p[r.joint, 2]], "o", ms=5, mfc="red" if held else "none", mec="red")
        half = max(0.6, float(np.abs((ends - centre) @ axis).max()) + 0.3)
        ax.set_xlim(-half, half)
        ax.set_ylim(0.0, 2.0)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{f / fps:.2f} s", fontsize=8)
    ax = fig.add_subplot(2, 1, 2)
    t = (np.arange(lo, hi) + 0.5) / fps
    for c, r in refs:
        rel = pos[r.character][lo : hi + 1, r.joint] - pos[r.character][lo : hi + 1, 0]
        ax.plot(t, np.linalg.norm(np.diff(rel, axis=0), axis=-1) * fps, color=COLOURS[c % 10], label=str(r))
    ax.axvspan(it.start, it.end, color="red", alpha=0.1, label="contact")
    ax.set_xlabel("s")
    ax.set_ylabel("m/s (relative to the pelvis)")
    ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


def _side_bones(ax, p: np.ndarray, centre: np.ndarray, axis: np.ndarray, colour, lw: float) -> np.ndarray:
    """One skeleton's bones (joint positions `p`) seen from the side along `axis` about `centre`; returns the
    joints' horizontal coordinates in that view."""
    u = (p[:, :2] - centre) @ axis
    for j, parent in enumerate(CANONICAL.parents):
        if parent >= 0:
            ax.plot([u[parent], u[j]], [p[parent, 2], p[j, 2]], color=colour, lw=lw)
    return u


def _side_axis(pelvis: np.ndarray) -> np.ndarray:
    """Unit ground axis the side view runs along: from the first to the second character, or +X."""
    if len(pelvis) == 2:
        d = pelvis[1, :2] - pelvis[0, :2]
        n = np.linalg.norm(d)
        if n > 0.05:
            return d / n
    return np.array([1.0, 0.0])


def _all_rows(motions: dict) -> list[dict]:
    seen, out = set(), []
    for m in motions.values():
        for r in m.metadata.get("interactions", []):
            key = (r["label"], tuple(r["characters"]))
            if key not in seen and r["type"] not in ("apart", "stays"):
                seen.add(key)
                out.append(r)
    closest = [r["closest"] for m in motions.values() for r in m.metadata.get("interactions", [])
               if r["type"] == "apart" and r["closest"] is not None]  # fmt: skip
    if closest:
        out.append({"type": "apart", "closest": min(closest)})
    return out


def _note(r: dict) -> str:
    if r["type"] == "apart":
        return f"closest bodies {100 * r['closest']:.0f} cm"
    if r["type"] == "face":
        return f"face error {np.rad2deg(r['max']):.0f} deg"
    return f"contact error {100 * r['max']:.1f} cm"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jobs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/images"))
    ap.add_argument("--model-dir", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--close-up", action="store_true", help="also <job>_contact.png: the first contact close up")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for job in args.jobs:
        cast = load_cast(job)
        motions = generate_cast(cast, model_dir=args.model_dir, threads=args.threads)
        path = args.out / f"{job.stem}.png"
        version = next(iter(motions.values())).metadata["model_version"]
        render(cast, motions, f"{job.name} ({len(motions)} characters, seed {cast.seed}, {version})", path)
        print(path)
        close = args.out / f"{job.stem}_contact.png"
        if args.close_up and render_contact(cast, motions, f"{job.name}: {version}", close):
            print(close)
    return 0


if __name__ == "__main__":
    sys.exit(main())
