#!/usr/bin/env bash
# Benchmark of the medicines and supplies forecast on SQLite and PostgreSQL (issue #14;
# docs/benchmarks.md, "Medicines and supplies (issue #14)").
#
# Usage: scripts/bench-supply.sh                       (both parts, both databases; about
#                                                       15 minutes after the release build)
#        PARTS=backtest DATABASES=sqlite scripts/bench-supply.sh
#        LATENCY_SCALE=2 scripts/bench-supply.sh        (a quicker latency run)
#
# registry-server/examples/supply_bench.rs generates a synthetic 24-month history of
# medicines handed out (10 facilities in 3 regions, new diagnoses with growth and
# seasonality, authorisations on the regimen table, dispensings and administrations with
# noise: late, missed, deaths, stops, moves) and
# - backtest: for each cutoff from month 13 to month 22, writes into the database only what
#   had happened before it, sets the clock to it and runs the real demand report; its 3-month
#   forecast per facility and medicine, and the OpenLMIS baseline (P x 3), are compared with
#   what was handed out (MAPE, WAPE; target MAPE <= 15% and below the baseline's);
# - latency: the history scaled to at least 20,000 patients with active authorisations,
#   the release server as a child process, GET /api/v1/demand (national, with the roll-up by
#   region) as a supply officer, one request at a time (p50/p99/max; target p99 < 1 s).
# PostgreSQL uses the schema `bench_supply` of POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test), dropped and re-created; SQLite uses
# target/bench-supply/registry.sqlite, re-created too.
#
# The results are written to target/bench-supply.md and printed. A missed target is
# reported, not an error; the script fails only if a step fails to run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATABASES="${DATABASES:-sqlite postgres}"
PARTS="${PARTS:-backtest latency}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
LATENCY_SCALE="${LATENCY_SCALE:-5}"

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/bench-supply.md"

echo "== build" >&2
cargo build --release -p registry-server --bins --examples >&2

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
pg=$(psql "$POSTGRES_URL" -Atqc 'SHOW server_version' 2>/dev/null || echo "not reachable")
{
    echo "## Medicines and supplies benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    echo "Command: \`PARTS=\"$PARTS\" DATABASES=\"$DATABASES\" LATENCY_SCALE=$LATENCY_SCALE scripts/bench-supply.sh\`."
    echo "Machine: nproc $(nproc); CPU ${cpu:-unknown}; $mem RAM; $(rustc --version);" \
        "PostgreSQL $pg; SQLite bundled with sqlx."
    echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
} >"$out"

bench="$target_dir/release/examples/supply_bench"
for part in $PARTS; do
    for db in $DATABASES; do
        echo "== $part, $db" >&2
        common=(--database "$db" --postgres-url "$POSTGRES_URL"
            --work-dir "$target_dir/bench-supply"
            --sqlite-path "$target_dir/bench-supply/registry.sqlite")
        case "$part" in
        backtest) "$bench" backtest "${common[@]}" >>"$out" ;;
        latency) "$bench" latency "${common[@]}" --scale "$LATENCY_SCALE" \
            --server-bin "$target_dir/release/registry-server" >>"$out" ;;
        *) echo "unknown part $part (backtest, latency)" >&2; exit 2 ;;
        esac
    done
done

echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$out"
echo >&2
cat "$out"
