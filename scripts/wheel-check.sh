#!/usr/bin/env bash
# The wheel a Python user without Rust installs: build it with maturin, install it into a
# fresh venv made with the system python3, and smoke-test it from outside the source tree.
#
#   bash scripts/wheel-check.sh            (scripts/test.sh runs it; needs .venv from setup.sh)
#
# Checks: exactly one wheel, tagged cp39-abi3 and manylinux (glibc); `datalake --version`;
# `datalake validate` on config/data_lake.yml.example; `python -c "import datalake"`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
wheel_log() { printf '[wheel] %s\n' "$*" >&2; }
wheel_die() {
    printf '[wheel] ERROR: %s\n' "$*" >&2
    exit 1
}

[[ -x .venv/bin/maturin ]] || wheel_die ".venv/bin/maturin missing: run scripts/setup.sh first"
SYSTEM_PYTHON=${DATALAKE_SYSTEM_PYTHON:-/usr/bin/python3}
[[ -x $SYSTEM_PYTHON ]] || wheel_die "$SYSTEM_PYTHON not found: install Debian's python3 (or set DATALAKE_SYSTEM_PYTHON)"

WORK=$(mktemp -d /tmp/datalake-wheel.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

wheel_log "maturin build --release"
.venv/bin/maturin build --release --quiet --out "$WORK/dist" >&2
mapfile -t wheels < <(find "$WORK/dist" -name '*.whl')
((${#wheels[@]} == 1)) || wheel_die "expected exactly one wheel, got ${#wheels[@]}: ${wheels[*]:-none}"
wheel=${wheels[0]}
name=$(basename "$wheel")
wheel_log "built $name"
[[ $name =~ ^datalake-[0-9][^-]*-cp39-abi3-manylinux[_0-9a-z.]*_(x86_64|aarch64)\.whl$ ]] ||
    wheel_die "$name: expected one cp39-abi3 manylinux wheel (abi3-py39 in datalake-py/Cargo.toml)"

wheel_log "installing it into a fresh venv made with $SYSTEM_PYTHON"
"$SYSTEM_PYTHON" -m venv "$WORK/venv" || wheel_die "$SYSTEM_PYTHON -m venv failed: apt-get install python3-venv"
"$WORK/venv/bin/python" -m pip install -q "$wheel"

# From a directory with no datalake sources, so the import can only come from the wheel.
cd "$WORK"
cp "$ROOT/config/data_lake.yml.example" "$WORK/example.yml"
wheel_log "smoke test from $WORK"
"$WORK/venv/bin/datalake" --version
"$WORK/venv/bin/datalake" validate --config "$WORK/example.yml"
"$WORK/venv/bin/python" -c 'import datalake, sys; assert "site-packages" in datalake.__file__, datalake.__file__; print("import datalake:", datalake.__file__)'
wheel_log "ok: $name"
