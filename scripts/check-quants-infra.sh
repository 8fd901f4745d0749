#!/usr/bin/env bash
# Run quants-infra's own data-lake tests and its `data-lake` CLI on datalake.quants_infra.
#
#   scripts/check-quants-infra.sh CHECKOUT PYTHON
#
# CHECKOUT  an existing copy of quants-infra's source tree, outside this repository (this
#           script fetches nothing). Its core/data_lake/*.py files are REPLACED by the
#           one line `from datalake.quants_infra import *`: use a scratch copy.
# PYTHON    a python (venv) with quants-infra's requirements.txt and this package installed.
#
# Then: pytest --run-e2e on tests/unit/test_data_lake.py, tests/integration/test_data_lake_e2e.py
# and tests/e2e/test_data_lake.py; and `python -m cli.main data-lake ...` (validate,
# test-connection, sync, sync --all, stats, stats --all, stats --format json, cleanup --dry-run,
# cleanup --all) against a throwaway loopback sshd (tests/support/sshd.sh) with a generated
# collector tree. Exits non-zero if a test fails or a command does not exit 0.
set -euo pipefail

[[ $# -eq 2 ]] || {
    sed -n '2,13p' "$0" >&2
    exit 2
}
checkout=$(cd "$1" && pwd)
python=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -f $checkout/cli/commands/data_lake.py && -d $checkout/core/data_lake ]] ||
    { echo "check-quants-infra: $checkout is not a quants-infra checkout" >&2; exit 2; }
case $checkout/ in "$here"/*) echo "check-quants-infra: use a copy outside this repository" >&2; exit 2 ;; esac
"$python" -c 'import datalake.quants_infra, pytest, pydantic, yaml' ||
    { echo "check-quants-infra: $python lacks datalake, pytest, pydantic or pyyaml" >&2; exit 2; }

# The switch: one line per file.
for f in "$checkout"/core/data_lake/*.py; do
    printf 'from datalake.quants_infra import *\n' >"$f"
done

# Their e2e test runs `python3 -m cli.main`: put the venv's bin (with its python3) first.
pybin=$(cd "$(dirname "$(command -v "$python")")" && pwd)
[[ -x $pybin/python3 ]] || { echo "check-quants-infra: no python3 beside $python (pass a venv's python)" >&2; exit 2; }
export PATH=$pybin:$PATH

status=0
echo "== quants-infra's data-lake tests"
(cd "$checkout" && python3 -m pytest -p no:cacheprovider --run-e2e -q --no-cov \
    tests/unit/test_data_lake.py tests/integration/test_data_lake_e2e.py tests/e2e/test_data_lake.py) || status=1

# A collector tree and a lake, readable by the sshd user (see tests/support/sshd.sh).
work=$(mktemp -d /tmp/qi-cli-XXXXXX)
chmod 755 "$work"
cleanup() {
    bash "$here/tests/support/sshd.sh" stop "$work/sshd" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
eval "$(bash "$here/tests/support/sshd.sh" start "$work/sshd")"
for profile in cex dex; do
    for back in 0 1 2; do
        day=$(date -d "-$back day" +%Y%m%d)
        for sym in BTC-USDT ETH-USDT; do
            mkdir -p "$work/collector/$profile/gate_io_${sym}_$day"
            head -c 4096 /dev/urandom >"$work/collector/$profile/gate_io_${sym}_$day/part_00001.parquet"
        done
    done
done
chmod -R a+rX "$work/collector"
old=$(date -d "-40 day" +%Y%m%d)
mkdir -p "$work/lake/cex_ticks/gate_io_BTC-USDT_$old"
head -c 2048 /dev/urandom >"$work/lake/cex_ticks/gate_io_BTC-USDT_$old/part_00001.parquet"

config=$work/data_lake.yml
profile() { # name subdir enabled
    cat <<EOF
    $1:
      enabled: $3
      source:
        type: ssh
        host: $SSH_HOST
        port: $SSH_PORT
        user: $SSH_USER
        ssh_key: $SSH_KEY
        remote_root: $work/collector/$2
      local_subdir: $1
      retention_days: 7
      known_hosts: $SSH_KNOWN_HOSTS
EOF
}
{
    printf 'data_lake:\n  root_dir: %s\n  checkpoint_dir: %s\n  profiles:\n' "$work/lake" "$work/checkpoints"
    profile cex_ticks cex true
    profile dex_trades dex true
    profile paused cex false
} >"$config"

run() {
    echo
    echo "\$ quants-infra data-lake $* --config \$CONFIG"
    local rc=0
    (cd "$checkout" && python3 -m cli.main data-lake "$@" --config "$config") || rc=$?
    echo "[exit $rc]"
    [[ $rc -eq 0 ]] || status=1
}
echo
echo "== quants-infra's CLI (loopback sshd on port $SSH_PORT)"
run validate
run test-connection cex_ticks
run sync cex_ticks
run sync --all
run stats cex_ticks
run stats --all
run stats cex_ticks --format json
run cleanup cex_ticks --dry-run
run cleanup --all
exit $status
