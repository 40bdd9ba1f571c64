#!/usr/bin/env bash
# Backup and restore of a populated registry on SQLite and PostgreSQL (issue #15;
# docs/benchmarks.md, "Backup and restore").
#
# Usage: scripts/bench-backup.sh                   (the statistics benchmark's 200,000 tumours)
#        TUMOURS=20000 PATIENTS=18500 scripts/bench-backup.sh   (a quick run)
#        DATABASES=sqlite scripts/bench-backup.sh
#
# For each database, registry-server/examples/stats_bench.rs seeds its synthetic registry
# (or keeps the one an earlier run seeded: --reuse) and measures one request of each of its
# phases; then the release `registry-server backup` writes a backup of it and `registry-server
# restore` loads that backup into a new place (a SQLite file; a PostgreSQL database of its
# own), each timed by wall clock, with the backup's size and the rows restored. The
# restored copy is removed at the end.
#
# The results are written to target/bench-backup.md and printed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TUMOURS="${TUMOURS:-200000}"
PATIENTS="${PATIENTS:-185000}"
DATABASES="${DATABASES:-sqlite postgres}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/bench-backup.md"
work="$target_dir/bench-backup"
server="$target_dir/release/registry-server"

echo "== build" >&2
cargo build --release -p registry-server --bins --examples >&2

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
pg=$(psql "$POSTGRES_URL" -Atqc 'SHOW server_version' 2>/dev/null || echo "not reachable")
{
    echo "## Backup and restore benchmark ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo
    echo "Command: \`TUMOURS=$TUMOURS PATIENTS=$PATIENTS scripts/bench-backup.sh\`."
    echo "Machine: nproc $(nproc); CPU ${cpu:-unknown}; $(rustc --version); PostgreSQL $pg."
    echo
    echo "| database | tumours | backup s | backup MB | restore s | tables | rows restored |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
} >"$out"

# Seconds that "$@" takes, its standard output into the file $1.
timed() {
    local start end into="$1"
    shift
    start=$(date +%s.%N)
    "$@" >"$into"
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.2f}')"
}

rm -rf "$work"
mkdir -p "$work"
for db in $DATABASES; do
    echo "== $db: seeding $TUMOURS tumours" >&2
    "$target_dir/release/examples/stats_bench" --database "$db" --tumours "$TUMOURS" \
        --patients "$PATIENTS" --postgres-url "$POSTGRES_URL" \
        --work-dir "$target_dir/bench-stats" --requests 1 --warmup 0 --export-runs 1 \
        --sqlite-path "$target_dir/bench-stats/registry.sqlite" >/dev/null
    case "$db" in
    sqlite)
        source=(--database-url "sqlite:$target_dir/bench-stats/registry.sqlite?mode=rwc")
        target=(--database-url "sqlite:$work/restored.sqlite?mode=rwc")
        ;;
    postgres)
        restored_db="bench_backup_restored"
        psql "$POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $restored_db WITH (FORCE)" >&2
        psql "$POSTGRES_URL" -qc "CREATE DATABASE $restored_db" >&2
        source=(--database-url "$POSTGRES_URL" --pg-schema bench_stats)
        target=(--database-url "${POSTGRES_URL%/*}/$restored_db" --pg-schema bench_stats)
        ;;
    esac
    echo "== $db: backup" >&2
    backup_s=$(timed "$work/$db.backup.txt" "$server" backup "${source[@]}" \
        --out "$work/$db.backup")
    bytes=$(stat -c %s "$work/$db.backup")
    echo "== $db: restore" >&2
    restore_s=$(timed "$work/$db.restore.json" "$server" restore "${target[@]}" \
        --from "$work/$db.backup" --bundle-sequence-seen 0 --json)
    read -r tables rows < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(len(r["tables"]), sum(t["rows"] for t in r["tables"]))' "$work/$db.restore.json")
    mb=$(python3 -c "print(f'{$bytes / 1e6:.1f}')")
    echo "| $db | $TUMOURS | $backup_s | $mb | $restore_s | $tables | $rows |" >>"$out"
    if [ "$db" = postgres ]; then
        psql "$POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $restored_db WITH (FORCE)" >&2
    fi
done
rm -rf "$work"

echo >&2
cat "$out"
