//! JS bindings beyond the basics: `$security`, `$dbx` with `recordQuery`
//! and `db().newQuery`, `$os`, `$filepath`, `$template`, `$http.send`
//! against a local server, cron jobs with `/api/crons`, settings, memory
//! limit resets.

use std::time::Duration;

use axum::Json;
use axum::routing::post;
use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app_with_hooks};

async fn posts(t: &TestApp) -> String {
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "views", "type": "number"}]}),
    )
    .await;
    for (title, views) in [("a", 1), ("b", 5), ("c", 10), ("50% off", 7)] {
        let r = t.post("/api/collections/posts/records", None, json!({"title": title, "views": views})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    tok
}

#[tokio::test]
async fn security_helpers_hash_encrypt_and_sign() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/sec", (e) => {
                const key = "12345678901234567890123456789012";
                const token = $security.createJWT({sub: "u1"}, "secret", 60);
                let badKey = "";
                try { $security.encrypt("x", "short") } catch (err) { badKey = "thrown" }
                let expired = "";
                try { $security.parseJWT($security.createJWT({a: 1}, "k", 0), "k") } catch (err) { expired = "thrown" }
                return e.json(200, {
                    md5: $security.md5("abc"),
                    sha256: $security.sha256("abc"),
                    hs256: $security.hs256("abc", "key"),
                    roundTrip: toString($security.decrypt($security.encrypt("hello", key), key)),
                    sub: $security.parseJWT(token, "secret").sub,
                    unverified: $security.parseUnverifiedJWT(token).sub,
                    equal: [$security.equal("a", "a"), $security.equal("a", "b")],
                    pattern: /^[a-c]{6}$/.test($security.randomStringByRegex("[a-c]{6}")),
                    alphabet: $security.randomStringWithAlphabet(5, "x"),
                    badKey, expired,
                });
            });
            "#,
        )],
        |_| {},
    )
    .await;
    let r = t.get("/sec", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({
            "md5": "900150983cd24fb0d6963f7d28e17f72",
            "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "hs256": "9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab",
            "roundTrip": "hello", "sub": "u1", "unverified": "u1", "equal": [true, false],
            "pattern": true, "alphabet": "xxxxx", "badKey": "thrown", "expired": "thrown",
        })
    );
}

#[tokio::test]
async fn dbx_expressions_record_queries_and_raw_queries() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/q", (e) => {
                const titles = (list) => list.map((r) => r.get("title"));
                const sorted = arrayOf(new Record);
                $app.recordQuery("posts").andWhere($dbx.exp("views >= {:min}", {min: 5})).orderBy("views DESC").limit(2).all(sorted);
                const one = new Record;
                $app.recordQuery("posts").andWhere($dbx.hashExp({title: "a"})).one(one);
                const rows = arrayOf(new DynamicModel({title: "", views: 0, missing: nullString()}));
                $app.db().newQuery("SELECT title, views, NULL as missing FROM posts WHERE views > {:v} ORDER BY views").bind({v: 4}).all(rows);
                const count = new DynamicModel({n: 0});
                $app.db().newQuery("SELECT count(*) AS n FROM posts").one(count);
                let none = "";
                try { $app.db().newQuery("SELECT 1 FROM posts WHERE 0").one(new DynamicModel({})) } catch (err) { none = err.status }
                const changed = $app.db().newQuery("UPDATE posts SET views = views + 1 WHERE title = {:t}").bind({t: "a"}).execute().rowsAffected();
                return e.json(200, {
                    sorted: titles(sorted),
                    one: one.get("title"),
                    rows: rows.map((r) => [r.title, r.views, r.missing]),
                    count: count.n,
                    none, changed,
                    like: titles($app.findAllRecords("posts", $dbx.like("title", "50%"))),
                    or: $app.countRecords("posts", $dbx.or($dbx.in("title", "a", "b"), $dbx.between("views", 9, 11))),
                    not: $app.countRecords("posts", $dbx.not($dbx.hashExp({title: ["a", "b"]}))),
                    notLike: $app.countRecords("posts", $dbx.notLike("title", "%")),
                    exists: $app.countRecords("posts", $dbx.exists($dbx.exp("SELECT 1 FROM _collections WHERE name = 'posts'"))),
                });
            });
            "#,
        )],
        |_| {},
    )
    .await;
    posts(&t).await;
    let r = t.get("/q", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({
            "sorted": ["c", "50% off"], "one": "a",
            "rows": [["b", 5, null], ["50% off", 7, null], ["c", 10, null]],
            "count": 4, "none": 404, "changed": 1,
            "like": ["50% off"], "or": 3, "not": 2, "notLike": 3, "exists": 4,
        })
    );
}

