#!/usr/bin/env bash
# Mutation testing of the rule modules with cargo-mutants: does the suite notice when a
# rule is changed? Not run by CI (it takes hours); see docs/testing.md.
#
#   scripts/mutants.sh GROUP [--in-place]
#
# GROUP is one of the groups below: the rule modules, with their queries apart, each small
# enough to run in about an hour. Each mutant
# is built once and tested with the tests of its group (the first pass, fast); the mutants
# that pass are tested again with the whole suite (the second pass), and only those that
# still pass are missed.
# Results: mutants.out/GROUP/{pass1,pass2}/mutants.out/ (caught.txt, missed.txt, ...).
# --in-place mutates this checkout (and restores it) instead of a copy: faster, because the
# build in target/ is reused, but do not edit the tree while it runs. MUTANTS_PASS2_ONLY=1
# reruns only the second pass over the first pass's misses, after new tests were written
# (the code unchanged: the misses are found by their line). MUTANTS_ONLY=FILE runs one
# file of the group (with the group's tests), to rerun a file that changed.
set -euo pipefail
cd "$(dirname "$0")/.."

group="${1:?usage: scripts/mutants.sh GROUP [--in-place]}"
place=(--copy-target=true)
[[ "${2:-}" == "--in-place" ]] && place=(--in-place)

case "$group" in
    resets) files=(src/resets/{mod,rules,redemption}.rs src/pending_resets.rs src/integrator_fields.rs)
        filters=(reset final_password password_fields integrator keyset webhook_events webhook_wakes) ;;
    reset-queries) files=(src/resets/{queries,document}.rs)
        filters=(reset webhook_payloads webhook_events keyset pagination statements) ;;
    customers) files=(src/customers/{mod,rules,email}.rs)
        filters=(customer permissions password integrator keyset webhook_events webhook_wakes) ;;
    customer-queries) files=(src/customers/{queries,document}.rs)
        filters=(customer webhook_payloads webhook_events keyset pagination statements) ;;
    sessions) files=(src/auth/sessions/*.rs)
        filters=(refresh session login password oauth final_password revocation) ;;
    callers) files=(src/auth/{mod,credentials,tokens,revocations,token_cache}.rs)
        filters=(auth oauth token login permissions revocation modes secrets) ;;
    passwords) files=(src/auth/{password,secrets,hash_pool,argon2id,pauses}.rs)
        filters=(password login oauth secrets hashes throttle final_password) ;;
    oauth) files=(src/oauth/*.rs)
        filters=(oauth token login refresh) ;;
    webhook-signing) files=(src/webhooks/{mod,payload,sealed,secret,signing,topic}.rs
                            src/webhooks/delivery/schedule.rs)
        filters=(webhook) ;;
    webhook-rules) files=(src/webhooks/resource/{mod,rules,validate}.rs src/webhooks/delivery/addresses.rs)
        filters=(webhook) ;;
    webhook-queries) files=(src/webhooks/resource/queries.rs src/webhooks/outbox/*.rs)
        filters=(webhook) ;;
    webhook-delivery) files=(src/webhooks/delivery/{mod,client,sender}.rs src/webhooks/delivery/sender/*.rs)
        filters=(webhook) ;;
    *) echo "unknown group $group" >&2; exit 2 ;;
esac
if [[ -n "${MUTANTS_ONLY:-}" ]]; then
    [[ " ${files[*]} " == *" $MUTANTS_ONLY "* ]] || { echo "$MUTANTS_ONLY is not in $group" >&2; exit 2; }
    files=("$MUTANTS_ONLY")
fi
file_args=()
for f in "${files[@]}"; do file_args+=(-f "$f"); done

# Pass 1 on SQLite only, on a RAM disk; pass 2 on PostgreSQL too when TEST_DATABASE_URL
# is set (a row lock or a race only PostgreSQL has is caught there). The `mutants`
# profile (Cargo.toml) builds without debug info, and mold links when it is installed.
postgres="${TEST_DATABASE_URL:-}"
unset TEST_DATABASE_URL
if command -v mold >/dev/null; then
    export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=-fuse-ld=mold"
fi
export TMPDIR="${MUTANTS_TMPDIR:-/dev/shm}"
out="mutants.out/$group${MUTANTS_ONLY:+-$(basename "$MUTANTS_ONLY" .rs)}"
mkdir -p "$out"

if [[ "${MUTANTS_PASS2_ONLY:-}" == 1 ]]; then
    echo "--- pass 1 skipped: reusing $out/pass1 (MUTANTS_PASS2_ONLY=1)"
else
    echo "--- pass 1: $group, tests matching ${filters[*]}"
    cargo mutants "${place[@]}" --profile mutants --no-shuffle --minimum-test-timeout 60 "${file_args[@]}" -o "$out/pass1" \
        -- --lib --test api -- "${filters[@]}" || true
fi

missed="$out/pass1/mutants.out/missed.txt"
if [[ -s "$missed" ]]; then
    echo "--- pass 2: the $(wc -l < "$missed") mutants pass 1 missed, against the whole suite"
    # One exact-name regex per missed mutant ("file:line:col: description").
    regexes=()
    while IFS= read -r name; do
        regexes+=(-F "^$(printf '%s' "$name" | sed 's/[][\\.*^$(){}+?|/]/\\&/g')\$")
    done < "$missed"
    both=()
    [[ -n "$postgres" ]] && both=(env TEST_DATABASE_URL="$postgres")
    "${both[@]}" cargo mutants "${place[@]}" --profile mutants --no-shuffle --baseline=skip \
        --timeout 600 "${file_args[@]}" "${regexes[@]}" -o "$out/pass2" || true
fi

count() { cat "$@" 2>/dev/null | wc -l; }
first_caught=$(count "$out"/pass1/mutants.out/{caught,timeout}.txt)
first_missed=$(count "$missed")
second_caught=0 second_missed=0
if (( first_missed > 0 )); then
    second_caught=$(count "$out"/pass2/mutants.out/{caught,timeout}.txt)
    second_missed=$(count "$out/pass2/mutants.out/missed.txt")
fi
caught=$((first_caught + second_caught))
echo "--- $group: $caught of $((caught + second_missed)) viable mutants caught" \
    "($((first_missed - second_caught - second_missed)) missed in pass 1 no longer found)"
if (( second_missed > 0 )); then
    echo "missed:"
    cat "$out/pass2/mutants.out/missed.txt"
fi
