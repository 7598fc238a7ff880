#!/usr/bin/env bash
# GPU check (not run by CI): the prepared subset of issue 3 on a lent GPU machine.
# roll_cubic at three sizes, naive_jacrev / jax_vjp / exact, latency (asv time_vjp) and device
# time (asv track_device_time) under a machine name that says GPU, then the reference command
# for the same combinations. Expects asv wheels in .whl/ (see README, "On a GPU").
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
# asv labels results with a commit: benchmark this checkout's HEAD when the tree is clean, else
# a committed throwaway copy (never rewrites this checkout's history; .ci/asv_source.sh).
src=$(bash .ci/asv_source.sh) || exit 1
cd "$src" || exit 1
export PYTHONPATH=/tmp/site:$PWD ASV_PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
export VJPLAB_MEMORY_BUDGET_BYTES=$((8 * 1024**3))   # dense at N = 1e4 needs ~1.6 GB
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import jax; print(jax.__version__, jax.devices())" | tee -a "$OUT/gpu.txt"
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '-')
python3 -m vjplab bench --grid gpu --machine "gpu-$gpu" --output-dir "$OUT/asv" \
    --bench 'TimeVJP|DeviceTime' --no-publish 2>&1 | tee "$OUT/asv.log" | grep -v "^ *asv: skipped"
for n in 1000 10000 1000000; do
    python3 -m vjplab measure roll_cubic naive_jacrev,jax_vjp,exact --dimension $n --locality 1 \
        2>&1 | tee -a "$OUT/reference.txt"
done
(cd "$OUT/asv" && tar czf ../asv-results.tgz results)
