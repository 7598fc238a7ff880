#!/usr/bin/env bash
# Device-time acceptance on a lent GPU machine (not run by CI; see docs/protocol.md).
# Runs `python -m vjplab.measure.acceptance` (device time / (latency - empty call) for every
# family x O(N) strategy) at sizes where GPU kernels dominate the ~60 us dispatch floor, then
# roll_cubic at N = 1e8, k = 1 and 16 (jax.vjp against the hand-written adjoint), then the CPU
# acceptance of that host (JAX_PLATFORMS=cpu, one pinned core) as a cross-check.
# Needs only JAX and numpy there: vjplab runs from this checkout (PYTHONPATH).
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
export VJPLAB_MEMORY_BUDGET_BYTES=$((60 * 1024**3))   # jax_vjp at k = 16, N = 1e8: ~14 GB
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import jax; print(jax.__version__, jax.devices())" | tee -a "$OUT/gpu.txt"
acceptance() { python3 -m vjplab.measure.acceptance "$@" 2>&1 | grep -v -i warn; }
acceptance --processes 1 --dimension 30000000 --quadratic-dimension 30000 --locality 4 \
    | tee "$OUT/gpu-acceptance-k4.txt"
for k in 1 16; do
    acceptance --processes 1 --dimension 100000000 --locality $k --families roll_cubic \
        | tee "$OUT/gpu-roll-cubic-1e8-k$k.txt"
done
export JAX_PLATFORMS=cpu VJPLAB_CPU_AFFINITY=auto
acceptance --processes 3 --families roll_cubic,banded_conv,squared_differences_1d \
    | tee "$OUT/cpu-acceptance.txt"
