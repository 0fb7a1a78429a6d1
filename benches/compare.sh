#!/usr/bin/env bash
# Compares `ise-doctor check` with the manual openssl recipe it replaces, on the classic
# case (server sends only its leaf, bundle holds only the root), against a local
# `openssl s_server` on 127.0.0.1. Needs: openssl, hyperfine, a release build
# (`cargo build --release`). Prints hyperfine's table (median = the middle of the runs).
#
#   benches/compare.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
bin=target/release/ise-doctor
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }

work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

# The lab PKI from the committed fixtures: root.pem, issuing.pem, leaf.pem, leaf.key.
pki=fixtures/pki
cp "$pki/root.pem" "$work/ROOT-CA.crt"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
openssl s_server -accept "127.0.0.1:$port" -cert "$pki/leaf.pem" -key "$pki/leaf.key" \
    -quiet -naccept 100000 >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

host=ise-01.example.net
recipe="openssl s_client -connect 127.0.0.1:$port -servername $host -showcerts </dev/null 2>/dev/null \
 | openssl x509 -noout -issuer -subject; \
 openssl x509 -in $work/ROOT-CA.crt -noout -subject -issuer; \
 openssl crl2pkcs7 -nocrl -certfile $work/ROOT-CA.crt | openssl pkcs7 -print_certs -noout; \
 grep -c 'BEGIN CERTIFICATE' $work/ROOT-CA.crt"
doctor="$bin check $host:$port --resolve $host:$port:127.0.0.1 --ca $work/ROOT-CA.crt \
 --color never >/dev/null; test \$? -eq 2"

hyperfine --warmup 3 --runs "$runs" --shell bash --export-json "$work/result.json" \
    --command-name 'openssl recipe (4 commands, no diagnosis)' "$recipe" \
    --command-name 'ise-doctor check (diagnosis + fix)' "$doctor"

# Medians and their ratio, measured in this same run.
python3 - "$work/result.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
medians = {r["command"]: r["median"] * 1000 for r in results}
for name, ms in medians.items():
    print(f"median {ms:8.1f} ms  {name}")
recipe, doctor = list(medians.values())
print(f"ratio: the openssl recipe takes {recipe / doctor:.1f}x the time of ise-doctor check")
PY
