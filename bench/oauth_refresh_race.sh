#!/usr/bin/env bash
# Several processes share one OAuth token store; the access token has expired; they all start a query at once.
# The store's lock serialises them: the first refreshes (Atlassian rotates the refresh token) and saves, the
# others re-read the store and adopt its tokens. Reports failures, refresh requests and wall time.
#
#   bash bench/oauth_refresh_race.sh [processes=8]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-8}
cargo build -q -p confluence-cli
bin=./target/debug/confluence-sql
dir=$(mktemp -d)
"$bin" sim --format json >"$dir/sim.json" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$dir"' EXIT
until [ -s "$dir/sim.json" ]; do sleep 0.05; done
field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$dir/sim.json" "$1"; }
url=$(field url)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conn="$(field oauth_connection_string);InitiateOAuth=GETANDREFRESH;OAuthSettingsLocation=$dir/tokens.json;CallbackURL=http://127.0.0.1:$port/cb"

# Log in once, playing the browser: follow the printed authorization URL (the simulator approves at once).
curl -sf -X PUT -H 'Content-Type: application/json' -d '{"enabled": true}' "$url/__sim/auto-approve"
"$bin" login "$conn" --no-browser 2>"$dir/login.log" &
login=$!
until grep -q '^  http' "$dir/login.log"; do sleep 0.05; done
curl -sf -L -o /dev/null "$(grep '^  http' "$dir/login.log" | head -1 | tr -d ' ')"
wait $login

curl -sf -X POST "$url/__sim/tokens/expire"
curl -sf -X DELETE "$url/__sim/counters"
start=$(date +%s.%N)
pids=()
for i in $(seq "$n"); do
  "$bin" --format csv -c "SELECT count(*) AS n FROM spaces" "$conn" >"$dir/q$i.out" 2>"$dir/q$i.err" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
end=$(date +%s.%N)
refreshes=$(curl -sf "$url/__sim/counters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["endpoints"].get("POST /oauth/token", 0))')
python3 - "$n" "$failed" "$refreshes" "$start" "$end" <<'PY'
import sys
n, failed, refreshes, start, end = sys.argv[1:]
print(f"{n} processes with an expired token: {failed} failed, {refreshes} refresh request(s), "
      f"all done in {float(end) - float(start):.2f} s")
PY
[ "$failed" = 0 ] && [ "$refreshes" = 1 ]
