#!/usr/bin/env bash
# Runs the coverage-guided fuzzer of the request path (fuzz/fuzz_targets/request.rs)
# for SECONDS (default 60), seeded with the committed corpus (tests/fuzz-corpus/).
# Oracles: no panic, no abort, no 5xx, no document whose cost analysis runs past its
# budget, and no input that takes longer than TIMEOUT seconds (default 5) or more than
# 2 GB. New inputs it finds go to fuzz/corpus/request/ (not committed: copy the
# interesting ones to tests/fuzz-corpus/ in its format); an input that fails an oracle
# goes to fuzz/artifacts/request/, and the script fails.
#
# Needs cargo-fuzz (installed from crates.io when missing). Runs on the stable
# toolchain: RUSTC_BOOTSTRAP=1 lets it take the flags cargo-fuzz passes, and no
# sanitizer is used (AddressSanitizer needs a nightly standard library).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
timeout="${TIMEOUT:-5}"

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/corpus/request
cargo fuzz build request --sanitizer none
# The first folder receives what the fuzzer finds; the committed corpus is only read.
cargo fuzz run request --sanitizer none fuzz/corpus/request tests/fuzz-corpus -- \
    -max_total_time="$seconds" \
    -timeout="$timeout" \
    -rss_limit_mb=2048 \
    -max_len=32768 \
    -print_final_stats=1
