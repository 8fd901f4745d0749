#!/usr/bin/env bash
# The main job on an embedded default, end to end, with nothing to configure:
#   1. set the machine up (scripts/setup.sh: rsync, openssh, .venv, `pip install .`)
#   2. generate a sample collector in the collectors' real shape: order-book parts
#      (quants-lab's ORDERBOOK_TICK_SCHEMA, snappy Parquet of 150 rows) for 3 pairs x 10 days,
#      written an hour ago, plus one part being written right now
#   3. serve it from a throwaway OpenSSH server on 127.0.0.1 (tests/support/sshd.sh)
#   4. write a quants-infra style config for it (the default checks on, compaction enabled),
#      then run the real CLI and library: validate, test-connection, sync, read (one call
#      to a pyarrow table), compact (closed days into a Delta table), read again (the same
#      rows, now from the table; Polars reads the table too), verify, stats, cleanup, status
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
from pathlib import Path
sys.path.insert(0, "tests/support")
import ticks
root, today = Path(sys.argv[1]), dt.datetime.now(dt.timezone.utc).date()
n = 0
for pair in ["VIRTUAL-USDT", "BTC-USDT", "ETH-USDT"]:
    for d in range(10):
        n += len(ticks.write_parts(root, pair, today - dt.timedelta(days=d), parts=40))
# A part the collector is writing right now: min_age (1 minute by default) leaves it for the next run.
ticks.write_parts(root, "VIRTUAL-USDT", today, parts=1, first_part=41, first_id=40 * 150, age=0)
print(f"{n} order-book parts of 150 rows, 3 pairs x 10 days (the 3 oldest days are past a 7-day retention), and one part written just now")
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
      retention_days: 7
      known_hosts: $SSH_KNOWN_HOSTS
      exclude: ["*.tmp"]
      compact:
        enabled: true          # closed days (ended 2h ago in UTC) into one Delta table
        sort_by: [timestamp]
        dedup_on: [update_id, side, price]
EOF
echo "config: $CONFIG"
export DATALAKE_CONFIG=$CONFIG

say "datalake validate";                 datalake validate
say "datalake test-connection cex_ticks"; datalake test-connection cex_ticks
say "datalake sync --all";               datalake sync --all
say "datalake sync --all (again: nothing new)"; datalake sync --all
say "datalake stats cex_ticks";          datalake stats cex_ticks
say "datalake files (one pair, 3 days)";  datalake files cex_ticks --series gate_io_VIRTUAL-USDT --start "$(date -u -d '3 days ago' +%Y%m%d)" --end "$(date -u -d '1 day ago' +%Y%m%d)" | wc -l
READ=$(cat <<'PY'
import datetime as dt, os, datalake
lake = datalake.DataLake.open(os.environ["DATALAKE_CONFIG"])
end = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
table = lake.read("cex_ticks", series="gate_io_VIRTUAL-USDT", start=end - dt.timedelta(days=2), end=end, sort_by="timestamp")
print(f"lake.read: {table.num_rows} rows, {table.num_columns} columns, {table['timestamp'][0]} .. {table['timestamp'][-1]}")
print(f"update_id sum {sum(table['update_id'].to_pylist())}")
PY
)
say "read one pair x 3 days in one call (lake.read -> pyarrow)"; python3 -c "$READ"
say "datalake compact cex_ticks";        datalake compact cex_ticks
say "read the same selection again: now from the Delta table"; python3 -c "$READ"
say "Polars reads the table directly"
python3 - <<'PY'
import os, datalake, polars as pl
table = datalake.DataLake.open(os.environ["DATALAKE_CONFIG"]).profile("cex_ticks").compact["table"]["path"]
counts = pl.scan_delta(table).group_by("series").agg(pl.len().alias("rows")).sort("series").collect()
print(f"pl.scan_delta({table!r}):"); print(counts)
PY
say "datalake verify cex_ticks";         datalake verify cex_ticks
say "datalake sync --all (after compaction: nothing fetched again)"; datalake sync --all
say "datalake cleanup --all --dry-run";  datalake cleanup --all --dry-run
say "datalake cleanup --all";            datalake cleanup --all
say "datalake status";                   datalake status

say "done: the lake is in $DEMO/lake (its Delta table in $DEMO/lake/cex_ticks/_table), its checkpoint in $DEMO/lake/.checkpoints"
