#!/usr/bin/env bash
# Requests per second of the simulator for a 250-item REST v2 page list, measured from another process with wrk
# (Debian package `wrk`), no added latency. Every request follows a different cursor, so the whole data set is
# served rather than one cached page.
#
#   bash bench/sim_throughput.sh [seconds=10] [connections=8] [dataset=small]
#
# Prints wrk's summary; the figure to watch is Requests/sec. Results are recorded in bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-8}
dataset=${3:-small}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p confluence-cli
out=$(mktemp)
./target/release/confluence-sql sim --format json --dataset "$dataset" >"$out" &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$out" "$script"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$out")
auth=$(printf 'admin@example.com:sim-api-token' | base64)
# Collect the cursors of every page of the list first, then let wrk cycle through them.
cursors=$(python3 - "$url" "$auth" <<'PY'
import json, sys, urllib.request
url, auth = sys.argv[1], sys.argv[2]
path, paths = "/wiki/api/v2/pages?limit=250", []
while path:
    paths.append(path)
    req = urllib.request.Request(url + path, headers={"Authorization": "Basic " + auth})
    path = json.load(urllib.request.urlopen(req))["_links"].get("next")
print("{" + ",".join(json.dumps(p) for p in paths) + "}")
PY
)
script=$(mktemp --suffix=.lua)
cat >"$script" <<LUA
local paths = $cursors
local i = 0
request = function()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i], {["Authorization"] = "Basic $auth"})
end
LUA
echo "simulator: $url, data set $dataset, $(grep -o '/wiki/api/v2/pages' <<<"$cursors" | wc -l) distinct pages of 250 items"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$script" "$url"
