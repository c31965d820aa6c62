#!/usr/bin/env bash
# One-command install of chainaudit into ./.venv (CPU PyTorch, WordNet for the attacks).
# torch is installed FIRST and pinned through constraints.txt in every later pip call: an unpinned
# resolve pulls the newest torch with gigabytes of CUDA wheels.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "chainaudit needs Python >= 3.11"'
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -c constraints.txt -e '.[dev]'

# WordNet 3.0 from Debian (PWWS / TextFooler / TextBugger need it). Optional: chainaudit says clearly
# when it is missing and how to get it.
wn_pkgs="wordnet-base wordnet-sense-index"
if command -v apt-get >/dev/null 2>&1 && ! dpkg -s $wn_pkgs >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=none; fi
  if [ "$SUDO" != none ]; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $wn_pkgs >/dev/null \
      || echo "warning: could not install $wn_pkgs; attacks that need WordNet will say so" >&2
  else
    echo "warning: not root and no sudo: install $wn_pkgs yourself for the WordNet attacks" >&2
  fi
fi
# Debian's Chromium, for the report's browser test (tests/test_report.py, marked slow; skipped without it).
# Optional: Playwright drives this binary (its own browser download is not used).
if command -v apt-get >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=none; fi
  if [ "$SUDO" != none ]; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
      || echo "warning: could not install chromium; the report's browser test will be skipped" >&2
  else
    echo "warning: not root and no sudo: install chromium yourself for the report's browser test" >&2
  fi
fi
echo "chainaudit installed: $(.venv/bin/chainaudit --version 2>/dev/null || echo '?')  (activate with: source .venv/bin/activate)"
