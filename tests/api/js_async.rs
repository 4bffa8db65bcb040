//! Beyond PocketBase: `async` handlers and `await` in routes, middlewares,
//! hooks and cron jobs; `setTimeout`/`setInterval` inside a handler's
//! budget; a WHATWG `fetch()` against a local HTTP server the test starts;
//! runaway async code stopped without taking the server down.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app_with_hooks};

/// A local HTTP server for `fetch()`: `/json`, `/echo` (method, headers,
/// body back), `/slow` (answers after 2 s), `/big` (1 MiB), `/bytes`,
/// `/status/{code}`.
async fn upstream() -> String {
    async fn echo(method: axum::http::Method, headers: HeaderMap, body: axum::body::Bytes) -> axum::Json<Value> {
        let h: serde_json::Map<String, Value> =
            headers.iter().map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or("")))).collect();
        axum::Json(json!({"method": method.as_str(), "headers": h, "body": String::from_utf8_lossy(&body)}))
    }
    let app = Router::new()
        .route("/json", get(|| async { ([("x-upstream", "yes")], axum::Json(json!({"hello": "world", "n": 7}))) }))
        .route("/echo", post(echo).put(echo))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                "late"
            }),
        )
        .route("/big", get(|| async { "x".repeat(1 << 20) }))
        .route("/bytes", get(|| async { vec![0u8, 1, 2, 254, 255] }))
        .route(
            "/status/{code}",
            get(|axum::extract::Path(code): axum::extract::Path<u16>| async move {
                (StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT), "status body")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn posts(t: &TestApp) {
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "note", "type": "text"}]}),
    )
    .await;
}

#[tokio::test]
async fn async_routes_and_middlewares_await_timers_and_reject_like_a_throw() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
            routerUse(async (e) => {
                await sleep(5);
                e.response.header().set("X-Async-Mw", "1");
                return e.next();
            });
            routerAdd("GET", "/sleep", async (e) => {
                const order = [];
                setTimeout(() => order.push("b"), 30);
                setTimeout(() => order.push("a"), 10);
                const cancelled = setTimeout(() => order.push("never"), 15);
                clearTimeout(cancelled);
                await sleep(50);
                let ticks = 0;
                await new Promise((resolve) => {
                    const id = setInterval(() => { if (++ticks === 3) { clearInterval(id); resolve(); } }, 5);
                });
                return e.json(200, {order, ticks, args: await new Promise((r) => setTimeout((x, y) => r([x, y]), 1, "x", 2))});
            });
            routerAdd("GET", "/reject", async (e) => {
                await sleep(1);
                throw new BadRequestError("rejected after await");
            });
            routerAdd("GET", "/throw", (e) => { throw new BadRequestError("rejected after await"); });
            routerAdd("GET", "/plain-reject", async (e) => { await null; throw new Error("plain async"); });
            routerAdd("GET", "/timer-after-response", (e) => {
                // a sync handler's pending timer still runs inside the budget
                setTimeout(() => $app.store().set("timerRan", true), 20);
                return e.string(200, "ok");
            });
            routerAdd("GET", "/next-not-awaited", async (e) => { await sleep(1); e.next(); }, async (e) => {
                await sleep(1);
                return e.next();
            });
            "#,
        )],
        |_| {},
    )
    .await;
    let r = t.get("/sleep", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json, json!({"order": ["a", "b"], "ticks": 3, "args": ["x", 2]}));
    assert_eq!(r.headers.get("x-async-mw").map(|v| v.to_str().unwrap_or("")), Some("1"));

    let rejected = t.get("/reject", None).await;
    let thrown = t.get("/throw", None).await;
    assert_eq!((rejected.status, &rejected.json), (thrown.status, &thrown.json), "a rejection is a throw");
    assert_eq!((rejected.status, rejected.json["message"].as_str()), (400, Some("Rejected after await.")));
    let plain = t.get("/plain-reject", None).await;
    assert_eq!(plain.status, 400, "{}", plain.text);

    assert_eq!(t.get("/timer-after-response", None).await.text, "ok");
    assert_eq!(t.app.store().lock().get("timerRan").cloned(), Some(json!(true)));
    // e.next() not awaited in a route: the handler still ran (a 404-less route with no write → 204-ish)
    let nn = t.get("/next-not-awaited", None).await;
    assert!(nn.status < 500, "{} {}", nn.status, nn.text);
}

