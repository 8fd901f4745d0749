#!/usr/bin/env bash
# The main job on an embedded default, end to end, with nothing to configure:
#   1. set the machine up (scripts/setup.sh: rsync, openssh, .venv, `pip install .`)
#   2. generate a sample collector (40 days x 3 symbols of Parquet-like partitions)
#   3. serve it from a throwaway OpenSSH server on 127.0.0.1 (tests/support/sshd.sh)
#   4. write a quants-infra style config for it, then run the real CLI:
#      validate, test-connection, sync (with retention), stats, status, cleanup (dry run, then real)
# Everything lives in $DATALAKE_DEMO_DIR (default /tmp/datalake-demo), recreated each run
# and kept afterwards for a look; the server is stopped on exit.
set -euo pipefail

# shellcheck source=scripts/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" # cds to the repo root, puts .venv/bin on PATH

DEMO=${DATALAKE_DEMO_DIR:-/tmp/datalake-demo}
case $DEMO in
/tmp/* | /var/tmp/*) ;;
*) echo "demo: DATALAKE_DEMO_DIR must be under /tmp or /var/tmp (the sshd user must reach it), got $DEMO" >&2 && exit 2 ;;
esac
SSHD_DIR=$DEMO/sshd

cleanup() { bash tests/support/sshd.sh stop "$SSHD_DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT

if [[ -d $SSHD_DIR ]]; then cleanup; fi
rm -rf "$DEMO"
mkdir -p "$DEMO" "$SSHD_DIR"
chmod 755 "$DEMO"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "generating a sample collector in $DEMO/collector"
python3 - "$DEMO/collector" <<'PY'
import datetime as dt, sys
sys.path.insert(0, "tests/support")
import trees
today = trees.utc_today()
days = [today - dt.timedelta(days=d) for d in range(40)]
files = trees.make_collector_tree(sys.argv[1], days=days, symbols=["VIRTUAL-USDT", "BTC-USDT", "ETH-USDT"], parts=3, size=64 * 1024)
print(f"{len(files)} files in {len(days)} daily partitions per symbol (the 10 oldest days are past a 30-day retention)")
PY

say "starting a throwaway OpenSSH server on 127.0.0.1"
eval "$(bash tests/support/sshd.sh start "$SSHD_DIR")"
echo "sshd on 127.0.0.1:$SSH_PORT, login $SSH_USER, key $SSH_KEY"

CONFIG=$DEMO/data_lake.yml
cat >"$CONFIG" <<EOF
data_lake:
  root_dir: $DEMO/lake
  profiles:
    cex_ticks:
      source:
        type: ssh
        host: 127.0.0.1
        port: $SSH_PORT
        user: $SSH_USER
        ssh_key: $SSH_KEY
        remote_root: $DEMO/collector
      local_subdir: cex_ticks
      retention_days: 30
      known_hosts: $SSH_KNOWN_HOSTS
      exclude: ["*.tmp"]
      min_age: 0             # the demo tree was written a moment ago
      check_parquet: false   # and holds Parquet-framed random bytes, not real Parquet
EOF
echo "config: $CONFIG"
export DATALAKE_CONFIG=$CONFIG

say "datalake validate";                 datalake validate
say "datalake test-connection cex_ticks"; datalake test-connection cex_ticks
say "datalake sync --all";               datalake sync --all
say "datalake sync --all (again: nothing new)"; datalake sync --all
say "datalake stats cex_ticks";          datalake stats cex_ticks
say "datalake status";                   datalake status
say "an expired partition left by an earlier run (45 days old) appears in the lake"
python3 - "$DEMO/lake/cex_ticks" <<'PY'
import datetime as dt, sys
sys.path.insert(0, "tests/support")
import trees
day = trees.utc_today() - dt.timedelta(days=45)
from pathlib import Path
print(trees.write_file(Path(sys.argv[1]), f"{trees.partition_name('BTC-USDT', day)}/part_00001.parquet", 64 * 1024))
PY
say "datalake cleanup --all --dry-run";  datalake cleanup --all --dry-run
say "datalake cleanup --all";            datalake cleanup --all

say "done: the lake is in $DEMO/lake, its checkpoint in $DEMO/lake/.checkpoints"
