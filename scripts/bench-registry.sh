#!/usr/bin/env bash
# Registry load benchmark on SQLite and PostgreSQL (docs/benchmarks.md, "registry-server").
#
# Usage: scripts/bench-registry.sh                 (1,000,000 patients; about 10 minutes)
#        PATIENTS=100000 scripts/bench-registry.sh (a quick run)
#        DATABASES=sqlite scripts/bench-registry.sh
#        EXTRA_ARGS="--cards 10000" scripts/bench-registry.sh
#
# For each database, registry-server/examples/load.rs seeds PATIENTS synthetic patients
# through SQL, starts target/release/registry-server as a child process with the fixture test
# keys, registers patients with a tumour and 3 medicines through the API, then measures card
# issuance (cards/s), lookup by national number (p50/p99/max), lookup by name, the desk's
# record page, the duplicate search for a new registration, and the server's peak memory
# (VmHWM). PostgreSQL uses the schema `bench` of POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test), dropped and re-created by the run; SQLite uses
# target/bench-registry/registry.sqlite, re-created too.
#
# The results are written to target/bench-registry.md and printed. A missed target is
# reported, not an error; the script fails only if a step fails to run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PATIENTS="${PATIENTS:-1000000}"
DATABASES="${DATABASES:-sqlite postgres}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
EXTRA_ARGS="${EXTRA_ARGS:-}"

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/bench-registry.md"

echo "== build" >&2
cargo build --release -p registry-server --bins --examples >&2

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
pg=$(psql "$POSTGRES_URL" -Atqc 'SHOW server_version' 2>/dev/null || echo "not reachable")
{
    echo "## registry-server load benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    echo "Command: \`PATIENTS=$PATIENTS scripts/bench-registry.sh\`."
    echo "Machine: nproc $(nproc); CPU ${cpu:-unknown}; $mem RAM; $(rustc --version);" \
        "PostgreSQL $pg; SQLite bundled with sqlx."
    echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
} >"$out"

for db in $DATABASES; do
    echo "== $db, $PATIENTS patients" >&2
    # shellcheck disable=SC2086 # EXTRA_ARGS is a list of flags
    "$target_dir/release/examples/load" --database "$db" --patients "$PATIENTS" \
        --postgres-url "$POSTGRES_URL" --work-dir "$target_dir/bench-registry" \
        --sqlite-path "$target_dir/bench-registry/registry.sqlite" $EXTRA_ARGS >>"$out"
done

echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$out"
echo >&2
cat "$out"
