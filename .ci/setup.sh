#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine:
# Debian's Jupyter tools (nbconvert, nbclient, ipykernel, and the classic
# Notebook server), Chromium (the notebooks are checked in a real browser), GNU parallel
# (the test of `--print-jobs --format parallel` runs a profile through it),
# the npm packages (which also builds dist/), and the tslab kernel pointing at
# this checkout.
# Set REPRO_WITH_TORCH=1 to also install Debian's python3-torch (the benchmark's peer).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
packages="jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-notebook chromium parallel"
if [ "${REPRO_WITH_TORCH:-0}" = 1 ]; then packages="$packages python3-torch"; fi
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# Optional tfjs-node(-gpu) download libtensorflow at install time; offline they fail and npm skips them.
npm ci --no-audit --no-fund

# The kernel runs this checkout's tslab with Debian's Python (a pyenv python3 on PATH may lack Jupyter).
npx tslab install --python=/usr/bin/python3 --binary="$PWD/node_modules/.bin/tslab"
echo "setup done: $(node --version), $(/usr/bin/jupyter nbconvert --version 2>/dev/null | sed 's/^/nbconvert /')"
