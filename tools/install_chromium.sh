#!/usr/bin/env bash
# Debian's Chromium for the review-page test (tests/test_review_browser.py renders
# engine/batch's index.html in it). Installs with apt-get only when it is missing
# and we run as root; otherwise says why and exits 1 (the test then skips with that reason).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing and installing it needs root: sudo apt-get install -y chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing and this system has no apt-get; install Chromium with its package manager" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
    echo "apt-get could not install chromium (no network or no package?)" >&2
    exit 1
  }
fi
command -v chromium >/dev/null 2>&1
