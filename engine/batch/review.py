"""The review page of a batch: `index.html` beside the outputs, static, one row per job.

Each row has a stick-figure strip (SVG under review/), the prompt, seed,
duration, generation time, warnings and the quality flags of quality.py.
Failed and flagged jobs come first; columns sort on click, a text box and a
status menu filter, and the URL fragment (#sort=jerk&desc=1&show=flagged&q=walk)
sets the same state, so a link can point at a view. No server, no network.
"""

from __future__ import annotations

import html
import json

import numpy as np

from ..skeleton import BODY_PARTS, CANONICAL, JOINT_NAMES
from .quality import JERK_BOUND, RESIDUAL_BOUND, SKATE_BOUND

REVIEW_DIR = "review"  # per-job SVG strips and JSON records, beside the outputs
PART_COLOURS = {"legs": "#1f77b4", "torso": "#222", "head": "#222", "left_arm": "#d62728", "right_arm": "#2ca02c"}
PANELS, PANEL_W, PANEL_H = 8, 60, 110


def _colour(joint: int) -> str:
    name = JOINT_NAMES[joint]
    return next(PART_COLOURS[p] for p, names in BODY_PARTS.items() if name in names)


def strip_svg(motion) -> str:
    """Side view (forward to the right, Z up) of PANELS evenly spaced frames, each centred on the pelvis."""
    pos = motion.positions()
    frames = np.linspace(0, motion.num_frames - 1, PANELS).round().astype(int)
    scale = PANEL_H / 2.1  # px per metre: 2.1 m of height fits a panel
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{PANELS * PANEL_W}" height="{PANEL_H}" '
             f'viewBox="0 0 {PANELS * PANEL_W} {PANEL_H}"><rect width="100%" height="100%" fill="#fff"/>']  # fmt: skip
    for k, f in enumerate(frames):
        p = pos[f]
        cx = k * PANEL_W + PANEL_W / 2

        def x(j, p=p, cx=cx):
            return cx + (p[0, 1] - p[j, 1]) * scale  # -Y is forward: right on the page

        def y(j, p=p):
            return PANEL_H - 4 - p[j, 2] * scale

        parts.append(f'<line x1="{k * PANEL_W}" y1="{PANEL_H - 4}" x2="{(k + 1) * PANEL_W}" y2="{PANEL_H - 4}" '
                     'stroke="#aaa" stroke-width="1"/>')  # fmt: skip
        for j, parent in enumerate(CANONICAL.parents):
            if parent >= 0:
                parts.append(f'<line x1="{x(parent):.1f}" y1="{y(parent):.1f}" x2="{x(j):.1f}" y2="{y(j):.1f}" '
                             f'stroke="{_colour(j)}" stroke-width="2" stroke-linecap="round"/>')  # fmt: skip
        parts.append(f'<text x="{k * PANEL_W + 3}" y="10" font-size="9" fill="#666">{f / motion.fps:.1f}s</text>')
    parts.append("</svg>")
    return "".join(parts)


def _row(entry: dict) -> str:
    """One <tr>; `entry` is a job's record, or {name, source, error} for a failed job."""
    e = html.escape
    name = entry["name"]
    failed = entry.get("error") is not None
    flags = entry.get("flags", [])
    notes = ([entry["error"]] if failed else []) + flags + [f"warning: {w}" for w in entry.get("warnings", [])]
    status = "failed" if failed else ("flagged" if flags else "ok")
    bad = 2 if failed else (1 if flags else 0)
    if failed:
        preview, links = "", ""
    else:
        preview = f'<img src="{REVIEW_DIR}/{e(name)}.svg" alt="{e(name)}" width="{PANELS * PANEL_W // 2}">'
        links = " ".join(f'<a href="{e(f)}">{e(f.rsplit(".", 1)[-1])}</a>' for f in entry.get("outputs", []))
        links += f' <a href="{REVIEW_DIR}/{e(name)}.json">record</a>'

    def num(key, fmt):
        v = entry.get(key)
        return f'<td data-v="{"" if v is None else v}">{"" if v is None else format(v, fmt)}</td>'

    return (f'<tr class="{status}" data-status="{status}"><td data-v="{bad}">{status}</td>'
            f'<td data-v="{e(name)}">{e(name)}<br><small>{links}</small></td><td>{preview}</td>'
            f'<td data-v="{e(entry.get("prompt", ""))}">{e(entry.get("prompt", ""))}</td>'
            f'{num("seed", "d")}{num("seconds", ".1f")}{num("time_s", ".2f")}{num("foot_skating", ".0%")}'
            f'{num("jerk", ".0f")}{num("constraint_error", ".3f")}'
            f'<td data-v="{len(notes)}">{"<br>".join(e(n) for n in notes)}</td></tr>')  # fmt: skip


