# Sourced by the bench scripts: start_sim BINARY DATASET starts `BINARY sim` on 127.0.0.1 with DATASET, stops it on
# exit, and sets $url (the simulator's address) and $connection (a connection string to it).
start_sim() {
    local out
    out=$(mktemp)
    "$1" sim --format json --dataset "$2" >"$out" &
    local sim=$!
    trap "kill $sim 2>/dev/null; rm -f '$out'" EXIT
    until [ -s "$out" ]; do sleep 0.01; done
    url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$out")
    connection=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["connection_string"])' "$out")
}
