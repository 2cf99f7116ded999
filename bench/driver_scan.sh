#!/usr/bin/env bash
# A full scan through the driver: `SELECT count(*) FROM pages` over the simulator's million-page site. Prints the
# elapsed time, the driver's peak resident memory (bounded: batches stream through, nothing holds the table) and
# the number of requests the simulator served.
#
#   bash bench/driver_scan.sh [dataset=large] [sql="SELECT count(*) FROM pages"]
#   BINARY=/path/to/confluence-sql bash bench/driver_scan.sh ...   (another build, e.g. an earlier commit's)
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-large}
sql=${2:-SELECT count(*) FROM pages}
binary=${BINARY:-target/release/confluence-sql}
if [ -z "${BINARY:-}" ]; then cargo build --release -q -p confluence-cli; fi
source bench/start_sim.sh
start_sim "$binary" "$dataset"
curl -s -X DELETE "$url/__sim/counters" >/dev/null
/usr/bin/time -f "elapsed %e s, driver CPU %U s user + %S s system, peak resident memory %M KiB" \
    "$binary" "$connection" --format csv --timing -c "$sql"
curl -s "$url/__sim/counters" | python3 -c 'import json,sys; c=json.load(sys.stdin); print("simulator served", c["total"], "requests:", c["endpoints"])'
