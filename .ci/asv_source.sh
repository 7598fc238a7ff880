#!/usr/bin/env bash
# Print the directory to benchmark from: a git checkout whose HEAD is exactly the code to run
# (asv labels results with a commit). Never touches the history of an existing checkout:
#   * a checkout with a commit and a clean tree: itself (branch `main`, which asv.conf.json's
#     "branches" names, is created at HEAD only if missing; no branch is renamed or moved);
#   * otherwise (no commit, no .git, or uncommitted/untracked non-ignored files): a throwaway
#     copy under /tmp of the tree's files (tracked and untracked, not ignored), committed there
#     on a fresh branch `main`.
# Usage: SRC=$(bash .ci/asv_source.sh) — progress goes to stderr.
set -euo pipefail
if git rev-parse -q --verify HEAD >/dev/null 2>&1 \
        && [ -z "$(git status --porcelain --untracked-files=normal)" ]; then
    git rev-parse -q --verify refs/heads/main >/dev/null || git branch main
    echo "asv source: this checkout at $(git rev-parse --short HEAD)" >&2
    pwd
    exit 0
fi
copy=$(mktemp -d /tmp/vjplab-asv-source.XXXXXX)
if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
        if [ -e "$f" ]; then cp -a --parents -- "$f" "$copy/"; fi
    done
else
    tar --exclude=./.venv --exclude=./.asv --exclude=./.whl -cf - . | tar -xf - -C "$copy"
fi
cd "$copy"
git init -q -b main
git add -A
git -c user.name=vjplab -c user.email=vjplab@localhost commit -qm "working tree snapshot"
echo "asv source: uncommitted working tree, committed in the throwaway copy $copy" >&2
pwd
