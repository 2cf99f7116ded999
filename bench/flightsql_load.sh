#!/usr/bin/env bash
# The Flight SQL server under load and on a full scan, all on loopback:
# 1. load: CLIENTS concurrent ADBC Flight SQL clients (Python threads, one connection each) run QUERIES statements
#    each, a mix of a catalog listing, a parameterised count, a lookup by id and a LIMIT 10 (the `small` site);
#    prints errors, p50/p99/max latency, throughput and the server's peak resident memory;
# 2. scan: `SELECT id, title, updated_at FROM pages` over the million-page site read through the server into
#    Arrow batches (nothing collected), then the same query through the shell, with the simulator's request counts.
#
#   bash bench/flightsql_load.sh [clients=32] [queries=50] [scan dataset=large]
# Needs the Python packages of tests/python/requirements.txt (.venv is used when present).
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-32}
queries=${2:-50}
scan_dataset=${3:-large}
python=${PYTHON:-.venv/bin/python}
binary=target/release/confluence-sql
cargo build --release -q -p confluence-cli
export CONFLUENCE_SQL_SERVE_PASSWORD=bench-passphrase

# serve CONNECTION: starts the server on a free port, sets $server_url and $server_pid.
serve() {
    local out
    out=$(mktemp)
    "$binary" serve "$1" --user bench --listen 127.0.0.1:0 --format json >"$out" &
    server_pid=$!
    until [ -s "$out" ]; do sleep 0.01; done
    server_url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$out")
    rm -f "$out"
}
peak_rss() { awk '/VmHWM/ {print $2, $3}' "/proc/$1/status"; }
requests() { curl -s "$url/__sim/counters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }

source bench/start_sim.sh

# Each phase runs in a subshell: its simulator stops when the subshell exits.
load_phase() {
echo "== load: $clients clients x $queries queries (small site)"
start_sim "$binary" small
serve "$connection"
"$python" - "$server_url" "$clients" "$queries" <<'PY'
import statistics, sys, threading, time
import adbc_driver_flightsql.dbapi as flightsql
url, clients, queries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
statements = [
    ("SELECT key, name FROM spaces ORDER BY key", ()),
    ("SELECT count(*) FROM pages WHERE space_key = ?", ("ENG",)),
    ("SELECT title FROM pages WHERE id = ?", (None,)),
    ("SELECT id, title FROM pages WHERE space_key = ? LIMIT 10", ("DOCS",)),
]
latencies, errors, lock = [], [], threading.Lock()
with flightsql.connect(url, db_kwargs={"username": "bench", "password": "bench-passphrase"}, autocommit=True) as c:
    with c.cursor() as cur:
        cur.execute("SELECT id FROM pages ORDER BY id LIMIT 1")
        page_id = cur.fetchone()[0]
statements[2] = (statements[2][0], (page_id,))
start = threading.Barrier(clients)
def client(n):
    try:
        conn = flightsql.connect(url, db_kwargs={"username": "bench", "password": "bench-passphrase"}, autocommit=True)
    except Exception as e:
        with lock: errors.append(repr(e))
        return
    with conn, conn.cursor() as cur:
        start.wait()
        for i in range(queries):
            sql, params = statements[(n + i) % len(statements)]
            t = time.perf_counter()
            try:
                cur.execute(sql, parameters=params or None)
                cur.fetch_arrow_table()
            except Exception as e:
                with lock: errors.append(repr(e))
                continue
            with lock: latencies.append(time.perf_counter() - t)
began = time.perf_counter()
threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - began
latencies.sort()
q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
print(f"{len(latencies)} queries ok, {len(errors)} errors in {elapsed:.2f} s ({len(latencies) / elapsed:.0f} queries/s)")
print(f"latency p50 {q(0.50):.1f} ms, p99 {q(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms")
for e in errors[:5]: print("error:", e)
PY
echo "server peak resident memory: $(peak_rss "$server_pid")"
echo "simulator served $(requests) requests"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
}

scan_phase() {
echo "== scan: SELECT id, title, updated_at FROM pages ($scan_dataset site)"
start_sim "$binary" "$scan_dataset"
serve "$connection"
curl -s -X DELETE "$url/__sim/counters" >/dev/null
/usr/bin/time -f "through Flight SQL (ADBC client): elapsed %e s, client peak resident memory %M KiB" "$python" - "$server_url" <<'PY'
import sys
import adbc_driver_flightsql.dbapi as flightsql
with flightsql.connect(sys.argv[1], db_kwargs={"username": "bench", "password": "bench-passphrase"}, autocommit=True) as conn:
    with conn.cursor() as cur:
        cur.execute("SELECT id, title, updated_at FROM pages")
        rows = sum(batch.num_rows for batch in cur.fetch_record_batch())
print(f"{rows} rows")
PY
echo "server peak resident memory: $(peak_rss "$server_pid"); simulator served $(requests) requests"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
curl -s -X DELETE "$url/__sim/counters" >/dev/null
/usr/bin/time -f "shell: elapsed %e s, peak resident memory %M KiB" \
    "$binary" "$connection" --format csv -c "SELECT count(*) FROM (SELECT id, title, updated_at FROM pages)"
echo "simulator served $(requests) requests"
}

(load_phase)
(scan_phase)
