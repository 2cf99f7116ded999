#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS (default 180) each, on its kept corpus, and prints
# libFuzzer's summary lines. Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`).
# From the repository root: bash fuzz/run.sh [SECONDS [TARGET...]]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-180}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(connection_string exec_rewrite cql page_json)
for target in "${targets[@]}"; do
    # The kept corpora are committed as tarballs (corpora/); unpack the ones not unpacked yet.
    if [ ! -d "corpus/$target" ] && [ -f "corpora/$target.tar.gz" ]; then
        mkdir -p corpus && tar xzf "corpora/$target.tar.gz" -C corpus
    fi
    echo "== $target ($seconds s)"
    cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 \
        | grep -E "stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb|Done|SUMMARY|panicked|ERROR" || true
done
# To keep what a run found: cargo +nightly fuzz cmin <target> corpus/<target>, then
# tar czf corpora/<target>.tar.gz -C corpus <target>
