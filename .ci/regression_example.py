"""A fabricated history with known regressions, to look at the regression page.

    python .ci/regression_example.py DIR
    python -m vjplab history --results-dir DIR/results --html-dir DIR/html

writes DIR/results (asv's layout: two machines, ``vm`` and ``reference``, JAX 0.6.2, 0.7.2 and
0.8.3, five parameters per VJP benchmark), DIR/fingerprints (sidecars of vm's 0.6.2 and 0.7.2)
and DIR/bisect/verdicts/ (one verdict, as `vjplab bisect` writes it). What regresses where:
tests/regression_history.py's docstring. The figures of docs/report.md's example come from it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from tests.regression_history import fabricate, verdict, write_verdict

    out = Path(argv[0])
    fabricate(out / "results")
    write_verdict(out / "bisect", "squared_differences_3d-exact.json", verdict())
    print(f"results: {out / 'results'}\nbisect verdicts: {out / 'bisect' / 'verdicts'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