#[tokio::test]
async fn os_filepath_and_template_helpers() {
    let t = spawn_app_with_hooks(
        &[
            ("views/layout.html", r#"<h1>{{template "title" .}}</h1>{{range .items}}<i>{{.}}</i>{{else}}none{{end}}"#),
            ("views/page.html", r#"{{define "title"}}{{.name | html}}{{end}}"#),
            (
                "main.pb.js",
                r#"
                routerAdd("GET", "/os", (e) => {
                    const dir = $os.tempDir() + "/fb-os-" + $security.randomString(8);
                    $os.mkdirAll(dir + "/sub");
                    $os.writeFile(dir + "/sub/a.txt", "hello");
                    const names = $os.readDir(dir + "/sub").map((f) => f.name() + ":" + f.size());
                    const cmd = $os.cmd("sh", "-c", "printf %s \"$X\"");
                    cmd.env = ["X=envy"];
                    const echoed = toString(cmd.output());
                    let failed = "";
                    try { $os.cmd("sh", "-c", "exit 3").run() } catch (err) { failed = String(err.message) }
                    const read = toString($os.readFile(dir + "/sub/a.txt"));
                    $os.removeAll(dir);
                    let gone = false;
                    try { $os.stat(dir) } catch (_) { gone = true }
                    return e.json(200, {
                        names, echoed, failed, read, gone,
                        path: [$filepath.join("a", "b/../c", "d.txt"), $filepath.base("/x/y.tar.gz"), $filepath.ext("y.tar.gz"),
                            $filepath.dir("/x/y/z"), $filepath.rel("/a/b", "/a/c/d"), $filepath.match("*.js", "x.js")],
                    });
                });
                routerAdd("GET", "/slow", (e) => { $os.cmd("sleep", "5").run(); return e.string(200, "done"); });
                routerAdd("GET", "/tpl", (e) => {
                    const html = $template.loadFiles(__hooks + "/views/layout.html", __hooks + "/views/page.html")
                        .render({name: "<Ada>", items: [1, 2]});
                    const text = $template.loadString('{{if eq .n 1}}one{{else if gt .n 1}}many{{end}} {{printf "%d-%s" .n "x"}} {{len .list}} {{index .list 1}} {{raw .h}}')
                        .render({n: 3, list: ["p", "q"], h: "<b>"});
                    return e.json(200, {html, text});
                });
                "#,
            ),
        ],
        |c| c.time_budget = Duration::from_millis(1500),
    )
    .await;
    let r = t.get("/os", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["names"], json!(["a.txt:5"]));
    assert_eq!(r.json["echoed"], "envy");
    assert!(r.json["failed"].as_str().unwrap_or_default().starts_with("exit status 3"), "{}", r.json);
    let started = std::time::Instant::now();
    let slow = t.get("/slow", None).await;
    assert_eq!(slow.status, 500, "{}", slow.text);
    assert!(started.elapsed() < Duration::from_secs(4), "the command is killed at the end of the time budget");
    assert_eq!((r.json["read"].as_str(), r.json["gone"].as_bool()), (Some("hello"), Some(true)));
    assert_eq!(r.json["path"], json!(["a/c/d.txt", "y.tar.gz", ".gz", "/x/y", "../c/d", true]));
    let tpl = t.get("/tpl", None).await;
    assert_eq!(tpl.status, 200, "{}", tpl.text);
    assert_eq!(tpl.json["html"], "<h1>&lt;Ada&gt;</h1><i>1</i><i>2</i>");
    assert_eq!(tpl.json["text"], "many 3-x 2 q <b>");
}

async fn echo_server() -> String {
    let app = axum::Router::new().route(
        "/echo",
        post(|headers: axum::http::HeaderMap, body: String| async move {
            let token = headers.get("x-token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            (
                [("set-cookie", "sid=abc; Path=/; HttpOnly")],
                Json(json!({"got": serde_json::from_str::<Value>(&body).unwrap_or(Value::Null), "token": token})),
            )
        })
        .get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/echo")
}

#[tokio::test]
async fn http_send_posts_json_and_times_out() {
    let url = echo_server().await;
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("POST", "/out", (e) => {
                const url = e.requestInfo().body.url;
                const res = $http.send({url, method: "post", body: JSON.stringify({n: 1}), headers: {"X-Token": "t1"}});
                let timedOut = "";
                try { $http.send({url, timeout: 1}) } catch (err) { timedOut = "thrown" }
                return e.json(200, {status: res.statusCode, json: res.json, cookie: res.cookies.sid.value,
                    type: res.headers["Content-Type"], raw: toString(res.body) === res.raw, timedOut});
            });
            "#,
        )],
        |_| {},
    )
    .await;
    let r = t.post("/out", None, json!({"url": url})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"status": 200, "json": {"got": {"n": 1}, "token": "t1"}, "cookie": "abc",
            "type": ["application/json"], "raw": true, "timedOut": "thrown"})
    );
}

