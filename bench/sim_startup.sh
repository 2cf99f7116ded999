#!/usr/bin/env bash
# Start-up time and memory of the simulator with a million pages (the `large` data set): the time from launch
# until it prints its URL, and its resident memory after start-up and after serving the last page of the list.
#
#   bash bench/sim_startup.sh [dataset=large]
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-large}
cargo build --release -q -p confluence-cli
out=$(mktemp)
start=$(date +%s.%N)
./target/release/confluence-sql sim --format json --dataset "$dataset" >"$out" &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$out"' EXIT
until [ -s "$out" ]; do sleep 0.005; done
ready=$(date +%s.%N)
url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$out")
rss() { awk '/VmRSS/ {print $2}' /proc/$sim/status; }
rss_start=$(rss)
curl -s -o /dev/null -u admin@example.com:sim-api-token "$url/wiki/api/v2/pages?limit=250&body-format=storage"
rss_list=$(rss)
sort_start=$(date +%s.%N)
last=$(curl -s -u admin@example.com:sim-api-token "$url/wiki/api/v2/pages?limit=1&sort=-id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["id"])')
sort_end=$(date +%s.%N)
rss_sort=$(rss)
python3 - "$start" "$ready" "$rss_start" "$rss_list" "$rss_sort" "$dataset" "$last" "$sort_start" "$sort_end" <<'PY'
import sys
start, ready, rss0, rss1, rss2, dataset, last, s0, s1 = sys.argv[1:]
mib = lambda kib: f"{int(kib) / 1024:.1f} MiB"
print(f"data set {dataset}: ready in {float(ready) - float(start):.3f} s")
print(f"resident memory: {mib(rss0)} after start-up, {mib(rss1)} after a 250-page list with bodies, "
      f"{mib(rss2)} after a list sorted by -id ({float(s1) - float(s0):.2f} s; non-id sorts materialise every row; last id {last})")
PY