#[tokio::test]
async fn fetch_talks_to_an_http_server_with_headers_bodies_and_limits() {
    let up = upstream().await;
    let hooks = format!(
        r#"
        const UP = "{up}";
        routerAdd("GET", "/f/json", async (e) => {{
            const res = await fetch(UP + "/json");
            return e.json(200, {{ok: res.ok, status: res.status, type: res.headers.get("Content-Type"),
                up: res.headers.get("x-upstream"), body: await res.json(), used: res.bodyUsed}});
        }});
        routerAdd("GET", "/f/echo", async (e) => {{
            const headers = new Headers({{"X-One": "1"}});
            headers.append("x-two", "2");
            const a = await (await fetch(UP + "/echo", {{method: "POST", headers, body: JSON.stringify({{a: 1}})}})).json();
            const b = await (await fetch(new Request(UP + "/echo", {{method: "put", body: {{obj: true}}}}))).json();
            const bytes = new Uint8Array([104, 105]);
            const c = await (await fetch(UP + "/echo", {{method: "POST", body: bytes.buffer}})).json();
            return e.json(200, {{a: {{method: a.method, one: a.headers["x-one"], two: a.headers["x-two"], type: a.headers["content-type"], body: a.body}},
                b: {{method: b.method, type: b.headers["content-type"], body: b.body}}, c: c.body}});
        }});
        routerAdd("GET", "/f/bytes", async (e) => {{
            const res = await fetch(UP + "/bytes");
            const copy = res.clone();
            const buf = await res.arrayBuffer();
            let twice = "";
            try {{ await res.text(); }} catch (err) {{ twice = err.name; }}
            return e.json(200, {{bytes: Array.from(new Uint8Array(buf)), len: (await copy.bytes()).length, twice}});
        }});
        routerAdd("GET", "/f/status", async (e) => {{
            const res = await fetch(UP + "/status/418");
            return e.json(200, {{ok: res.ok, status: res.status, text: await res.text()}});
        }});
        routerAdd("GET", "/f/timeout", async (e) => {{
            const started = Date.now();
            try {{ await fetch(UP + "/slow", {{timeout: 200}}); return e.string(200, "no timeout"); }}
            catch (err) {{ return e.json(200, {{name: err.name, message: err.message, fast: Date.now() - started < 1500}}); }}
        }});
        routerAdd("GET", "/f/abort", async (e) => {{
            try {{ await fetch(UP + "/slow", {{signal: AbortSignal.timeout(100)}}); return e.string(200, "no abort"); }}
            catch (err) {{ return e.json(200, {{name: err.name}}); }}
        }});
        routerAdd("GET", "/f/limit", async (e) => {{
            try {{ await fetch(UP + "/big", {{maxResponseSize: 1000}}); return e.string(200, "no limit"); }}
            catch (err) {{ return e.json(200, {{message: err.message}}); }}
        }});
        routerAdd("GET", "/f/bad", async (e) => {{
            const out = [];
            for (const url of ["not a url", "file:///etc/passwd", "http://127.0.0.1:1/closed"]) {{
                try {{ await fetch(url); out.push("fetched"); }} catch (err) {{ out.push(err.name); }}
            }}
            return e.json(200, out);
        }});
        routerAdd("GET", "/f/self", async (e) => {{
            const res = await fetch("http://" + e.request.host + "/f/inner");
            return e.string(200, "outer+" + await res.text());
        }});
        routerAdd("GET", "/f/inner", (e) => e.string(200, "inner"));
        routerAdd("GET", "/f/unawaited-reject", async (e) => {{
            await fetch(UP + "/status/500").then((r) => {{ if (!r.ok) throw new BadRequestError("upstream " + r.status); }});
        }});
        "#
    );
    // one runtime: the self-fetch must not wait behind the worker that awaits it
    let t = spawn_app_with_hooks(&[("main.pb.js", hooks.as_str())], |c| c.pool_size = 1).await;
    let r = t.get("/f/json", None).await;
    assert_eq!(
        r.json,
        json!({"ok": true, "status": 200, "type": "application/json", "up": "yes", "body": {"hello": "world", "n": 7}, "used": true}),
        "{}",
        r.text
    );
    let r = t.get("/f/echo", None).await;
    assert_eq!(
        r.json,
        json!({
            "a": {"method": "POST", "one": "1", "two": "2", "type": "text/plain;charset=UTF-8", "body": "{\"a\":1}"},
            "b": {"method": "PUT", "type": "application/json", "body": "{\"obj\":true}"},
            "c": "hi"
        }),
        "{}",
        r.text
    );
    let r = t.get("/f/bytes", None).await;
    assert_eq!(r.json, json!({"bytes": [0, 1, 2, 254, 255], "len": 5, "twice": "TypeError"}), "{}", r.text);
    let r = t.get("/f/status", None).await;
    assert_eq!(r.json, json!({"ok": false, "status": 418, "text": "status body"}));
    let r = t.get("/f/timeout", None).await;
    assert_eq!((r.json["name"].as_str(), r.json["fast"].as_bool()), (Some("TypeError"), Some(true)), "{}", r.text);
    assert_eq!(t.get("/f/abort", None).await.json, json!({"name": "TimeoutError"}));
    let r = t.get("/f/limit", None).await;
    assert!(r.json["message"].as_str().unwrap_or("").contains("1000 bytes limit"), "{}", r.text);
    assert_eq!(t.get("/f/bad", None).await.json, json!(["TypeError", "TypeError", "TypeError"]));
    let r = t.get("/f/self", None).await;
    assert_eq!((r.status, r.text.as_str()), (200, "outer+inner"));
    let r = t.get("/f/unawaited-reject", None).await;
    assert_eq!((r.status, r.json["message"].as_str()), (400, Some("Upstream 500.")));
}