#[tokio::test]
async fn cron_jobs_are_listed_run_on_demand_and_validated() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            cronAdd("tick", "@hourly", () => { $app.store().set("ticks", ($app.store().get("ticks") || 0) + 1); });
            cronAdd("gone", "*/5 * * * *", () => {});
            cronRemove("gone");
            cronRemove("never-added");
            routerAdd("GET", "/ticks", (e) => e.json(200, {ticks: $app.store().get("ticks")}));
            routerAdd("POST", "/live", (e) => { cronAdd("live", "0 0 1 1 *", () => { $app.store().set("live", true) }); return e.noContent(204); });
            routerAdd("POST", "/bad", (e) => { cronAdd("bad", "not a cron", () => {}); return e.noContent(204); });
            "#,
        )],
        |_| {},
    )
    .await;
    let tok = t.admin_token().await;
    let list = t.get("/api/crons", Some(&tok)).await;
    // PocketBase lists its own (`__pb…`) jobs last
    assert_eq!(
        list.json,
        json!([{"id": "tick", "expression": "0 * * * *"}, {"id": "__pbMFACleanup__", "expression": "0 * * * *"}, {"id": "__pbOTPCleanup__", "expression": "0 * * * *"}]),
        "macros are stored expanded"
    );
    assert_eq!(t.get("/api/crons", None).await.status, 401);
    assert_eq!(t.post("/api/crons/tick", Some(&tok), Value::Null).await.status, 204);
    assert_eq!(t.post("/api/crons/missing", Some(&tok), Value::Null).await.status, 404);
    let mut ticks = Value::Null;
    for _ in 0..50 {
        ticks = t.get("/ticks", None).await.json["ticks"].clone();
        if ticks == json!(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ticks, json!(1));
    let bad = t.post("/bad", None, Value::Null).await;
    assert_eq!(bad.status, 500, "an invalid expression fails the caller: {}", bad.text);
    assert_eq!(t.post("/live", None, Value::Null).await.status, 204);
    let ids: Vec<Value> = t.get("/api/crons", Some(&tok)).await.json.as_array().cloned().unwrap_or_default();
    assert_eq!(
        ids.iter().map(|j| j["id"].clone()).collect::<Vec<_>>(),
        [json!("live"), json!("tick"), json!("__pbMFACleanup__"), json!("__pbOTPCleanup__")]
    );
    assert_eq!(t.post("/api/crons/live", Some(&tok), Value::Null).await.status, 204);
}

#[tokio::test]
async fn a_runtime_over_its_memory_limit_is_replaced() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            globalThis.kept = [];
            routerAdd("GET", "/leak", (e) => { while (true) { kept.push("y".repeat(1 << 20)); } });
            routerAdd("GET", "/kept", (e) => e.json(200, {kept: kept.length}));
            "#,
        )],
        |c| {
            c.pool_size = 1;
            c.memory_limit = 48 << 20;
        },
    )
    .await;
    let leak = t.get("/leak", None).await;
    assert_eq!(leak.status, 500, "{}", leak.text);
    let kept = t.get("/kept", None).await;
    assert_eq!(kept.json, json!({"kept": 0}), "the runtime holding the leak was rebuilt");
    assert_eq!(t.get("/api/health", None).await.status, 200);
}

