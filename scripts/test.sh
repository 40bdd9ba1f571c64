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
# production database the registry's tests also run on; poppler-utils (pdftoppm, pdftotext)
# and zbar-tools (zbarimg) read back the PDFs of card-agent's print tests.
packages=(pkg-config gcc softhsm2 postgresql curl jq poppler-utils zbar-tools)
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

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "cargo test --workspace"
cargo test --workspace --locked
