#!/usr/bin/env bash
# One record job of the workflow: every JAX release of asv.conf.json, serially, for one shard
# (a grid of vjplab.grid), under one asv machine name, into OUTDIR (results/, fingerprints/;
# nothing is published here: the merge job publishes everything at once).
# VJPLAB_RELEASES=0.4.31,0.10.2 restricts the releases (vjplab record --versions); by
# default every release of asv.conf.json is recorded.
USAGE="record_shard.sh GRID MACHINE OUTDIR   (GRID: the shard, e.g. tiny; MACHINE: asv machine name)"
source "$(dirname "$0")/common.sh"
[ $# -eq 3 ] || usage
grid=$1 machine=$2 outdir=$3
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
args=(record --grid "$grid" --machine "$machine" --output-dir "$outdir" --no-publish)
[ -n "${VJPLAB_RELEASES:-}" ] && args+=(--versions "$VJPLAB_RELEASES")
echo "record_shard: grid $grid, machine $machine, releases ${VJPLAB_RELEASES:-all of asv.conf.json} -> $outdir"
vjplab "${args[@]}"
