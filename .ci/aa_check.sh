#!/usr/bin/env bash
# A/A noise check (issue 3): the default grid twice in one environment, at two commits with
# identical code, then `asv compare --factor 1.1`. Works in a fresh clone under DIR (default
# /tmp/vjplab-aa) with its own venv, so nothing in this checkout is touched.
#   bash .ci/aa_check.sh [DIR] [GRID]
set -euo pipefail
dir=${1:-/tmp/vjplab-aa}; grid=${2:-default}
src=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$dir" && git clone -q "$src" "$dir" && cd "$dir"
python3 -m venv .venv && .venv/bin/pip install -q -e . > pip.log 2>&1
for run in 1 2; do
  start=$(date +%s)
  .venv/bin/python -m vjplab bench --grid "$grid" --no-publish > "bench-$run.log" 2>&1
  echo "run $run: $(( $(date +%s) - start )) s"
  if [ "$run" = 1 ]; then
    git -c user.name=aa -c user.email=aa@localhost commit -q --allow-empty -m "A/A: same code"
  fi
done
.venv/bin/python -m asv compare --config .asv/current-environment.conf.json --factor 1.1 \
  HEAD~1 HEAD > compare.txt 2>&1 || true
.venv/bin/python - <<'PY'
import glob, itertools, json, os, re
# asv compare's verdicts (+ slower, - faster: flagged at factor 1.1 and statistically different)
rows = [line for line in open("compare.txt") if line.startswith("|") and "bench_" in line]
for kind in ("time_vjp", "track_device_time", "track_compile_time", "peakmem_vjp"):
    measured = [r for r in rows if kind in r and not re.search(r"\|\s*(n/a|failed)\s*\|", r)]
    flagged = [r for r in measured if re.match(r"^\|\s*[+-]\s", r)]
    if measured:
        print(f"{kind:22s} {len(measured):4d} measured in both runs, {len(flagged):3d} flagged "
              f"by asv compare --factor 1.1: {100 * (1 - len(flagged) / len(measured)):.1f}% not")
# deterministic metrics: the stored values themselves must be identical
files = sorted((f for f in glob.glob(".asv/results/*/*.json") if not f.endswith("machine.json")),
               key=os.path.getmtime)[-2:]
a, b = (json.load(open(f)) for f in files)
def table(data, name):
    columns = dict(zip(data["result_columns"], data["results"][name]))
    return dict(zip(itertools.product(*columns["params"]), columns["result"]))
for name in ("Flops.track_flops", "BytesAccessed.track_bytes_accessed",
             "XLAMemory.track_xla_memory"):
    ta, tb = table(a, "bench_metrics." + name), table(b, "bench_metrics." + name)
    both = [k for k in ta if ta[k] is not None and ta[k] == ta[k] and tb.get(k) is not None]
    print(f"{name:34s} {sum(ta[k] == tb[k] for k in both)}/{len(both)} identical")
PY
