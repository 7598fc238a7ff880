#!/usr/bin/env bash
# GPU check (not run by CI): the asv suite's `gpu` grid on a lent GPU machine, recorded under a
# GPU machine name against this checkout's real commit, so that its results merge with CPU
# results into one dashboard, report and history (`vjplab merge`, README "On a GPU").
#
# The device tool runs it in a copy of the working tree without .git, and carries no .git
# either: carry a copy of it as .gitcarry/, and the wheels (asv is not installed there, and
# nothing can be fetched):
#   rm -rf .gitcarry && cp -a .git .gitcarry      # here, after committing
#   run(command="bash .ci/gpu_check.sh", carry=[".gitcarry", ".whl", ".gitdeb"], timeout_s=420)
# .whl/: asv and what it needs, for the device's Python (README "On a GPU" has the command);
# .gitdeb/: Debian's git package, unpacked only when the device has no git.
# The tree there must be exactly HEAD (commit first): results are labelled with HEAD's commit.
#
# What comes back in $OUT: gpu.txt (device, driver, jax), bench.txt (vjplab bench's lines),
# asv.log (asv's own log), gpu-results.tgz (the output directory's results/, run manifests
# included, and fingerprints/).
# Budget: under 4 minutes on an H100 (docs/results.md, "GPU").
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}
WORK=${GPU_CHECK_WORK:-/tmp/gpu-asv}
# A dry run on a CPU narrows the grid (e.g. to N = 1e3); on the GPU the whole grid runs.
BENCH=${GPU_CHECK_BENCH:-'bench_vjp\.TimeVJP|bench_metrics\.(DeviceTime|AchievedBandwidth|BandwidthFraction)'}
mkdir -p "$OUT"
started=$(date +%s)
elapsed() { echo "[gpu_check +$(( $(date +%s) - started )) s] $*"; }

if ! command -v git >/dev/null 2>&1; then
    dpkg -x .gitdeb/git_*.deb /tmp/gitroot || { echo "no git, and no .gitdeb/ to unpack" >&2; exit 1; }
    export PATH=/tmp/gitroot/usr/bin:$PATH GIT_EXEC_PATH=/tmp/gitroot/usr/lib/git-core
fi
# for every git this run starts (asv's too), without writing any config: the copy there may
# belong to another user and may not keep file modes (contents decide)
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*' \
    GIT_CONFIG_KEY_1=core.fileMode GIT_CONFIG_VALUE_1=false
# a carried copy wins over whatever .git the host's copy has (the device tool's may be stale);
# this checkout's own .git is never touched
if [ -d .gitcarry ]; then export GIT_DIR=$PWD/.gitcarry GIT_WORK_TREE=$PWD; fi
git rev-parse -q --verify HEAD >/dev/null \
    || { echo "no commit here: carry a copy of .git as .gitcarry" >&2; exit 1; }
dirty=$(git status --porcelain --untracked-files=normal)
if [ -n "$dirty" ]; then
    echo "the tree differs from HEAD (commit first; results are labelled with HEAD):" >&2
    echo "$dirty" | head -20 >&2
    exit 1
fi
git rev-parse -q --verify refs/heads/main >/dev/null || git branch main
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD ASV_PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
elapsed "installed asv; $(git --version); HEAD $(git rev-parse --short HEAD)"

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  python3 -c "import jax; print('jax', jax.__version__, jax.devices())"; } | tee "$OUT/gpu.txt"
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr -c 'A-Za-z0-9.\n-' '-')
machine=${GPU_CHECK_MACHINE:-gpu-${gpu:-none}}
# x, c and the result at N = 1e8 are 1.2 GB; jax.vjp at k = 16 keeps ~14 GB of residuals
export VJPLAB_MEMORY_BUDGET_BYTES=$((60 * 1024**3))
python3 -m vjplab bench --grid gpu --machine "$machine" --output-dir "$WORK" --bench "$BENCH" \
    --no-publish 2>&1 | tee "$OUT/bench.txt"
rc=${PIPESTATUS[0]}
elapsed "vjplab bench exited $rc"
cp "$(ls -t "$WORK"/logs/bench-*.log | head -1)" "$OUT/asv.log" 2>/dev/null
(cd "$WORK" && tar czf "$OUT/gpu-results.tgz" results $(ls -d fingerprints 2>/dev/null))
elapsed "results in gpu-results.tgz: $(tar tzf "$OUT/gpu-results.tgz" | grep -c '\.json$') json files"
exit "$rc"
