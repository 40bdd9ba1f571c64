#!/usr/bin/env bash
# Runs every test of the workspace, as CI does. Installs what the tests need first.
#
#   bash scripts/test.sh
#
# Steps: system packages (apt, only what is missing) → format check → clippy (warnings are
# errors) → rustdoc (warnings are errors) → every test of every crate, including the doctests
# and the committed test vectors.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

# Debian packages the tests need: pkg-config and a C compiler build `ring` and SQLite;
# softhsm2 is the PKCS#11 token the HSM signer is tested against; postgresql is the
# production database the registry's tests also run on; pcscd, the vpcd reader driver
# (vsmartcard-vpcd) and libpcsclite-dev are the real PC/SC stack the card-agent writes and
# reads virtual smart cards through; poppler-utils (pdftoppm) and zbar-tools (zbarimg) render
# printed cards and decode their QR codes independently; chromium and chromium-driver are the
# headless browser the web desk's journeys run in (tests/browser/, driven by playwright-core,
# which never downloads a browser of its own); nodejs and npm run those journeys, and are
# added only when `node` is not already on PATH.
packages=(pkg-config gcc softhsm2 postgresql curl jq pcscd vsmartcard-vpcd libpcsclite-dev
    poppler-utils zbar-tools chromium chromium-driver iproute2)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    step "installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# PostgreSQL: start the local cluster if it is down; tests use fresh schemas in database
# `test` (trust authentication on 127.0.0.1, as on these machines).
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    step "starting PostgreSQL"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    if [ -z "$(ls /var/lib/postgresql/"$version" 2>/dev/null)" ]; then
        pg_createcluster "$version" main >/dev/null
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! psql "$TEST_POSTGRES_URL" -Atqc 'SELECT 1' >/dev/null 2>&1; then
    # A fresh cluster has no `test` database and may want passwords: set both up.
    su postgres -c "psql -qc 'CREATE DATABASE test'" 2>/dev/null || true
    hba=$(su postgres -c "psql -Atqc 'SHOW hba_file'")
    if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
        sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
        su postgres -c "psql -qc 'SELECT pg_reload_conf()'" >/dev/null
    fi
fi
# Tests create schemas t_<random>; drop those of earlier runs.
PGOPTIONS='-c client_min_messages=warning' psql "$TEST_POSTGRES_URL" -Atqc "SELECT 'DROP SCHEMA ' || nspname || ' CASCADE;' FROM pg_namespace WHERE nspname LIKE 't\_%'" |
    PGOPTIONS='-c client_min_messages=warning' psql "$TEST_POSTGRES_URL" -q >/dev/null

# pcscd: one per machine; the card-agent's tests attach virtual cards to its vpcd reader
# (127.0.0.1:35963 and :35964). Started in the background when it is not running.
if ! pgrep -x pcscd >/dev/null; then
    step "starting pcscd"
    setsid /usr/sbin/pcscd --foreground >/tmp/pcscd.log 2>&1 </dev/null &
    for _ in $(seq 1 50); do
        # Only look at the listening socket: a connection would count as a card inserted.
        ss -Hltn 'sport = :35963' | grep -q . && break
        sleep 0.1
    done
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

# The browser journeys' Node dependencies, from the committed lock file.
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    step "npm ci (tests/browser)"
    (cd tests/browser && npm ci --no-audit --no-fund)
fi

step "cargo test --workspace"
# Every real part (PostgreSQL, pcscd, SoftHSM2, Chromium...) must be there: a test that
# lacks one fails instead of skipping (testkit::require; CI=true does the same).
REQUIRE_REAL_STACK=1 cargo test --workspace --locked
