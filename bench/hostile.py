#!/usr/bin/env python3
"""Hostile load, run by hand (not a CI test): worst-case queries against a
PocketBase-compatible server while /api/health is probed.

Builds a dense self-relation (60 records x 40 ids each) in a fresh data dir,
then runs CONCURRENCY guest requests at once, each a filter that walks the
relation five levels deep (`rel.rel.rel.rel.rel.title ?= 'zzz'`), and in
parallel GETs /api/health every 20 ms. Reports each slow request's status
and time, the health latency (p50/p99/max), the peak RSS of the server, and
how long SIGTERM takes to end the process while slow queries are in flight.
Also tries a deep expand (`expand=rel.rel.rel`) and reports its status and
the peak RSS it caused.

usage: bench/hostile.py [BINARY] [--queryTimeout N] [--concurrency N]
  (defaults: target/release/ferrobase, 3, 16). Works for PocketBase too:
  bench/hostile.py $(which pocketbase)
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN = ("admin@example.com", "1234567890ab")

ap = argparse.ArgumentParser()
ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, "target", "release", "ferrobase"))
ap.add_argument("--queryTimeout", type=int, default=3)
ap.add_argument("--concurrency", type=int, default=16)
args = ap.parse_args()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(base, method, path, body=None, token=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    except Exception as e:  # noqa: BLE001 - report transport failures as status 0
        raw, status = str(e).encode(), 0
    took = time.monotonic() - start
    try:
        return status, json.loads(raw or b"null"), took
    except ValueError:
        return status, None, took


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
    data_dir = os.path.join(tmp, "pb_data")
    subprocess.run([args.binary, "superuser", "upsert", *ADMIN, "--dir", data_dir],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(tmp, "server.log"), "w")
    proc = subprocess.Popen(
        [args.binary, "serve", "--http", f"127.0.0.1:{port}", "--dir", data_dir,
         "--queryTimeout", str(args.queryTimeout),
         "--hooksDir", os.path.join(tmp, "pb_hooks"), "--migrationsDir", os.path.join(tmp, "pb_migrations")],
        stdout=log, stderr=log)
    try:
        for _ in range(200):
            if call(base, "GET", "/api/health", timeout=1)[0] == 200:
                break
            time.sleep(0.1)
        _, auth, _ = call(base, "POST", "/api/collections/_superusers/auth-with-password",
                          {"identity": ADMIN[0], "password": ADMIN[1]})
        token = auth["token"]
        status, col, _ = call(base, "POST", "/api/collections", {
            "name": "nodes", "type": "base", "listRule": "", "viewRule": "",
            "fields": [{"name": "title", "type": "text"}]}, token)
        assert status == 200, col
        status, col, _ = call(base, "PATCH", "/api/collections/nodes", {"fields": col["fields"] + [
            {"name": "rel", "type": "relation", "collectionId": col["id"], "maxSelect": 40}]}, token)
        assert status == 200, col
        ids = []
        for i in range(60):
            status, rec, _ = call(base, "POST", "/api/collections/nodes/records", {"title": f"n{i}"}, token)
            assert status == 200, rec
            ids.append(rec["id"])
        for i, rid in enumerate(ids):
            rel = [ids[(i + k) % 60] for k in range(1, 41)]
            status, rec, _ = call(base, "PATCH", f"/api/collections/nodes/records/{rid}", {"rel": rel}, token)
            assert status == 200, rec

        pid = proc.pid
        peak = [rss_kb(pid)]
        stop = threading.Event()
        health = []

        def probe():
            while not stop.is_set():
                s, _, took = call(base, "GET", "/api/health", timeout=60)
                health.append((s, took))
                peak[0] = max(peak[0], rss_kb(pid))
                time.sleep(0.02)

        results = []

        def slow():
            q = urllib.parse.quote("rel.rel.rel.rel.rel.title ?= 'zzz'")
            results.append(call(base, "GET", f"/api/collections/nodes/records?filter={q}", timeout=300))

        prober = threading.Thread(target=probe)
        prober.start()
        start = time.monotonic()
        workers = [threading.Thread(target=slow) for _ in range(args.concurrency)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.monotonic() - start
        stop.set()
        prober.join()

        print(f"binary: {args.binary}  queryTimeout={args.queryTimeout}s  concurrency={args.concurrency}")
        times = [t for _, _, t in results]
        statuses = sorted({s for s, _, _ in results})
        print(f"worst-case filters: statuses {statuses}, time min {min(times):.2f}s max {max(times):.2f}s, wall {wall:.2f}s")
        lat = [t * 1000 for s, t in health]
        bad = [s for s, _ in health if s != 200]
        print(f"/api/health during the load: {len(lat)} probes, p50 {pct(lat, .5):.1f} ms, "
              f"p99 {pct(lat, .99):.1f} ms, max {max(lat):.1f} ms, non-200: {len(bad)}")
        print(f"peak RSS during the filters: {peak[0] / 1024:.0f} MB")

        # deep expand as a guest
        for per_page in (1, 3):
            before = rss_kb(pid)
            box = {}
            t = threading.Thread(target=lambda: box.update(
                r=call(base, "GET", f"/api/collections/nodes/records?perPage={per_page}&expand=rel.rel.rel", timeout=300)))
            t.start()
            top = before
            while t.is_alive():
                top = max(top, rss_kb(pid))
                time.sleep(0.01)
            s, body, took = box["r"]
            size = len(json.dumps(body)) if body is not None else 0
            print(f"expand=rel.rel.rel perPage={per_page}: status {s} in {took:.2f}s, "
                  f"response {size / 1e6:.1f} MB, peak RSS {top / 1024:.0f} MB"
                  + (f" ({body.get('message')})" if s != 200 and isinstance(body, dict) else ""))

        # SIGTERM with slow queries in flight
        workers = [threading.Thread(target=slow) for _ in range(4)]
        for w in workers:
            w.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
            print(f"SIGTERM with 4 slow queries in flight: exited in {time.monotonic() - t0:.2f}s (code {proc.returncode})")
        except subprocess.TimeoutExpired:
            print("SIGTERM with 4 slow queries in flight: still running after 60 s")
        for w in workers:
            w.join()
        wal = os.path.join(data_dir, "data.db-wal")
        print(f"data.db-wal after exit: {os.path.getsize(wal) if os.path.exists(wal) else 0} bytes")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
