#!/usr/bin/env bash
# Run the Blender tests (every tests/test_*.py that mentions bpy) against other bpy releases.
#
#   tools/test_blender_versions.sh [VERSION ...] [-- PYTEST_ARGS]
#   tools/test_blender_versions.sh 4.5 4.2          # the newest 4.5.x and 4.2.x that pip finds
#   tools/test_blender_versions.sh 4.5.15 4.2.23 dev -- -x
#
# VERSION is an exact bpy release (4.2.23), a series (4.2 or 4.2.x: its newest release) or
# `dev` (the project's .venv, bpy as pinned in requirements-lock.txt). Default: 4.2 4.5 dev.
# Each version gets its own venv under ${XDG_CACHE_HOME:-~/.cache}/motion_composer/venv-bpy<VERSION>
# (about 1.2 GB; made once, in ONE pip command so numpy stays < 2), with the other packages
# pinned by requirements-lock.txt (torch left out: the Blender tests do not need it).
# Each run uses a fresh temporary BLENDER_USER_RESOURCES. Exit status 1 if any version failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/motion_composer"
python="${PYTHON:-python3.11}"

versions=() pytest_args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; pytest_args=("$@"); break; fi
  versions+=("$1"); shift
done
[ ${#versions[@]} -gt 0 ] || versions=(4.2 4.5 dev)
mapfile -t tests < <(grep -lw bpy tests/test_*.py)

venv_for() {  # prints the venv's python for version $1, creating or updating the venv first
  local ver="${1%.x}" venv spec want constraints
  if [ "$ver" = dev ]; then tools/bootstrap.sh >&2 && echo "$root/.venv/bin/python"; return; fi
  [[ "$ver" =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || { echo "bad version: $1" >&2; return 1; }
  if [[ "$ver" =~ ^[0-9]+\.[0-9]+$ ]]; then spec="bpy==$ver.*"; else spec="bpy==$ver"; fi
  venv="$cache/venv-bpy$ver"
  want="$spec $(sha256sum requirements-lock.txt | cut -d' ' -f1)"
  if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$want" ]; then
    mkdir -p "$cache"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2 || return 1
    constraints="$venv/constraints.txt"
    grep -vE '^(bpy|torch)==' requirements-lock.txt > "$constraints"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$constraints" \
      "$spec" numpy onnxruntime tokenizers pytest >&2 || return 1
    echo "$want" > "$venv/.installed"
  fi
  echo "$venv/bin/python"
}

run_version() {  # $1: version; writes the pytest log to stdout, its summary line to $logs/$1.summary
  local ver="$1" py bpy_version user start rc counts
  py="$(venv_for "$ver")" || { echo "$ver: venv could not be made" > "$logs/$ver.summary"; return 1; }
  bpy_version="$("$py" -c 'import importlib.metadata as m; print(m.version("bpy"))')"
  echo "=== bpy $bpy_version ($py)"
  user="$(mktemp -d)"
  start=$SECONDS
  BLENDER_USER_RESOURCES="$user" "$py" -m pytest -q -rs -p no:cacheprovider "${tests[@]}" "${pytest_args[@]}" 2>&1 \
    | grep -v '^Freeing memory after the leak detector' > "$user/pytest.log"
  rc=${PIPESTATUS[0]}
  cat "$user/pytest.log"
  counts="$(grep -E '^=*.* in [0-9.]+s' "$user/pytest.log" | tail -1 | tr -d '=')"
  echo "bpy $bpy_version: ${counts:-no summary} (exit $rc, $((SECONDS - start)) s wall)" > "$logs/$ver.summary"
  rm -rf "$user"
  return "$rc"
}

# The versions run at the same time (each pytest is one process; CI has 2 cores), each into its own log,
# printed in order when all are done.
logs="$(mktemp -d)"
pids=()
for ver in "${versions[@]}"; do
  run_version "$ver" > "$logs/$ver.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!versions[@]}"; do
  wait "${pids[$i]}" || failed=1
done
for ver in "${versions[@]}"; do cat "$logs/$ver.log"; done
for ver in "${versions[@]}"; do cat "$logs/$ver.summary" 2>/dev/null || echo "$ver: no summary"; done
rm -rf "$logs"
exit $failed
