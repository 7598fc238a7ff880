#!/usr/bin/env bash
# Merge the record jobs' output directories into OUT/results (vjplab merge: results, run
# manifests and fingerprint sidecars; refuses conflicts, never overwrites).
USAGE="merge.sh OUT SRC...   (each SRC: the OUTDIR of a record_shard.sh job)"
source "$(dirname "$0")/common.sh"
[ $# -ge 2 ] || usage
out=$1; shift
mkdir -p "$out/results"
out="$(cd "$out" && pwd)"
sources=()
for src in "$@"; do sources+=("$(cd "$src" && pwd)"); done
vjplab merge "${sources[@]}" --into "$out/results"