COLUMNS = ("status", "name", "preview", "prompt", "seed", "seconds", "time (s)", "foot skating", "jerk (m/s³)",
           "constraint error (m)", "flags and warnings")  # fmt: skip

SCRIPT = """
const table = document.getElementById('jobs'), body = table.tBodies[0];
const q = document.getElementById('q'), show = document.getElementById('show');
let sortCol = -1, desc = false;
function key(tr, c) { const v = tr.cells[c].dataset.v; const n = parseFloat(v);
  return v === undefined || v === '' ? null : (isNaN(n) || String(n) !== v.trim() ? v.toLowerCase() : n); }
function sortBy(c, d) { sortCol = c; desc = d;
  const rows = Array.from(body.rows);
  rows.sort((a, b) => { const x = key(a, c), y = key(b, c);
    if (x === null) return 1; if (y === null) return -1;
    const r = x < y ? -1 : x > y ? 1 : 0; return desc ? -r : r; });
  rows.forEach(r => body.appendChild(r)); }
function filter() { const text = q.value.toLowerCase(), s = show.value; let n = 0;
  for (const r of body.rows) { const ok = (s === 'all' || r.dataset.status === s ||
      (s === 'bad' && r.dataset.status !== 'ok')) && r.textContent.toLowerCase().includes(text);
    r.hidden = !ok; n += ok; }
  document.getElementById('count').textContent = n + ' of ' + body.rows.length + ' shown'; }
table.tHead.rows[0].querySelectorAll('th').forEach((th, c) => th.addEventListener('click',
  () => { sortBy(c, sortCol === c ? !desc : false); }));
q.addEventListener('input', filter); show.addEventListener('change', filter);
const names = Array.from(table.tHead.rows[0].cells).map(th => th.dataset.key);
const h = new URLSearchParams(location.hash.slice(1));
if (h.get('q')) q.value = h.get('q');
if (h.get('show')) show.value = h.get('show');
if (h.get('sort') && names.includes(h.get('sort'))) sortBy(names.indexOf(h.get('sort')), h.get('desc') === '1');
filter();
window.addEventListener('load', () => {
  const broken = Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0);
  document.body.dataset.brokenImages = broken.length;
  if (broken.length) { const b = document.getElementById('broken');
    b.hidden = false; b.textContent = broken.length + ' preview(s) failed to load: ' +
      broken.map(i => i.alt).join(', '); } });
"""

STYLE = """
body { font: 13px system-ui, sans-serif; margin: 1em; } table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; vertical-align: top; text-align: left; }
th { cursor: pointer; background: #f3f3f3; position: sticky; top: 0; } tr.failed { background: #fde2e2; }
tr.flagged { background: #fff4d6; } #broken { color: #b00; font-weight: bold; }
"""


def index_html(entries: list[dict], title: str) -> str:
    """The whole page; failed jobs first, then flagged ones (most flags first), then by name."""

    def order(entry):
        return (entry.get("error") is None, -len(entry.get("flags", [])), entry["name"])

    rows = "\n".join(_row(entry) for entry in sorted(entries, key=order))
    counts = {s: sum(1 for r in entries if _status(r) == s) for s in ("ok", "flagged", "failed")}
    heads = "".join(f'<th data-key="{_key(c)}">{html.escape(c)}</th>' for c in COLUMNS)
    summary = f"{len(entries)} jobs: {counts['ok']} ok, {counts['flagged']} flagged, {counts['failed']} failed"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1><p>{summary}. Flags: "
            f"{html.escape(_bounds())}.</p><p>Filter <input id=\"q\" type=\"search\" placeholder=\"text\"> "
            '<select id="show"><option value="all">all</option><option value="bad">failed or flagged</option>'
            '<option value="failed">failed</option><option value="flagged">flagged</option>'
            '<option value="ok">ok</option></select> <span id="count"></span></p>'
            '<p id="broken" hidden></p>'
            f'<table id="jobs"><thead><tr>{heads}</tr></thead><tbody>\n{rows}\n</tbody></table>'
            f"<script>{SCRIPT}</script></body></html>\n")  # fmt: skip


def _status(entry: dict) -> str:
    return "failed" if entry.get("error") is not None else ("flagged" if entry.get("flags") else "ok")


def _key(column: str) -> str:
    return column.split(" (")[0].replace(" ", "_")


def _bounds() -> str:
    return (f"foot skating above {SKATE_BOUND:.0%} of grounded foot steps, mean jerk above {JERK_BOUND:.0f} m/s³, "
            f"constraint error above {RESIDUAL_BOUND * 100:.0f} cm")  # fmt: skip


def record_json(record: dict) -> bytes:
    return (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()
