#!/usr/bin/env bash
# A full scan read from Python through the ADBC driver: `SELECT id, title, updated_at FROM pages` over the
# simulator's million-page site, batch by batch (pyarrow RecordBatchReader, nothing collected). Prints rows, elapsed
# time and Python's peak resident memory (the driver runs inside it), then the simulator's request count; the same
# query through the shell for comparison.
#
#   bash bench/adbc_scan.sh [dataset=large] [sql="SELECT id, title, updated_at FROM pages"]
# Needs the Python packages of tests/python/requirements.txt (.venv is used when present).
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-large}
sql=${2:-SELECT id, title, updated_at FROM pages}
python=${PYTHON:-.venv/bin/python}
cargo build --release -q -p confluence-cli -p confluence-adbc
library=target/release/libconfluence_adbc.so
source bench/start_sim.sh
start_sim target/release/confluence-sql "$dataset"
curl -s -X DELETE "$url/__sim/counters" >/dev/null
/usr/bin/time -f "ADBC from Python: elapsed %e s, peak resident memory %M KiB" "$python" - "$library" "$connection" "$sql" <<'PY'
import sys
import adbc_driver_manager.dbapi as dbapi
library, connection, sql = sys.argv[1:]
with dbapi.connect(driver=library, entrypoint="AdbcConfluenceInit", db_kwargs={"uri": connection}, autocommit=True) as conn:
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = sum(batch.num_rows for batch in cur.fetch_record_batch())
print(f"{rows} rows")
PY
curl -s "$url/__sim/counters" | python3 -c 'import json,sys; print("simulator served", json.load(sys.stdin)["total"], "requests")'
curl -s -X DELETE "$url/__sim/counters" >/dev/null
/usr/bin/time -f "shell: elapsed %e s, peak resident memory %M KiB" \
    target/release/confluence-sql "$connection" --format csv -c "SELECT count(*) FROM ($sql)"
curl -s "$url/__sim/counters" | python3 -c 'import json,sys; print("simulator served", json.load(sys.stdin)["total"], "requests")'
