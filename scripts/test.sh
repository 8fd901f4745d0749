#!/usr/bin/env bash
# Every check of the project, in order, stopping at the first failure:
# formatting, lints, Rust tests, docs, Python stubs, Python/C tests.
# Sets the machine up first (scripts/setup.sh), so it is the one command a new machine needs.
set -euo pipefail

# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" # cds to the repo root, puts .venv/bin on PATH

export RUST_BACKTRACE=1
STEP=0

banner() {
    printf '\n==================== %s ====================\n' "$*"
}

# step NAME CMD...: run CMD under a banner; on failure say which step failed and stop.
step() {
    local name=$1 rc=0
    shift
    STEP=$((STEP + 1))
    banner "[$STEP] $name"
    printf '$ %s\n' "$*"
    "$@" || rc=$?
    if ((rc != 0)); then
        banner "FAILED: [$STEP] $name (exit $rc)"
        exit "$rc"
    fi
}

skip() {
    STEP=$((STEP + 1))
    banner "[$STEP] $1: SKIPPED ($2)"
}

# pytest exits 5 when it collected nothing: with a tests/ directory that means the tests
# went missing (or failed to import), which must fail the run.
run_pytest() {
    local rc=0
    .venv/bin/python -m pytest tests/ "$@" || rc=$?
    if ((rc == 5)); then
        echo "pytest collected no tests under tests/: treated as a failure" >&2
    fi
    return "$rc"
}

step "cargo fmt" cargo fmt --all --check
# The architecture (docs/ARCHITECTURE.md): no import cycle among files, no upward import
# between the core's layers (scripts/layers.toml), in the crates and the Python package.
step "layers" python3 scripts/check_layers.py
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo test" cargo test --workspace
step "cargo doc" env RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps
# The crates as a registry would get them: packaged together (datalake-ffi depends on the
# packaged datalake-core) and built from the package, so nothing reaches outside a crate.
step "cargo package" cargo package -q -p datalake-core -p datalake-ffi --allow-dirty

if [[ -d python ]]; then
    step "mypy stubtest" .venv/bin/python -m mypy.stubtest datalake._datalake
    step "mypy --strict (python/datalake)" .venv/bin/python -m mypy
    # The benchmarks import the test helpers (tests/support) the way they run.
    step "mypy --strict (bench)" env MYPYPATH=tests/support .venv/bin/python -m mypy --strict bench
else
    skip "mypy stubtest" "no python/ directory yet"
fi

step "wheel (build, install in a clean venv, smoke test)" bash scripts/wheel-check.sh

if [[ -d tests ]]; then
    step "pytest" run_pytest
else
    skip "pytest" "no tests/ directory yet"
fi

# The README's first command, end to end (its own throwaway sshd and directory).
demo_dir=$(mktemp -d /tmp/datalake-demo.XXXXXX)
step "demo (scripts/demo.sh)" env DATALAKE_DEMO_DIR="$demo_dir" bash scripts/demo.sh
rm -rf "$demo_dir"

banner "ALL CHECKS PASSED ($STEP steps)"
