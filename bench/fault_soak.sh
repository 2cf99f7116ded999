#!/usr/bin/env bash
# The fault soak: every table on Cloud and Data Center, read ROUNDS times (default 50) while the simulator fails 10%
# of requests with a 5xx, 5% with a 429 (Retry-After: 1), and cuts 1% of connections before and 1% in the middle of
# the body, with jitter. Each scan must return exactly the rows of a fault-free run, or fail with an error; the
# script prints scans, rows, failures, requests, retries, 429s and the wall time. CI runs the same test with 2 rounds.
# Usage: bash bench/fault_soak.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFLUENCE_SQL_SOAK_ROUNDS="${1:-50}" cargo test -q -p confluence-sql --test fault_soak -- --nocapture 2>&1 \
    | grep -E "^soak|test result|panicked"
