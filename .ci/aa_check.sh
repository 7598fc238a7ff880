#!/usr/bin/env bash
# A/A noise check: the default grid twice in one environment, at two commits with identical
# code, then `vjplab compare` (the history's per-kind rules). Works in a fresh clone under DIR
# (default /tmp/vjplab-aa) with its own venv, so nothing in this checkout is touched.
#   bash .ci/aa_check.sh [DIR] [GRID]
# Writes DIR/compare.txt, compare.md and compare.json (per-kind thresholds and flag rates).
set -euo pipefail
dir=${1:-/tmp/vjplab-aa}; grid=${2:-default}
src=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$dir" && git clone -q "$src" "$dir" && cd "$dir"
git rev-parse --verify -q main >/dev/null || git branch main HEAD
python3 -m venv .venv && .venv/bin/pip install -q -e . > pip.log 2>&1
for run in 1 2; do
  start=$(date +%s)
  .venv/bin/python -m vjplab bench --grid "$grid" --no-publish > "bench-$run.log" 2>&1
  echo "run $run: $(( $(date +%s) - start )) s"
  if [ "$run" = 1 ]; then
    git -c user.name=aa -c user.email=aa@localhost commit -q --allow-empty -m "A/A: same code"
  fi
done
.venv/bin/python -m vjplab compare "$(git rev-parse HEAD~1)" "$(git rev-parse HEAD)" \
  --results-dir .asv/results --markdown compare.md --json compare.json --limit 60 \
  | tee compare.txt
