#!/usr/bin/env python3
"""The shared side-by-side harness (../shared/bench) plus Ferrobase's own
workloads: W9, a list filtered through a relation (`author.email ~ … &&
views > 500`, sorted by -created) as a signed-in user, so the joined users
collection's list rule applies. Both servers load bench/pb_hooks/bench.pb.js
(the harness's W6/W7 routes plus an onRecordCreateRequest hook, so W4's
creates pass through JS). Same options as the shared harness."""
import os
import shutil
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.environ.get("BENCH_LIB_DIR", os.path.join(HERE, "..", "..", "shared", "bench", "lib"))
sys.path.insert(0, LIB)
import bench  # noqa: E402

FILTER = urllib.parse.quote("author.email ~ 'example.com' && views > 500")
bench.WORKLOADS["W9"] = (
    "list, relation filter+sort, user token", "wrk", os.path.join(HERE, "relation.lua"),
    f"/api/collections/posts/records?perPage=20&filter={FILTER}&sort=-created",
)

# the harness copies <BENCH>/hooks/bench.pb.js into each server's pb_hooks
# and writes results to <BENCH>/results: keep results in the shared folder,
# take the hooks from ours
_hooks_root = tempfile.mkdtemp(prefix="fb-bench-hooks-")
os.makedirs(os.path.join(_hooks_root, "hooks"))
shutil.copy(os.path.join(HERE, "pb_hooks", "bench.pb.js"), os.path.join(_hooks_root, "hooks", "bench.pb.js"))
os.environ.setdefault("BENCH_RESULTS", os.path.join(bench.BENCH, "results"))
bench.BENCH = _hooks_root

if __name__ == "__main__":
    try:
        bench.main()
    finally:
        shutil.rmtree(_hooks_root, ignore_errors=True)
