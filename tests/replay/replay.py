"""Replays PocketBase's own API test scenarios over HTTP against a server
binary (Ferrobase or PocketBase itself) running on a fresh copy of
PocketBase's test fixture, and reports pass/fail per area.

Each scenario is judged like PocketBase's `tests.ApiScenario`: the status
code must match; every ExpectedContent fragment must occur and no
NotExpectedContent fragment may occur in the compacted JSON body (or the
raw body if it is not JSON); with neither list, the body must be empty.
Hook-event counts and AfterTestFunc checks need the Go test process and
are not judged. Scenarios that need in-process setup are listed as skipped.

A scenario that may write gets its own server on a fresh fixture copy;
consecutive reads share one.

Usage:
  python3 replay.py BINARY [--scenarios FILE | --repo GIT_DIR] [--area A,B]
                    [--only SUBSTRING] [--failures] [--json OUT] [--fresh-always]
"""

import argparse
import collections
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "pocketbase_tests_data")
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_fixture(dst):
    data = os.path.join(dst, "pb_data")
    shutil.copytree(FIXTURE, data, ignore=shutil.ignore_patterns("expected.json", "SOURCE.md", ".gitignore"))
    # PocketBase's test app turns request logs off (logs.maxDays = 0) so that
    # the logs scenarios see only the fixture's entries.
    con = sqlite3.connect(os.path.join(data, "data.db"))
    raw = con.execute("select value from _params where id = 'settings'").fetchone()[0]
    settings = json.loads(raw)
    settings.setdefault("logs", {})["maxDays"] = 0
    con.execute("update _params set value = ? where id = 'settings'", (json.dumps(settings),))
    con.commit()
    con.close()
    for sub in ("pb_hooks", "pb_migrations"):
        os.makedirs(os.path.join(dst, sub), exist_ok=True)
    return data


class Server:
    def __init__(self, binary):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="replay-")
        data = copy_fixture(self.dir)
        self.port = free_port()
        args = [
            binary,
            "serve",
            f"--http=127.0.0.1:{self.port}",
            f"--dir={data}",
            f"--hooksDir={os.path.join(self.dir, 'pb_hooks')}",
            f"--migrationsDir={os.path.join(self.dir, 'pb_migrations')}",
        ]
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                status, _, _ = request(self.port, "GET", "/api/health", None, {}, timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.close()
        raise RuntimeError(f"server did not start; log in {self.dir}/server.log")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def request(port, method, url, body, headers, timeout=30):
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        hdrs = {"content-type": "application/json"}
        for k, v in headers.items():
            hdrs = {hk: hv for hk, hv in hdrs.items() if hk.lower() != k.lower()}
            hdrs[k] = str(v).strip()
        payload = body.encode() if isinstance(body, str) else None
        con.request(method, url, body=payload, headers=hdrs)
        res = con.getresponse()
        return res.status, res.read(), dict(res.getheaders())
    finally:
        con.close()


def compact(raw):
    """The body as PocketBase's test compares it: compact JSON, or as is."""
    text = raw.decode("utf-8", errors="replace")
    try:
        json.loads(text)
    except ValueError:
        return text
    out, in_str, esc = [], False, False
    for ch in text:
        if in_str:
            out.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
            out.append(ch)
        elif ch not in " \t\r\n":
            out.append(ch)
    return "".join(out)


def judge(sc, status, raw):
    problems = []
    if status != sc["status"]:
        problems.append(f"status {status}, expected {sc['status']}")
    body = compact(raw)
    if not sc["content"] and not sc["notContent"]:
        if raw:
            problems.append("expected an empty body")
    for item in sc["content"]:
        if item not in body:
            problems.append(f"missing {item!r}")
            break
    for item in sc["notContent"]:
        if item in body:
            problems.append(f"unexpected {item!r}")
            break
    return problems, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--scenarios")
    ap.add_argument("--repo", default="/work/.mirror/pocketbase+pocketbase/repo")
    ap.add_argument("--ref", default="develop")
    ap.add_argument("--area")
    ap.add_argument("--only")
    ap.add_argument("--failures", action="store_true", help="print each failure with the body")
    ap.add_argument("--json", help="write per-scenario results here")
    ap.add_argument("--fresh-always", action="store_true")
    args = ap.parse_args()

    if args.scenarios:
        with open(args.scenarios) as f:
            scenarios = json.load(f)
    else:
        out = subprocess.run(
            [sys.executable, os.path.join(HERE, "extract.py"), args.repo, args.ref], capture_output=True, text=True, check=True
        ).stdout
        scenarios = json.loads(out)
    if args.area:
        areas = set(args.area.split(","))
        scenarios = [s for s in scenarios if s["area"] in areas]
    if args.only:
        scenarios = [s for s in scenarios if args.only in s["name"] or args.only in s["test"]]

    counts = collections.defaultdict(collections.Counter)
    results = []
    server = None
    try:
        for sc in scenarios:
            if sc.get("skip"):
                counts[sc["area"]]["skipped"] += 1
                results.append({**sc, "result": "skipped"})
                continue
            reuse = server is not None and sc["method"] in READ_METHODS and not args.fresh_always
            if not reuse:
                if server:
                    server.close()
                server = Server(args.binary)
            try:
                status, raw, _ = request(server.port, sc["method"], sc["url"], sc["body"], sc["headers"])
                problems, body = judge(sc, status, raw)
            except OSError as e:
                problems, body = [f"request failed: {e}"], ""
                server.close()
                server = None
            result = "failed" if problems else "passed"
            counts[sc["area"]][result] += 1
            results.append({**sc, "result": result, "problems": problems, "gotBody": body[:2000]})
            if problems and args.failures:
                print(f"FAIL [{sc['area']}] {sc['test']} / {sc['name']}: {sc['method']} {sc['url']}")
                print(f"     {'; '.join(problems)}")
                print(f"     body: {body[:600]}")
            if sc["method"] not in READ_METHODS and server:
                server.close()
                server = None
    finally:
        if server:
            server.close()

    total = collections.Counter()
    print(f"{'area':<14}{'passed':>8}{'failed':>8}{'skipped':>9}")
    for area in sorted(counts):
        c = counts[area]
        total.update(c)
        print(f"{area:<14}{c['passed']:>8}{c['failed']:>8}{c['skipped']:>9}")
    print(f"{'total':<14}{total['passed']:>8}{total['failed']:>8}{total['skipped']:>9}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
