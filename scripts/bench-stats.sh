#!/usr/bin/env bash
# Benchmark of the registry's statistics on SQLite and PostgreSQL (issue #13;
# docs/benchmarks.md, "Statistics (issue #13)").
#
# Usage: scripts/bench-stats.sh                            (200,000 tumours; about 10 minutes
#                                                           after the release build)
#        TUMOURS=20000 PATIENTS=18500 scripts/bench-stats.sh (a quick run)
#        DATABASES=sqlite scripts/bench-stats.sh
#        EXTRA_ARGS="--requests 100 --reuse" scripts/bench-stats.sh
#        EXTRA_ARGS="--probe" scripts/bench-stats.sh  (then where the time goes: the reports'
#                                                    statement and variants of it, timed)
#
# For each database, registry-server/examples/stats_bench.rs seeds a synthetic registry
# through SQL (TUMOURS tumours of PATIENTS patients diagnosed 2015-2024 in the regions east,
# west and south, with follow-up, multiple-primary decisions and the population of each year,
# region, sex and age group), starts target/release/registry-server as a child process with
# the fixture test keys, then measures over HTTP on loopback, one request at a time: the
# incidence report of 2024 for the east and the west, the survival report of the diagnoses
# of 2015-2019 for the same regions (p50/p99/max of 50 requests each, as a statistician),
# and the CanReg5-layout export of the whole registry (3 runs, as a registrar: seconds,
# bytes, lines), with the server's CPU time and peak memory (VmHWM). The targets (p99 < 1 s,
# export < 30 s) are reported as met or missed. PostgreSQL uses the schema `bench_stats` of
# POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test), dropped and re-created by
# the run; SQLite uses target/bench-stats/registry.sqlite, re-created too.
#
# The results are written to target/bench-stats.md and printed. A missed target is
# reported, not an error; the script fails only if a step fails to run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TUMOURS="${TUMOURS:-200000}"
PATIENTS="${PATIENTS:-185000}"
DATABASES="${DATABASES:-sqlite postgres}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
EXTRA_ARGS="${EXTRA_ARGS:-}"

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/bench-stats.md"

echo "== build" >&2
cargo build --release -p registry-server --bins --examples >&2

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
pg=$(psql "$POSTGRES_URL" -Atqc 'SHOW server_version' 2>/dev/null || echo "not reachable")
{
    echo "## Statistics benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    echo "Command: \`TUMOURS=$TUMOURS PATIENTS=$PATIENTS scripts/bench-stats.sh\`${EXTRA_ARGS:+ (EXTRA_ARGS=\"$EXTRA_ARGS\")}."
    echo "Machine: nproc $(nproc); CPU ${cpu:-unknown}; $mem RAM; $(rustc --version);" \
        "PostgreSQL $pg; SQLite bundled with sqlx."
    echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
} >"$out"

for db in $DATABASES; do
    echo "== $db, $TUMOURS tumours" >&2
    # shellcheck disable=SC2086 # EXTRA_ARGS is a list of flags
    "$target_dir/release/examples/stats_bench" --database "$db" --tumours "$TUMOURS" \
        --patients "$PATIENTS" --postgres-url "$POSTGRES_URL" \
        --work-dir "$target_dir/bench-stats" \
        --sqlite-path "$target_dir/bench-stats/registry.sqlite" $EXTRA_ARGS >>"$out"
done

echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$out"
echo >&2
cat "$out"
