#!/usr/bin/env bash
# Fails when regenerating changes api/ (formatting), gen/ or ent/: the code there must be
# what `make generate` makes from the sources. Compares the tree before and after, so it
# works with uncommitted edits too (in CI's clean clone it checks what was committed).
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot() { find api gen ent -type f | LC_ALL=C sort | xargs -r sha256sum; }
before=$(snapshot)
make -s generate >/dev/null
after=$(snapshot)
if [ "$before" != "$after" ]; then
  diff <(echo "$before") <(echo "$after") || true
  echo "generated code was out of date (now regenerated): review and commit api/, gen/ and ent/" >&2
  exit 1
fi
