"""How long building a sparse plan (pattern + colouring, phase 1 of vjplab.sparse) takes
against N, and its peak memory: the numbers behind ``vjplab.sparse.plans.COLOURING_LIMIT_NNZ``
(docs/results.md, "Sparse Jacobians").

    python .ci/sparse_colouring_time.py LIBRARY FAMILY N1,N2,... K

One JSON line per size: seconds of one ``plan(problem, library)`` (after a warm-up plan in the
same process, so imports and numba's compilation are not in it), colours, nonzeros, seconds per
nonzero and the process's peak RSS so far. Stops after a build over 60 s.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import vjplab
from vjplab.sparse import plan
from vjplab.sparse.phases import warm_up


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    library, family, sizes, locality = argv[0], argv[1], argv[2], int(argv[3])
    warm_up(library, "float32")
    for n in (int(s) for s in sizes.split(",")):
        p = vjplab.problem(family, vjplab.nearest_dimension(family, n), locality)
        started = time.perf_counter()
        built = plan(p, library)
        seconds = time.perf_counter() - started
        print(json.dumps({"library": library, "family": family, "N": p.dimension,
                          "k": locality, "plan_seconds": round(seconds, 3),
                          "colours": built.colours, "nnz": built.nnz,
                          "us_per_nnz": round(seconds / built.nnz * 1e6, 2),
                          "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                          // 1024}), flush=True)
        if seconds > 60:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
