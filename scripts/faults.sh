#!/usr/bin/env bash
# The full fault-injection suite (tests/faults): the long cases CI skips and the
# full counts (120-run soak, 80 random signals, 60 SIGKILLs...). Needs root for
# the small tmpfs of the full-disk tests (they skip, saying so, without it).
#
#   bash scripts/faults.sh                      # a new random seed per test, printed
#   DATALAKE_FAULTS_SEED=1234 bash scripts/faults.sh -k soak   # replay one
#
# Figures (dead-link detection time against io_timeout, soak outcomes...) are
# printed as FIGURE lines and collected in target/faults-figures.jsonl.
set -euo pipefail

# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" # cds to the repo root, puts .venv/bin on PATH

mkdir -p target
export DATALAKE_FAULTS_FULL=1
export DATALAKE_FAULTS_FIGURES="$PWD/target/faults-figures.jsonl"
: >"$DATALAKE_FAULTS_FIGURES"
rc=0
.venv/bin/python -m pytest tests/faults -s -q "$@" || rc=$?
echo
echo "figures ($DATALAKE_FAULTS_FIGURES):"
cat "$DATALAKE_FAULTS_FIGURES"
exit "$rc"