#[tokio::test]
async fn async_hooks_and_cron_jobs_await_fetch_and_timers() {
    let up = upstream().await;
    let hooks = format!(
        r#"
        const UP = "{up}";
        onRecordCreateRequest(async (e) => {{
            const res = await fetch(UP + "/json");
            const body = await res.json();
            e.record.set("note", "fetched " + body.hello);
            if (e.record.get("title") === "awaited") {{
                await e.next();
            }} else {{
                e.next();
            }}
        }}, "posts");
        onRecordCreate(async (e) => {{
            await new Promise((r) => setTimeout(r, 5));
            if (e.record.get("title") === "reject") throw new Error("plain nested rejection");
            e.record.set("title", e.record.get("title") + "!");
            return e.next();
        }}, "posts");
        onRecordAfterCreateSuccess(async (e) => {{
            await null;
            $app.store().set("after:" + e.record.get("title"), true);
            e.next();
        }}, "posts");
        routerAdd("GET", "/save-reject", (e) => {{
            const r = new Record($app.findCollectionByNameOrId("posts"));
            r.set("title", "reject");
            try {{ $app.save(r); }} catch (err) {{ return e.json(200, {{message: err.message}}); }}
            return e.string(200, "saved");
        }});
        cronAdd("asyncJob", "@hourly", async () => {{
            const res = await fetch(UP + "/json");
            await new Promise((r) => setTimeout(r, 10));
            $app.store().set("cronFetched", (await res.json()).n);
        }});
        "#
    );
    let t = spawn_app_with_hooks(&[("main.pb.js", hooks.as_str())], |_| {}).await;
    posts(&t).await;
    for title in ["awaited", "plain"] {
        let r = t.post("/api/collections/posts/records", None, json!({"title": title})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            (r.json["title"].as_str(), r.json["note"].as_str()),
            (Some(&*format!("{title}!")), Some("fetched world"))
        );
        assert_eq!(t.app.store().lock().get(&format!("after:{title}!")).cloned(), Some(json!(true)));
    }
    // a plain Error rejected in a nested hook keeps its message
    assert_eq!(t.get("/save-reject", None).await.json, json!({"message": "plain nested rejection"}));
    let tok = t.admin_token().await;
    assert_eq!(t.post("/api/crons/asyncJob", Some(&tok), Value::Null).await.status, 204);
    let mut got = None;
    for _ in 0..100 {
        got = t.app.store().lock().get("cronFetched").cloned();
        if got.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(got, Some(json!(7)));
}

#[tokio::test]
async fn runaway_async_code_and_timers_are_stopped_and_the_server_serves_on() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/async-loop", async (e) => { await null; for (;;) {} });
            routerAdd("GET", "/timer-loop", (e) => { setTimeout(() => { for (;;) {} }, 1); return e.string(200, "x"); });
            routerAdd("GET", "/interval-forever", async (e) => {
                await new Promise((r) => setInterval(() => {}, 10));
            });
            routerAdd("GET", "/never", async (e) => { await new Promise(() => {}); });
            routerAdd("GET", "/timer-throws", (e) => { setTimeout(() => { throw new Error("timer boom"); }, 1); e.string(200, "x"); });
            routerAdd("GET", "/micro-forever", async (e) => { for (;;) { await null; } });
            routerAdd("GET", "/ok", (e) => e.string(200, "ok"));
            onRecordCreateRequest(async (e) => { await null; for (;;) {} }, "posts");
            "#,
        )],
        |c| {
            c.time_budget = Duration::from_millis(300);
            c.pool_size = 1;
        },
    )
    .await;
    posts(&t).await;
    for path in ["/async-loop", "/timer-loop", "/interval-forever", "/micro-forever"] {
        let r = t.get(path, None).await;
        assert_eq!(r.status, 500, "{path}: {}", r.text);
        assert_eq!(t.get("/ok", None).await.text, "ok", "after {path}");
    }
    let never = t.get("/never", None).await;
    assert_eq!(never.status, 500, "{}", never.text);
    let boom = t.get("/timer-throws", None).await;
    assert_eq!(boom.status, 400, "a timer's error fails the handler: {}", boom.text);
    let hook = t.post("/api/collections/posts/records", None, json!({"title": "x"})).await;
    assert!(hook.status >= 400, "{}", hook.text);
    assert_eq!(t.get("/ok", None).await.text, "ok");
    assert_eq!(t.get("/api/health", None).await.status, 200);
}