#[tokio::test]
async fn settings_auth_tokens_and_unavailable_subsystems() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onSettingsReload((e) => { $app.store().set("reloaded", $app.settings().meta.appName); e.next(); });
            routerAdd("POST", "/rename", (e) => {
                const s = $app.settings();
                s.meta.appName = e.requestInfo().body.name;
                $app.save(s);
                return e.json(200, {name: $app.settings().meta.appName, reloaded: $app.store().get("reloaded")});
            });
            routerAdd("GET", "/who", (e) => {
                const token = e.request.header.get("Authorization");
                return e.json(200, {email: $app.findAuthRecordByToken(token, "auth").email()});
            });
            routerAdd("GET", "/mail", (e) => e.json(200, {send: typeof $app.newMailClient().send}));
            routerAdd("GET", "/mails", (e) => { $mails.sendRecordOTP($app, null, "", ""); });
            routerAdd("GET", "/misc", (e) => e.json(200, {
                dataDir: $app.dataDir().endsWith("pb_data"), dev: $app.isDev(),
                date: new DateTime("2024-01-02 03:04:05.678Z").string(),
                field: new TextField({name: "t", required: true}),
                fields: new Collection({name: "x", fields: [new NumberField({name: "n"})]}).fields.fieldNames(),
                model: (() => { const m = {a: {b: 1}}; unmarshal({a: {c: 2}}, m); return m; })(),
            }));
            "#,
        )],
        |_| {},
    )
    .await;
    let r = t.post("/rename", None, json!({"name": "Renamed"})).await;
    assert_eq!(r.json, json!({"name": "Renamed", "reloaded": "Renamed"}), "{}", r.text);
    let tok = t.admin_token().await;
    assert_eq!(t.get("/api/settings", Some(&tok)).await.json["meta"]["appName"], "Renamed");
    assert_eq!(t.get("/who", Some(&tok)).await.json["email"], crate::common::ADMIN_EMAIL);
    assert_eq!(t.get("/mail", None).await.json, json!({"send": "function"}));
    let r = t.get("/mails", None).await;
    assert_eq!(r.status, 400, "$mails without a record: {}", r.text);
    let misc = t.get("/misc", None).await;
    assert_eq!(
        misc.json,
        json!({"dataDir": true, "dev": false, "date": "2024-01-02 03:04:05.678Z",
            "field": {"name": "t", "required": true, "type": "text"}, "fields": ["id", "n"], "model": {"a": {"b": 1, "c": 2}}})
    );
}

#[tokio::test]
async fn typescript_hook_files_run_with_their_line_numbers() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.ts",
            r#"/// <reference path="../pb_data/types.d.ts" />
interface Greeting { message: string }
function greet(name: string): Greeting {
    return { message: `Hello ${name}` } as Greeting;
}
routerAdd("GET", "/ts/{name}", (e: core.RequestEvent): void => {
    e.json(200, greet(e.request.pathValue("name")));
});
routerAdd("GET", "/ts-error", (e) => {
    const err = new Error("where");
    e.json(200, {stack: String(err.stack)});
});
"#,
        )],
        |_| {},
    )
    .await;
    assert_eq!(t.get("/ts/Ada", None).await.json, json!({"message": "Hello Ada"}));
    let stack = t.get("/ts-error", None).await.json["stack"].as_str().unwrap_or_default().to_string();
    assert!(stack.contains("main.pb.ts:10:"), "the error points at line 10 of the .ts file: {stack}");

    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("bad.pb.ts"), "const a = 1;\nlet b: number = ;\n").expect("write");
    let app = t.app.clone();
    let mut config = ferrobase::jsvm::JsConfig::new(dir.path());
    config.strict = true;
    let err = tokio::task::spawn_blocking(move || ferrobase::jsvm::JsEngine::start(&app, config).map(|_| ()))
        .await
        .expect("join")
        .expect_err("a syntax error fails the load");
    let text = err.to_string();
    assert!(text.contains("bad.pb.ts") && text.contains(":2:"), "{text}");
}
