#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 180) each, on its kept corpus, and prints libFuzzer's summary lines.
# Needs nightly and cargo-fuzz: `cargo install cargo-fuzz`. From the repository root: bash fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-180}"
for target in connection_string exec_rewrite cql page_json; do
    echo "== $target ($seconds s)"
    cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 \
        | grep -E "stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb|Done|SUMMARY|panicked|ERROR" || true
done
