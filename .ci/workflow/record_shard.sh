#!/usr/bin/env bash
# One record job of the workflow: every JAX release of asv.conf.json, serially, for one shard
# (a grid of vjplab.grid, or some of its families), under one asv machine name, into OUTDIR (results/, fingerprints/;
# nothing is published here: the merge job publishes everything at once).
# VJPLAB_RELEASES=0.4.31,0.10.2 restricts the releases (vjplab record --versions); by
# default every release of asv.conf.json is recorded.
USAGE="record_shard.sh GRID MACHINE OUTDIR [FAMILIES]   (GRID: e.g. tiny; MACHINE: asv machine name; FAMILIES: comma-separated, a shard of the grid; empty: all)"
source "$(dirname "$0")/common.sh"
[ $# -eq 3 ] || [ $# -eq 4 ] || usage
grid=$1 machine=$2 outdir=$3 families=${4:-}
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
args=(record --grid "$grid" --machine "$machine" --output-dir "$outdir" --no-publish)
[ -n "${VJPLAB_RELEASES:-}" ] && args+=(--versions "$VJPLAB_RELEASES")
[ -n "$families" ] && args+=(--families "$families")
echo "record_shard: grid $grid${families:+ (families $families)}, machine $machine, releases ${VJPLAB_RELEASES:-all of asv.conf.json} -> $outdir"
vjplab "${args[@]}"
