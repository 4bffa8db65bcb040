// Realtime load probe (Node built-ins only), run by bench/realtime.sh.
//
// Against one running server: creates the collection `rt_bench` (list rule
// ""), opens N SSE connections to /api/realtime (each waits for its
// PB_CONNECT), subscribes each to `rt_bench/*` with POST /api/realtime,
// measures the server's RSS before and with the idle clients, then creates
// E records one after another and for each measures how long until every
// client got its event; finally holds the clients a while and checks that
// they are all still connected and still get events. Prints one JSON line.
//
// usage: node bench/realtime_load.mjs --base http://127.0.0.1:PORT --pid SERVER_PID
//          [--clients 10000] [--events 5] [--hold-s 10] [--open-batch 250]
//          [--email admin@example.com --password 1234567890ab]

import http from "node:http";
import fs from "node:fs";
import { performance } from "node:perf_hooks";

const opt = {
  base: "", pid: 0, clients: 10000, events: 5, holdS: 10, openBatch: 250,
  email: "admin@example.com", password: "1234567890ab", timeoutMs: 60000,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, "").replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  if (!(k in opt)) throw new Error("unknown argument " + argv[i]);
  opt[k] = typeof opt[k] === "number" ? Number(argv[i + 1]) : argv[i + 1];
}
const url = new URL(opt.base);
const host = url.hostname;
const port = Number(url.port);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKb = () => {
  try {
    const m = fs.readFileSync(`/proc/${opt.pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
};
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 32 });

function request(method, path, body, token) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers = {};
    if (data) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = data.length;
    }
    if (token) headers.Authorization = token;
    const req = http.request({ host, port, path, method, agent: keepAlive, headers }, (res) => {
      let s = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (s += c));
      res.on("end", () => resolve({ status: res.statusCode, body: s }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

// One SSE client: open() resolves once PB_CONNECT (with the client id) arrived.
class Client {
  constructor() {
    this.buf = "";
    this.clientId = null;
    this.want = null;
    this.gotAt = null;
    this.onEvent = null;
    this.closed = false;
  }

  open() {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.request({ host, port, path: "/api/realtime", method: "GET", agent: false, headers: { Accept: "text/event-stream" } });
      this.req = req;
      const timer = setTimeout(() => reject(new Error("PB_CONNECT timeout")), 30000);
      req.on("error", (e) => {
        clearTimeout(timer);
        this.closed = true;
        reject(e);
      });
      req.on("response", (res) => {
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          reject(new Error("status " + res.statusCode));
          return;
        }
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          const now = performance.now();
          this.buf += chunk;
          let i;
          while ((i = this.buf.indexOf("\n\n")) >= 0) {
            const msg = this.buf.slice(0, i);
            this.buf = this.buf.slice(i + 2);
            if (!this.clientId && msg.includes("event:PB_CONNECT")) {
              const line = msg.split("\n").find((l) => l.startsWith("data:"));
              try {
                this.clientId = JSON.parse(line.slice(5)).clientId;
              } catch {
                /* reported as a failed open below */
              }
              clearTimeout(timer);
              this.connectMs = now - started;
              this.clientId ? resolve(this) : reject(new Error("bad PB_CONNECT"));
            } else if (this.want && this.gotAt === null && msg.includes(this.want)) {
              this.gotAt = now;
              if (this.onEvent) this.onEvent();
            }
          }
        });
        res.on("end", () => (this.closed = true));
        res.on("error", () => (this.closed = true));
      });
      req.end();
    });
  }

  close() {
    try {
      this.req.destroy();
    } catch {
      /* already gone */
    }
  }
}

// Creates a record with a unique marker and waits until every client saw it.
async function fanOut(clients, token, label) {
  const marker = `rt-${process.pid}-${label}-${Date.now()}`;
  let pending = clients.length;
  let done;
  const all = new Promise((r) => (done = r));
  for (const c of clients) {
    c.want = marker;
    c.gotAt = null;
    c.onEvent = () => {
      if (--pending === 0) done();
    };
  }
  if (pending === 0) done();
  const t0 = performance.now();
  const res = request("POST", "/api/collections/rt_bench/records", { title: marker }, token).then((r) => ({ ...r, at: performance.now() }));
  await Promise.race([all, sleep(opt.timeoutMs)]);
  const created = await res;
  const lat = clients.filter((c) => c.gotAt !== null).map((c) => c.gotAt - t0).sort((a, b) => a - b);
  for (const c of clients) {
    c.want = null;
    c.onEvent = null;
  }
  return {
    create_status: created.status,
    create_ms: +(created.at - t0).toFixed(1),
    received: lat.length,
    missing: clients.length - lat.length,
    p50_ms: lat.length ? +pct(lat, 50).toFixed(1) : null,
    p99_ms: lat.length ? +pct(lat, 99).toFixed(1) : null,
    all_ms: lat.length ? +lat[lat.length - 1].toFixed(1) : null,
  };
}

async function main() {
  const out = { clients_requested: opt.clients, errors: [] };
  const login = await request("POST", "/api/collections/_superusers/auth-with-password", { identity: opt.email, password: opt.password });
  if (login.status !== 200) throw new Error("superuser login: " + login.body);
  const token = JSON.parse(login.body).token;
  const made = await request("POST", "/api/collections", { name: "rt_bench", type: "base", listRule: "", viewRule: "", fields: [{ name: "title", type: "text" }] }, token);
  if (made.status !== 200 && !made.body.includes("validation_collection_name_exists")) throw new Error("collection: " + made.body);
  await sleep(1000);
  out.rss_before_kb = rssKb();

  const clients = [];
  const t0 = performance.now();
  for (let i = 0; i < opt.clients; i += opt.openBatch) {
    const batch = [];
    for (let j = i; j < Math.min(opt.clients, i + opt.openBatch); j++) {
      const c = new Client();
      batch.push(c.open().then(() => clients.push(c), (e) => {
        out.errors.push("open: " + e.message);
        c.close();
      }));
    }
    await Promise.all(batch);
  }
  out.connect_all_s = +((performance.now() - t0) / 1000).toFixed(2);
  out.clients_connected = clients.length;
  const connectMs = clients.map((c) => c.connectMs).sort((a, b) => a - b);
  out.connect_p50_ms = connectMs.length ? +pct(connectMs, 50).toFixed(1) : null;
  out.connect_p99_ms = connectMs.length ? +pct(connectMs, 99).toFixed(1) : null;

  const t1 = performance.now();
  let next = 0;
  const subscribed = [];
  async function worker() {
    while (next < clients.length) {
      const c = clients[next++];
      try {
        const r = await request("POST", "/api/realtime", { clientId: c.clientId, subscriptions: ["rt_bench/*"] });
        if (r.status === 204) subscribed.push(c);
        else out.errors.push("subscribe status " + r.status);
      } catch (e) {
        out.errors.push("subscribe: " + e.message);
      }
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker));
  out.subscribe_all_s = +((performance.now() - t1) / 1000).toFixed(2);
  out.clients_subscribed = subscribed.length;
  await sleep(2000);
  out.rss_idle_clients_kb = rssKb();
  if (out.rss_before_kb && out.rss_idle_clients_kb && subscribed.length) {
    out.rss_per_idle_client_kb = +((out.rss_idle_clients_kb - out.rss_before_kb) / subscribed.length).toFixed(2);
  }

  out.events = [];
  for (let e = 0; e < opt.events; e++) {
    out.events.push(await fanOut(subscribed, token, "e" + e));
    await sleep(300);
  }
  const alls = out.events.map((e) => e.all_ms).filter((x) => x !== null).sort((a, b) => a - b);
  out.fanout_all_median_ms = alls.length ? alls[Math.floor(alls.length / 2)] : null;
  out.events_missing = out.events.reduce((n, e) => n + e.missing, 0);

  await sleep(opt.holdS * 1000);
  out.held_s = opt.holdS;
  out.still_open_after_hold = subscribed.filter((c) => !c.closed).length;
  const last = await fanOut(subscribed, token, "held");
  out.after_hold_received = last.received;
  out.after_hold_all_ms = last.all_ms;
  out.rss_end_kb = rssKb();
  for (const c of clients) c.close();
  keepAlive.destroy();
  out.errors = out.errors.slice(0, 10);
  process.stdout.write(JSON.stringify(out) + "\n");
  setTimeout(() => process.exit(0), 100);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ fatal: String(e && e.stack ? e.stack : e) }) + "\n");
  process.exit(1);
});
