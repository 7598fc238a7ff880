# Sourced by the scripts of .ci/workflow: the repository root and the Python that runs vjplab.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# VJPLAB_PYTHON: the interpreter with vjplab installed (default: python3 on PATH).
PYTHON="${VJPLAB_PYTHON:-python3}"
vjplab() { (cd "$ROOT" && "$PYTHON" -m vjplab "$@"); }
usage() { echo "usage: $USAGE" >&2; exit 2; }
