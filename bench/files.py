#!/usr/bin/env python3
"""File serving workloads on top of the shared side-by-side harness
(../shared/bench): W10 downloads a 100 KB file, W11 a cached 100x100 thumb
of a 400x300 PNG. Each server gets a `bench_files` collection with one
record holding both files (uploaded over multipart), seeded after the
harness's own data; the thumb is generated once by a request before the
measurement. Same options as the shared harness.

usage: bench/run.sh --workloads W10,W11 --name files
   or: BENCH_LIB_DIR=../shared/bench/lib bench/files.py A_BINARY B_BINARY --workloads W10,W11
"""
import os
import random
import struct
import sys
import urllib.request
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import extra  # noqa: E402  (the harness with W9 and our hooks)

bench = extra.bench

bench.WORKLOADS["W10"] = ("GET a 100 KB file", "wrk", "report.lua", None)
bench.WORKLOADS["W11"] = ("GET a cached 100x100 thumb", "wrk", "report.lua", None)


def png(w, h):
    raw = b"".join(b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(w * 3)) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def upload(base, token, path, files):
    boundary = uuid.uuid4().hex
    body = b""
    for field, filename, content in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    req = urllib.request.Request(base + path, data=body, method="POST")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    req.add_header("Authorization", token)
    import json
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


_seed = bench.Server.seed


def seed(self, n_users, n_posts, seed=42):
    _seed(self, n_users, n_posts, seed)
    st, js = bench.http(self.base, "POST", "/api/collections", {
        "name": "bench_files", "type": "base", "listRule": "", "viewRule": "",
        "fields": [{"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 10 << 20},
                   {"name": "pic", "type": "file", "maxSelect": 1, "maxSize": 10 << 20}],
    }, self.su_token)
    if st != 200:
        raise RuntimeError(f"{self.label}: cannot create bench_files: {st} {js}")
    content = random.Random(7).randbytes(100 * 1024)
    rec = upload(self.base, self.su_token, "/api/collections/bench_files/records",
                 [("doc", "payload.bin", content), ("pic", "photo.png", png(400, 300))])
    self.file_paths = {
        "W10": f"/api/files/bench_files/{rec['id']}/{rec['doc']}",
        "W11": f"/api/files/bench_files/{rec['id']}/{rec['pic']}?thumb=100x100",
    }
    for path in self.file_paths.values():
        with urllib.request.urlopen(self.base + path, timeout=60) as r:
            r.read()  # checks it serves and makes the thumb before the measurement


bench.Server.seed = seed
_run_wrk = bench.run_wrk


def run_wrk(srv, wid, args, duration, warmup):
    if wid in ("W10", "W11"):
        desc, kind, script, _ = bench.WORKLOADS[wid]
        bench.WORKLOADS[wid] = (desc, kind, script, srv.file_paths[wid])
    return _run_wrk(srv, wid, args, duration, warmup)


bench.run_wrk = run_wrk

if __name__ == "__main__":
    try:
        bench.main()
    finally:
        import shutil
        shutil.rmtree(extra._hooks_root, ignore_errors=True)
