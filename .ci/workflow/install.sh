#!/usr/bin/env bash
# Install vjplab (and asv) into the job's Python, and give asv the local "main" branch that
# asv.conf.json's "branches" names (a checkout of another ref has none).
USAGE="install.sh   (no arguments)"
source "$(dirname "$0")/common.sh"
[ $# -eq 0 ] || usage
"$PYTHON" -m pip install -q -e "$ROOT"
git -C "$ROOT" rev-parse --verify -q main >/dev/null || git -C "$ROOT" branch main HEAD
"$PYTHON" -m vjplab --help >/dev/null && echo "vjplab installed: $("$PYTHON" -c 'import jax; print("jax", jax.__version__)')"
