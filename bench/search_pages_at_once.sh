#!/usr/bin/env bash
# CQL searches read several pages at a time once the first page gives the total. Runs a search through the
# driver against the simulator with a fixed latency on every request, and prints the elapsed time and the number
# of search requests; read one page after another, a search cannot take less than requests × latency.
#
#   bash bench/search_pages_at_once.sh [binary=target/release/confluence-sql] [latency_ms=100] [sql]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/release/confluence-sql}
latency=${2:-100}
sql="${3:-SELECT count(*) FROM cql('type = page')}"
if [ "$binary" = target/release/confluence-sql ]; then cargo build --release -q -p confluence-cli; fi
out=$(mktemp)
"$binary" sim --format json --dataset small >"$out" &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$out"' EXIT
until [ -s "$out" ]; do sleep 0.01; done
url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$out")
connection=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["connection_string"])' "$out")
curl -s -X PUT "$url/__sim/faults" -H 'Content-Type: application/json' -d "[{\"latency_ms\": $latency}]" >/dev/null
curl -s -X DELETE "$url/__sim/counters" >/dev/null
/usr/bin/time -f "elapsed %e s" "$binary" "$connection" --format csv -c "$sql"
curl -s "$url/__sim/counters" | python3 -c "
import json, sys
c = json.load(sys.stdin)
print('simulator served', c['total'], 'requests; read one after another they would take at least',
      round(c['total'] * $latency / 1000, 1), 's')"
