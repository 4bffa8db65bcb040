#!/usr/bin/env bash
# W0 against its yardstick: `GET /api/health` on ferrobase (full middleware
# stack and request logging) vs the same JSON from one bare axum route
# (examples/bare_axum.rs), both under `wrk -t1 -c32` (the shared harness's
# settings), alternated REPEAT times. Prints req/s and server CPU µs per
# request of each run and ferrobase/bare ratios.
#
# usage: bench/w0.sh [REPEAT=3] [SECONDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT="${1:-3}"; SECS="${2:-5}"
command -v wrk >/dev/null || { echo "[w0] installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin ferrobase --example bare_axum
FB="$(pwd)/target/release/ferrobase"; BARE="$(pwd)/target/release/examples/bare_axum"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
"$FB" superuser upsert admin@example.com 1234567890ab --dir "$TMP/pb_data" >/dev/null

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # name pid port -> "rps cpu_us_per_req"
  local pid=$3 port=$2 url="http://127.0.0.1:$2/api/health"
  for _ in $(seq 50); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
  wrk -t1 -c32 -d1s "$url" >/dev/null
  local t0; t0=$(cpu_ticks "$pid")
  local out; out=$(wrk -t1 -c32 -d"${SECS}s" "$url")
  local t1; t1=$(cpu_ticks "$pid")
  local reqs; reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  python3 -c "import os; r=$reqs; t=($t1-$t0)/os.sysconf('SC_CLK_TCK'); print(f'{r/$SECS:.0f} {t/r*1e6:.1f}')"
}
"$FB" serve --http 127.0.0.1:18771 --dir "$TMP/pb_data" >"$TMP/fb.log" 2>&1 & FBPID=$!
"$BARE" 127.0.0.1:18772 & BAREPID=$!
trap 'kill $FBPID $BAREPID 2>/dev/null; rm -rf "$TMP"' EXIT
echo "| run | bare req/s | ferrobase req/s | ratio | bare CPU µs/req | ferrobase CPU µs/req | ratio by CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for i in $(seq "$REPEAT"); do
  read -r brps bcpu < <(measure bare 18772 $BAREPID)
  read -r frps fcpu < <(measure ferrobase 18771 $FBPID)
  python3 -c "print(f'| $i | $brps | $frps | {$frps/$brps:.2f} | $bcpu | $fcpu | {$bcpu/$fcpu:.2f} |')"
done
