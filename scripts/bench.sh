#!/usr/bin/env bash
# Card-format benchmarks, compared with OpenSSL on the same machine (docs/benchmarks.md).
#
# Usage: scripts/bench.sh            (from any directory; takes a few minutes)
#
# 1. `openssl speed -elapsed -seconds 5 ecdsap256`: single-core P-256 ECDSA verify/s, the
#    reference (wall-clock, like criterion; -seconds works for ecdsa);
# 2. `cargo bench -p card-format --bench card -- --noplot`: criterion groups sign, verify,
#    qr_encode, qr_decode, decode_and_verify, verify_ring_raw, verify_p256_raw; each figure is
#    read from target/criterion/<group>/<bench>/new/estimates.json (ns per element: criterion's
#    headline slope estimate, with mean and median beside it) and turned into elements/s;
# 3. `cargo run --release -p card-format --example size_report`: card and QR sizes;
# 4. a summary: decode_and_verify/s ÷ openssl verify/s against the target of >= 0.80, and
#    whether the adult card fits QR version 20 at error correction M.
#
# Exits non-zero only if a step fails to run; a missed target is reported, not an error.
# The summary is also written to target/bench-summary.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET_RATIO=0.80
OPENSSL_SECONDS=5

if ! command -v openssl >/dev/null; then
    echo "openssl not found: installing it with apt-get" >&2
    apt-get update && apt-get install -y openssl
fi
command -v python3 >/dev/null || { echo "python3 is needed to read criterion's JSON" >&2; exit 1; }

target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

echo "== machine"
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
machine="nproc $(nproc); CPU ${cpu:-unknown}; $(rustc --version); $(openssl version)"
echo "$machine"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== openssl speed -elapsed -seconds $OPENSSL_SECONDS ecdsap256"
openssl_out=$(openssl speed -elapsed -seconds "$OPENSSL_SECONDS" ecdsap256 2>/dev/null)
echo "$openssl_out" | tail -2
# "256 bits ecdsa (nistp256)   0.0000s   0.0001s  39836.4  12774.1": the last field is verify/s.
openssl_verify=$(echo "$openssl_out" | awk '/ecdsa \(nistp256\)/ { v = $NF } END { print v }')
openssl_sign=$(echo "$openssl_out" | awk '/ecdsa \(nistp256\)/ { v = $(NF-1) } END { print v }')
[[ -n "$openssl_verify" ]] || { echo "could not parse openssl speed output" >&2; exit 1; }

echo
echo "== cargo bench -p card-format --bench card -- --noplot"
cargo bench -p card-format --bench card -- --noplot

echo
echo "== cargo run --release -p card-format --example size_report"
size_report=$(cargo run --quiet --release -p card-format --example size_report)
echo "$size_report"

echo
echo "== summary"
summary=$(python3 - "$target_dir/criterion" "$openssl_verify" "$openssl_sign" "$TARGET_RATIO" <<'EOF'
import json, os, sys

root = sys.argv[1]
openssl_verify, openssl_sign, target = (float(a) for a in sys.argv[2:5])
benches = [
    ("sign", "adult", "sign_card, adult sample, certificate embedded"),
    ("verify", "adult", "TrustStore::verify_card, store from a trust bundle"),
    ("qr_encode", "adult", "qr::encode (zlib + Base45)"),
    ("qr_decode", "adult", "qr::decode (Base45 + inflate)"),
    ("decode_and_verify", "adult", "qr::decode + verify_card"),
    ("verify_ring_raw", "es256", "ring ECDSA_P256_SHA256_FIXED, 32-byte message"),
    ("verify_p256_raw", "es256", "p256 VerifyingKey::verify, 32-byte message"),
]
# Criterion's headline estimate (the one behind its printed "thrpt") is the slope of total time
# against iterations; it shrugs off the odd slow sample that drags the mean on a shared machine.
# The mean and median per iteration are shown beside it.
per_second, per_second_mean = {}, {}
print("| benchmark | what | slope | mean | median | per second (slope) | per second (mean) |")
print("|---|---|---:|---:|---:|---:|---:|")
for group, name, what in benches:
    with open(os.path.join(root, group, name, "new", "estimates.json")) as f:
        e = json.load(f)
    mean = e["mean"]["point_estimate"]
    median = e["median"]["point_estimate"]
    slope = (e.get("slope") or e["mean"])["point_estimate"]
    per_second[group], per_second_mean[group] = 1e9 / slope, 1e9 / mean
    print(f"| `{group}` | {what} | {slope / 1e3:.1f} µs | {mean / 1e3:.1f} µs | "
          f"{median / 1e3:.1f} µs | {1e9 / slope:,.0f} | {1e9 / mean:,.0f} |")
for what, ops in (("verify", openssl_verify), ("sign", openssl_sign)):
    t = f"{1e6 / ops:.1f} µs"
    print(f"| openssl {what} | `openssl speed ecdsap256`, {what} | {t} | | | {ops:,.0f} | |")
print()
dv = per_second["decode_and_verify"]
ratio = dv / openssl_verify
verdict = "MEETS" if ratio >= target else "MISSES"
print(f"decode_and_verify/s ÷ openssl verify/s = {dv:,.0f} ÷ {openssl_verify:,.0f} = {ratio:.2f} "
      f"({verdict} the target of >= {target:.2f}); on means: "
      f"{per_second_mean['decode_and_verify'] / openssl_verify:.2f}")
for group in ("verify", "verify_ring_raw", "verify_p256_raw"):
    print(f"{group}/s ÷ openssl verify/s = {per_second[group] / openssl_verify:.2f}")
print(f"verify_ring_raw/s ÷ verify_p256_raw/s = "
      f"{per_second['verify_ring_raw'] / per_second['verify_p256_raw']:.2f}")
EOF
)
qr_verdict=$(echo "$size_report" | grep '^adult card at EC M' || true)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "$machine"
    echo "load average after: $load_after"
    echo
    echo "$summary"
    echo "$qr_verdict"
} | tee "$target_dir/bench-summary.md"
