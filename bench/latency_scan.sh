#!/usr/bin/env bash
# A query through the driver against the simulator with a fixed latency on every request, as on a real site over
# the network: prints the elapsed time and the requests served. Read one after another, N requests cannot take less
# than N × latency; CQL searches (several pages at a time once the total is known) and full scans (several cursor
# chains, each over a share of the spaces) do better.
#
#   bash bench/latency_scan.sh [binary=target/release/confluence-sql] [latency_ms=100] [sql] [dataset=small]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/release/confluence-sql}
latency=${2:-100}
sql="${3:-SELECT count(*) FROM cql('type = page')}"
dataset=${4:-small}
if [ "$binary" = target/release/confluence-sql ]; then cargo build --release -q -p confluence-cli; fi
source bench/start_sim.sh
start_sim "$binary" "$dataset"
curl -s -X PUT "$url/__sim/faults" -H 'Content-Type: application/json' -d "[{\"latency_ms\": $latency}]" >/dev/null
curl -s -X DELETE "$url/__sim/counters" >/dev/null
/usr/bin/time -f "elapsed %e s" "$binary" "$connection" --format csv -c "$sql"
curl -s "$url/__sim/counters" | python3 -c "
import json, sys
c = json.load(sys.stdin)
print('simulator served', c['total'], 'requests; read one after another they would take at least',
      round(c['total'] * $latency / 1000, 1), 's')"
