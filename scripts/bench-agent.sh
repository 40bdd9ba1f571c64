#!/usr/bin/env bash
# card-agent benchmarks (docs/benchmarks.md): verify from standard input, and printing.
#
# Usage: scripts/bench-agent.sh            (from any directory; about a minute after the build)
#
# 1. `openssl speed -elapsed -seconds 5 ecdsap256`: single-core P-256 verify/s, the reference;
# 2. the release card-agent and its `card_batch` example (fixture TEST keys) make 10,000 signed
#    cards as QR lines, and 1,000 more for printing, with a trust bundle;
# 3. `card-agent verify < 10,000 lines`, three runs, each checked to report 10,000 VALID lines:
#    cards per second (best and median), and the ratio to openssl's verify/s;
# 4. `card-agent verify-batch` over 100,000 claims (CSV: claim_id,qr), on every core and with
#    --jobs 1: claims per second, and the ratio to openssl's single-core verify/s (target 1.5);
# 5. `card-agent print` of the 1,000 cards, layout card (2 ID-1 pages per card) and layout
#    sheet (A4, 10 cards per page): seconds and MB.
# The summary is also written to target/bench-agent-summary.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
VERIFY_CARDS=${VERIFY_CARDS:-10000}
BATCH_CLAIMS=${BATCH_CLAIMS:-100000}
PRINT_CARDS=${PRINT_CARDS:-1000}

command -v openssl >/dev/null || { apt-get update -q && apt-get install -y -q openssl; }

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
echo "== build (release)"
cargo build --release --quiet -p card-agent --bin card-agent --example card_batch
agent=$target_dir/release/card-agent
batch=$target_dir/release/examples/card_batch

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-agent.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== machine"
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
machine="nproc $(nproc); CPU ${cpu:-unknown}; $(rustc --version); $(openssl version)"
echo "$machine"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# The verify-batch ratio compares every core with openssl's one: another process on the other
# cores makes it meaningless. Measure how idle the machine is right now (2 s of /proc/stat).
idle_share() {
    local a b
    a=($(head -n 1 /proc/stat)); sleep 2; b=($(head -n 1 /proc/stat))
    local total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $(( 100 * (b[4] + b[5] - a[4] - a[5]) / (total > 0 ? total : 1) ))
}
idle=$(idle_share)
echo "machine idle before: ${idle} %"
[ "$idle" -ge 90 ] || echo "WARNING: the machine is only ${idle} % idle; the verify-batch ratio will be low" >&2

echo "== openssl speed -elapsed -seconds 5 ecdsap256"
openssl_out=$(openssl speed -elapsed -seconds 5 ecdsap256 2>/dev/null)
openssl_verify=$(echo "$openssl_out" | awk '/ecdsa \(nistp256\)/ { v = $NF } END { print v }')
echo "openssl verify/s: $openssl_verify"

echo "== $VERIFY_CARDS cards for verify, $PRINT_CARDS for print"
"$batch" "$work/verify" "$VERIFY_CARDS" 2>/dev/null
"$batch" "$work/print" "$PRINT_CARDS" 2>/dev/null
root=$repo/fixtures/keys/root.pub.pem

now() { date +%s.%N; }
times=()
for run in 1 2 3; do
    t0=$(now)
    "$agent" --home "$work/home" verify --root "$root" --bundle "$work/verify/bundle.cose" \
        <"$work/verify/cards.txt" >"$work/verify/out.txt"
    t1=$(now)
    valid=$(grep -c '^VALID' "$work/verify/out.txt" || true)
    [ "$valid" = "$VERIFY_CARDS" ] || { echo "run $run: $valid of $VERIFY_CARDS valid" >&2; exit 1; }
    times+=("$(python3 -c "print(round($t1 - $t0, 3))")")
    echo "verify run $run: ${times[-1]} s"
done

