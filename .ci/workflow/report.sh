#!/usr/bin/env bash
# The JAX-version history report over OUT/results: its page goes into OUT/html (linked from
# the dashboard), its Markdown to OUT/history.md. Extra arguments go to `vjplab history`
# (e.g. --fail-on-regression).
USAGE="report.sh OUT [vjplab history options]   (OUT: the directory publish.sh wrote)"
source "$(dirname "$0")/common.sh"
[ $# -ge 1 ] || usage
[ -d "$1/html" ] || { echo "report.sh: $1/html does not exist (run publish.sh first)" >&2; exit 2; }
out="$(cd "$1" && pwd)"; shift
vjplab history --results-dir "$out/results" --html-dir "$out/html" --markdown "$out/history.md" "$@"
