#!/usr/bin/env bash
# The driver beside what users do instead (a Python loop over atlassian-python-api, loaded into pandas), against
# one simulator: per scenario and latency, median wall time, peak memory, requests, rows and the ratio; the full
# scan also through the ADBC driver and the Flight SQL server. Writes bench/RESULTS.md.
#
#   bash bench/compare.sh [compare.py options: --reps 3 --latency 100,0 --only full_count,one_space ...]
# Installs the baseline's packages (atlassian-python-api, pandas, the ADBC clients) into .venv-bench once.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p confluence-cli -p confluence-adbc
if [ ! -x .venv-bench/bin/python ]; then
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -q atlassian-python-api pandas adbc-driver-manager adbc-driver-flightsql pyarrow
fi
exec .venv-bench/bin/python bench/compare.py --python .venv-bench/bin/python "$@"