"$batch" "$work/batch" "$BATCH_CLAIMS" 2>/dev/null
{ echo "claim_id,qr"; awk '{ printf "C%07d,%s\n", NR, $0 }' "$work/batch/cards.txt"; } >"$work/batch/claims.csv"
batch_run() { # jobs (empty = every core) -> seconds
    local t0 t1 jobs=()
    [ -n "$1" ] && jobs=(--jobs "$1")
    t0=$(now)
    "$agent" --home "$work/home" verify-batch "${jobs[@]}" --root "$root" \
        --bundle "$work/batch/bundle.cose" "$work/batch/claims.csv" -o "$work/batch/report.csv" 2>/dev/null
    t1=$(now)
    local valid
    valid=$(grep -c ',valid,' "$work/batch/report.csv" || true)
    [ "$valid" = "$BATCH_CLAIMS" ] || { echo "verify-batch: $valid of $BATCH_CLAIMS valid" >&2; exit 1; }
    python3 -c "print(round($t1 - $t0, 3))"
}
batch_all=$(batch_run "")
batch_one=$(batch_run 1)
echo "verify-batch: every core ${batch_all} s, one core ${batch_one} s"

print_one() { # layout -> "seconds bytes"
    local t0 t1
    t0=$(now)
    "$agent" --home "$work/home" print --root "$root" --bundle "$work/print/bundle.cose" \
        --layout "$1" -o "$work/print/$1.pdf" "$work/print/cards.txt" >/dev/null 2>&1
    t1=$(now)
    echo "$(python3 -c "print(round($t1 - $t0, 3))") $(stat -c %s "$work/print/$1.pdf")"
}
read -r card_s card_b < <(print_one card)
read -r sheet_s sheet_b < <(print_one sheet)
pages_card=$(pdfinfo "$work/print/card.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}' || echo "?")
pages_sheet=$(pdfinfo "$work/print/sheet.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}' || echo "?")

summary=$(python3 - "$openssl_verify" "$VERIFY_CARDS" "$PRINT_CARDS" "$card_s" "$card_b" \
    "$sheet_s" "$sheet_b" "$pages_card" "$pages_sheet" "$BATCH_CLAIMS" "$batch_all" "$batch_one" \
    "$(nproc)" "${times[@]}" <<'EOF'
import statistics, sys
ossl, n, p = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
card_s, card_b, sheet_s, sheet_b = float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
pages_card, pages_sheet = sys.argv[8], sys.argv[9]
claims, b_all, b_one, cores = int(sys.argv[10]), float(sys.argv[11]), float(sys.argv[12]), sys.argv[13]
times = [float(t) for t in sys.argv[14:]]
best, med = n / min(times), n / statistics.median(times)
print(f"| figure | value |")
print(f"|---|---|")
print(f"| openssl ecdsap256 verify (1 core) | {ossl:,.0f}/s |")
print(f"| `card-agent verify` < {n:,} QR lines, best of 3 | **{best:,.0f} cards/s** ({min(times):.2f} s) |")
print(f"| same, median of 3 | {med:,.0f} cards/s |")
print(f"| ratio best / openssl | {best/ossl:.2f} |")
print(f"| `verify-batch`, {claims:,} claims, {cores} cores | **{claims/b_all:,.0f} claims/s** ({b_all:.1f} s) |")
print(f"| `verify-batch --jobs 1` | {claims/b_one:,.0f} claims/s ({b_one:.1f} s) |")
print(f"| ratio verify-batch (all cores) / openssl (1 core), target >= 1.5 | **{claims/b_all/ossl:.2f}** |")
print(f"| `print --layout card`, {p:,} cards ({pages_card} pages) | **{card_s:.1f} s, {card_b/1e6:.2f} MB** |")
print(f"| `print --layout sheet`, {p:,} cards ({pages_sheet} pages) | **{sheet_s:.1f} s, {sheet_b/1e6:.2f} MB** |")
EOF
)
echo "== summary"
echo "$summary"
{
    echo "card-agent benchmarks, $(date -u +%Y-%m-%d), $machine; machine idle before: ${idle} %"
    echo
    echo "$summary"
} >"$target_dir/bench-agent-summary.md"
