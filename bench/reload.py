#!/usr/bin/env python3
"""Hot reload time of ferrobase: how long after a hook file is written the
new route answers. Starts the release binary with --hooksWatch on a temp
dir, rewrites pb_hooks/main.pb.js N times and polls the route every 2 ms.

usage: bench/reload.py [BINARY] [N]   (defaults: target/release/ferrobase, 20)
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "ferrobase")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()
    except Exception:  # noqa: BLE001 - not up yet / reloading
        return None


def route(version):
    return f'routerAdd("GET", "/version", (e) => e.string(200, "v{version}"));\n'


with tempfile.TemporaryDirectory(prefix="ferrobase-reload-") as tmp:
    hooks = os.path.join(tmp, "pb_hooks")
    os.makedirs(hooks)
    main = os.path.join(hooks, "main.pb.js")
    with open(main, "w") as f:
        f.write(route(0))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [binary, "serve", "--http", f"127.0.0.1:{port}", "--dir", os.path.join(tmp, "pb_data"), "--hooksDir", hooks],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while get(base + "/version") != "v0":
            if time.time() > deadline or proc.poll() is not None:
                sys.exit("ferrobase did not start")
            time.sleep(0.05)
        took = []
        for i in range(1, runs + 1):
            time.sleep(0.3)  # let the watcher settle between edits
            with open(main, "w") as f:
                f.write(route(i))
            start = time.perf_counter()
            while get(base + "/version") != f"v{i}":
                if time.perf_counter() - start > 10:
                    sys.exit(f"edit {i} was not picked up within 10 s")
                time.sleep(0.002)
            took.append((time.perf_counter() - start) * 1000)
        took.sort()
        print(f"hot reload, {runs} edits: median {statistics.median(took):.0f} ms, "
              f"p90 {took[int(len(took) * 0.9) - 1]:.0f} ms, max {took[-1]:.0f} ms (target: under 300 ms)")
    finally:
        proc.terminate()
        proc.wait(timeout=15)
