#!/usr/bin/env bash
# Runs the walkthrough of docs/api.md against a fresh registry, and fails if any step fails.
#
#   bash scripts/api-walkthrough.sh
#
# Extracts every block fenced ```sh from docs/api.md, in order, and runs them in one bash
# with `set -euo pipefail`, after doing what the page's step 1 (fenced ```bash) does: start
# the registry with --dev on a fresh SQLite file in a temporary directory, on a port it
# chooses itself, ready once it prints that port. The server is stopped and the directory removed on exit.
#
# Environment:
#   REGISTRY_SERVER  the registry-server binary (default target/debug/registry-server)
#   CARD_AGENT       the card-agent binary (default target/debug/card-agent)
#   Either is built with `cargo build -p ...` when it is missing.
#   KEEP_WALKTHROUGH_DIR=1 keeps the temporary directory (responses, server log).
#
# Run by registry-server/tests/registry/api_walkthrough.rs, so `cargo test` runs it too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "api-walkthrough: $tool is required" >&2; exit 2; }
done

binary() { # binary NAME ENV_VALUE: prints the path of an executable NAME, building it if needed
    local path=${2:-$repo/target/debug/$1}
    if [ ! -x "$path" ]; then
        echo "api-walkthrough: building $1" >&2
        "${CARGO:-cargo}" build -q -p "$1" >&2
        path=$repo/target/debug/$1
    fi
    printf '%s\n' "$path"
}
server_bin=$(binary registry-server "${REGISTRY_SERVER:-}")
agent_bin=$(binary card-agent "${CARD_AGENT:-}")

DATA=$(mktemp -d "${TMPDIR:-/tmp}/api-walkthrough.XXXXXX")
server_pid=""
cleanup() {
    local rc=$?
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] && [ -f "$DATA/server.log" ]; then
        echo "--- server log (last 30 lines) ---" >&2
        tail -n 30 "$DATA/server.log" >&2
    fi
    if [ "${KEEP_WALKTHROUGH_DIR:-}" = 1 ]; then
        echo "api-walkthrough: kept $DATA" >&2
    else
        rm -rf "$DATA"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The page's blocks, as one script: each block is preceded by a marker naming its line.
script=$DATA/walkthrough.sh
awk '
    /^```sh[[:space:]]*$/ { inside = 1; blocks++; printf "__step=%d\n", NR + 1; next }
    inside && /^```[[:space:]]*$/ { inside = 0; next }
    inside { print }
    END { if (inside) { print "unterminated ```sh block" > "/dev/stderr"; exit 1 }
          if (blocks == 0) { print "no ```sh block found" > "/dev/stderr"; exit 1 } }
' docs/api.md > "$script"
blocks=$(grep -c '^__step=' "$script")

# Step 1: the server, on a port it chooses itself (--listen 127.0.0.1:0); it is ready when it
# prints the address it bound. Its log goes through a FIFO so that line is read as it comes.
mkfifo "$DATA/server.pipe"
"$server_bin" --dev \
    --database-url "sqlite:$DATA/registry.sqlite?mode=rwc" \
    --first-admin-token-file "$DATA/first-admin-token" \
    --listen 127.0.0.1:0 >"$DATA/server.pipe" 2>&1 &
server_pid=$!
exec 3<"$DATA/server.pipe"
API=""
while IFS= read -r -t 60 line <&3; do
    printf '%s\n' "$line" >>"$DATA/server.log"
    case $line in
    *"registry-server listening on "*) API=${line##* listening on }; break ;;
    esac
done
if [ -z "$API" ]; then
    echo "api-walkthrough: the registry did not say where it listens; its log:" >&2
    cat "$DATA/server.log" >&2
    exit 1
fi
# The rest of the server's log, as it comes.
cat <&3 >>"$DATA/server.log" &
exec 3<&-
echo "api-walkthrough: registry on $API, data in $DATA; running $blocks blocks of docs/api.md" >&2

# The blocks run from the repository root with API, DATA and PATH set as in step 1.
mkdir -p "$DATA/bin"
ln -s "$server_bin" "$DATA/bin/registry-server"
ln -s "$agent_bin" "$DATA/bin/card-agent"
export API DATA
export PATH="$DATA/bin:$PATH"
if ! (
    cd "$repo"
    bash -c '
        set -Eeuo pipefail
        __step=0
        trap '\''echo "api-walkthrough: FAILED in the sh block at docs/api.md:$__step: $BASH_COMMAND" >&2'\'' ERR
        source "$1"
    ' walkthrough "$script"
); then
    echo "api-walkthrough: FAILED" >&2
    exit 1
fi
echo "api-walkthrough: all $blocks blocks passed" >&2
