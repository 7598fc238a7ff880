#!/usr/bin/env bash
# Publish OUT/results as the dashboard in OUT/html (asv publish + vjplab's pages, the
# third-party assets served from OUT/html, fetched once into vjplab's cache).
USAGE="publish.sh OUT   (OUT: the directory merge.sh wrote)"
source "$(dirname "$0")/common.sh"
[ $# -eq 1 ] || usage
[ -d "$1/results" ] || { echo "publish.sh: $1/results does not exist (run merge.sh first)" >&2; exit 2; }
out="$(cd "$1" && pwd)"
vjplab publish --output-dir "$out"
