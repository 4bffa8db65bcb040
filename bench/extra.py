#!/usr/bin/env python3
"""The shared side-by-side harness (../shared/bench) plus Ferrobase's own
workloads: W9, a list filtered through a relation (`author.email ~ … &&
views > 500`, sorted by -created) as a signed-in user, so the joined users
collection's list rule applies. Same options as the shared harness."""
import os
import sys
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

if __name__ == "__main__":
    bench.main()
