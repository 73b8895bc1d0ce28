#!/usr/bin/env bash
# Create .venv and install the pinned development environment in ONE pip
# command (bpy needs numpy<2; a second pip run would upgrade it). Idempotent:
# re-installs only when requirements-lock.txt changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
lock="$root/requirements-lock.txt"
stamp="$venv/.installed-lock"
python="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock" 1>&2
  echo "$want" > "$stamp"
fi
# Chromium renders the batch review page in tests/test_review_browser.py: installed (apt-get, as root) only when
# missing; without it that one test skips and says why.
if ! command -v chromium >/dev/null 2>&1; then
  "$root/tools/install_chromium.sh" || echo "bootstrap: Chromium not installed; the review-page test will skip" >&2
fi
