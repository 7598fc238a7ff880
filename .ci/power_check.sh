#!/usr/bin/env bash
# Detection power of the suite's thresholds (issue 10, item 4): in a fresh clone under DIR
# with its own venv, the grid runs
#   plain-a, plain-b         two plain runs (A/A: what noise alone flags)
#   planted-F for F in FACTORS   every timed operation stretched F times (vjplab/planted.py)
# each into its own --output-dir, then `vjplab compare` writes, per kind, the share of pairs
# flagged: DIR/aa.txt (plain-a vs plain-b) and DIR/planted-F.txt (plain-a vs planted-F),
# with .md and .json beside them. A stage whose results exist is not run again, so the same
# command resumes. Nothing is written into the project's own results.
#   bash .ci/power_check.sh [DIR] [GRID]      (FACTORS="1.3 1.15" by default)
set -euo pipefail
dir=${1:-/tmp/vjplab-power}; grid=${2:-default}; factors=${FACTORS:-1.3 1.15}
src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$dir/repo" ]; then
  mkdir -p "$dir" && git clone -q "$src" "$dir/repo"
fi
cd "$dir/repo"
git rev-parse --verify -q main >/dev/null || git branch main HEAD
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -e . > "$dir/pip.log" 2>&1; }

run() {  # run NAME [VAR=VALUE ...]: the grid into DIR/NAME unless already there
  local name=$1; shift
  if ls "$dir/$name"/results/*/*.json 2>/dev/null | grep -qv machine.json; then
    echo "$name: already recorded in $dir/$name"; return
  fi
  local start; start=$(date +%s)
  env "$@" .venv/bin/python -m vjplab bench --grid "$grid" --no-publish --machine vm \
    --output-dir "$dir/$name" > "$dir/$name.log" 2>&1
  echo "$name: $(( $(date +%s) - start )) s"
}

compare() {  # compare A B OUT
  .venv/bin/python -m vjplab compare "$dir/$1/results" "$dir/$2/results" --machine-a vm \
    --machine-b vm --markdown "$dir/$3.md" --json "$dir/$3.json" --limit 60 > "$dir/$3.txt"
  sed -n '/^kind /,/^all /p' "$dir/$3.txt"
}

run plain-a
run plain-b
echo "A/A (plain-a vs plain-b):"; compare plain-a plain-b aa
for factor in $factors; do
  run "planted-$factor" VJPLAB_PLANTED_SLOWDOWN="$factor"
  echo "planted x$factor (plain-a vs planted-$factor):"; compare plain-a "planted-$factor" "planted-$factor"
done
