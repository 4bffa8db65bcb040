//! JS hooks (`pb_hooks/*.pb.js`): routes, middlewares, record hooks, errors,
//! time budget, load errors and hot reload, through the real server.

use std::time::{Duration, Instant};

use ferrobase::jsvm::{JsConfig, JsEngine};
use serde_json::json;

use crate::common::{TestApp, hooks_dir, spawn_app_with_hooks};

fn defaults(_: &mut JsConfig) {}

async fn posts(t: &TestApp) -> String {
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "status", "type": "text"}]}),
    )
    .await;
    tok
}

async fn titles(t: &TestApp, tok: &str) -> Vec<String> {
    let r = t.get("/api/collections/posts/records?perPage=100", Some(tok)).await;
    r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn routes_answer_with_path_values_and_content_types() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/hello/{name}", (e) => e.json(200, {message: "Hello " + e.request.pathValue("name")}));
            routerAdd("GET", "/files/{path...}", (e) => e.string(200, "path=" + e.request.pathValue("path")));
            routerAdd("get", "/page", (e) => e.html(201, "<b>hi</b>"));
            routerAdd("POST", "/empty", (e) => e.noContent(204));
            routerAdd("GET", "/go", (e) => e.redirect(307, "/page"));
            routerAdd("GET", "/q", (e) => e.json(200, {a: e.request.url.query().get("a"), h: e.request.header.get("X-Foo")}));
            routerAdd("GET", "/silent", (e) => {});
            routerAdd("*", "/star", (e) => e.string(200, "star"));
            routerAdd("POST", "/small", (e) => e.json(200, e.requestInfo().body), $apis.bodyLimit(20));
            "#,
        )],
        defaults,
    )
    .await;
    let r = t.get("/hello/Zo%C3%AB", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json, json!({"message": "Hello Zoë"}));
    assert!(r.headers["content-type"].to_str().expect("ct").starts_with("application/json"));
    assert_eq!(t.get("/files/a/b/c.txt", None).await.text, "path=a/b/c.txt");
    let page = t.get("/page", None).await;
    assert_eq!(page.status, 201);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(t.post("/empty", None, json!({})).await.status, 204);
    let head = t.req("HEAD", "/hello/x", None, serde_json::Value::Null).await;
    assert_eq!(head.status, 200, "HEAD answers GET routes");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let go = client.get(format!("{}/go", t.base)).send().await.expect("sent");
    assert_eq!(go.status().as_u16(), 307);
    assert_eq!(go.headers()["location"], "/page");
    let q = t.client.get(format!("{}/q?a=1&a=2", t.base)).header("X-Foo", "bar").send().await.expect("sent");
    assert_eq!(q.json::<serde_json::Value>().await.expect("json"), json!({"a": "1", "h": "bar"}));
    let silent = t.get("/silent", None).await;
    assert_eq!((silent.status, silent.text.as_str()), (200, ""));
    assert_eq!(t.get("/star", None).await.status, 404, "\"*\" registers nothing");
    assert_eq!(t.get("/hello", None).await.status, 404);
    let form = t.raw("POST", "/small", None, "application/x-www-form-urlencoded", b"a=1&b=x".to_vec()).await;
    assert_eq!(form.json, json!({"a": 1, "b": "x"}), "form values are type-guessed");
    assert_eq!(t.post("/small", None, json!({"text": "far more than twenty bytes"})).await.status, 413);
}

#[tokio::test]
async fn middlewares_run_by_priority_and_wrap_builtin_routes() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            const trace = (name) => (e) => { e.set("order", (e.get("order") || "") + name + ";"); return e.next(); };
            routerUse(trace("global"));
            routerUse((e) => { e.response.header().set("X-Hook", "on"); return e.next(); });
            routerAdd("GET", "/order", (e) => e.json(200, {order: e.get("order")}),
                trace("route"), new Middleware(trace("early"), -5));
            "#,
        )],
        defaults,
    )
    .await;
    let r = t.get("/order", None).await;
    assert_eq!(r.json["order"], "early;global;route;");
    assert_eq!(r.headers["x-hook"], "on");
    let health = t.get("/api/health", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.headers["x-hook"], "on", "routerUse wraps built-in routes");
    assert_eq!(health.json["message"], "API is healthy.");
    let missing = t.get("/nope", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.headers["x-hook"], "on");
}

#[tokio::test]
async fn require_auth_guards_routes() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/me", (e) => e.json(200, {id: e.auth.id, collection: e.auth.collection().name}), $apis.requireAuth());
            routerAdd("GET", "/admin", (e) => e.json(200, {ok: e.hasSuperuserAuth()}), $apis.requireSuperuserAuth());
            routerAdd("GET", "/users-only", (e) => e.json(200, {ok: true}), $apis.requireAuth("users"));
            routerAdd("GET", "/guests", (e) => e.json(200, {ok: true}), $apis.requireGuestOnly());
            "#,
        )],
        defaults,
    )
    .await;
    let admin = t.admin_token().await;
    let (user, user_tok) = t.user("u1@example.com", "12345678").await;
    let anon = t.get("/me", None).await;
    assert_eq!(anon.status, 401);
    assert_eq!(anon.json["message"], "The request requires valid record authorization token.");
    let me = t.get("/me", Some(&user_tok)).await;
    assert_eq!(me.json, json!({"id": user["id"], "collection": "users"}));
    assert_eq!(t.get("/admin", Some(&user_tok)).await.status, 403);
    assert_eq!(t.get("/admin", Some(&admin)).await.json, json!({"ok": true}));
    assert_eq!(t.get("/users-only", Some(&admin)).await.status, 403);
    assert_eq!(t.get("/users-only", Some(&user_tok)).await.status, 200);
    assert_eq!(t.get("/guests", Some(&user_tok)).await.status, 400);
    assert_eq!(t.get("/guests", None).await.status, 200);
}

#[tokio::test]
async fn thrown_errors_become_api_errors() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerUse((e) => { e.response.header().set("X-Seen", "1"); return e.next(); });
            routerAdd("GET", "/bad", (e) => { throw new BadRequestError("nope") });
            routerAdd("GET", "/nf", (e) => { throw new NotFoundError() });
            routerAdd("GET", "/forbidden", (e) => { throw new ForbiddenError() });
            routerAdd("GET", "/teapot", (e) => { throw new ApiError(418, "short and stout", {f: new ValidationError("c", "m"), g: 5}) });
            routerAdd("GET", "/plain", (e) => { throw new Error("secret detail") });
            routerAdd("GET", "/string", (e) => { throw "a string" });
            routerAdd("GET", "/missing", (e) => { $app.findRecordById("users", "nope") });
            routerAdd("GET", "/caught", (e) => {
                try { $app.findRecordById("users", "nope") } catch (err) { return e.json(200, {status: err.status, message: err.message}) }
            });
            "#,
        )],
        defaults,
    )
    .await;
    let bad = t.get("/bad", None).await;
    assert_eq!(bad.json, json!({"status": 400, "message": "Nope.", "data": {}}));
    assert_eq!(bad.headers["x-seen"], "1", "headers set before the throw stay");
    let nf = t.get("/nf", None).await;
    assert_eq!((nf.status, nf.json["message"].as_str()), (404, Some("The requested resource wasn't found.")));
    assert_eq!(t.get("/forbidden", None).await.status, 403);
    let teapot = t.get("/teapot", None).await;
    assert_eq!(teapot.status, 418);
    assert_eq!(teapot.json["message"], "Short and stout.");
    assert_eq!(teapot.json["data"]["f"], json!({"code": "c", "message": "m"}));
    assert_eq!(teapot.json["data"]["g"]["code"], "validation_invalid_value");
    for path in ["/plain", "/string"] {
        let r = t.get(path, None).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.json["message"], "Something went wrong while processing your request.");
    }
    assert_eq!(t.get("/missing", None).await.status, 404);
    assert_eq!(
        t.get("/caught", None).await.json,
        json!({"status": 404, "message": "The requested resource wasn't found."})
    );
}

#[tokio::test]
async fn create_request_hook_changes_the_record_or_rejects_it() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordCreateRequest((e) => {
                if (e.record.get("title") === "forbidden") throw new BadRequestError("nope");
                if (e.record.get("title") === "silent") return;
                e.record.set("status", "pending");
                e.next();
                // after next the record is saved
                $app.store().set("savedId", e.record.id);
            }, "posts");
            "#,
        )],
        defaults,
    )
    .await;
    let tok = posts(&t).await;
    let r = t.post("/api/collections/posts/records", None, json!({"title": "a", "status": "closed"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "pending");
    assert_eq!(t.app.store().lock().get("savedId"), Some(&r.json["id"]), "code after e.next() sees the saved record");
    let rejected = t.post("/api/collections/posts/records", None, json!({"title": "forbidden"})).await;
    assert_eq!(rejected.status, 400);
    assert_eq!(rejected.json["message"], "Nope.");
    let silent = t.post("/api/collections/posts/records", None, json!({"title": "silent"})).await;
    assert_eq!((silent.status, silent.text.as_str()), (200, ""));
    assert_eq!(titles(&t, &tok).await, ["a"], "nothing else was saved");
}

#[tokio::test]
async fn record_request_hooks_see_the_http_request_and_set_response_headers() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            // like PocketBase: the HTTP request is e.requestEvent.request (e.request is unset)
            const seen = (ev) => { const e = ev.requestEvent; return [e.request.method, e.request.url.path,
                e.request.url.query().get("expand"), e.request.pathValue("collection"), e.request.pathValue("id"),
                e.request.header.get("X-Trace"), ev.realIP() !== "" && e.request.remoteAddr.indexOf(ev.realIP()) >= 0,
                ev.request === undefined && ev.response === undefined].join("|") };
            onRecordCreateRequest((e) => {
                e.requestEvent.response.header().set("X-Seen", seen(e));
                if (e.requestEvent.request.header.get("X-Trace") === "stop") throw new ForbiddenError("traced");
                e.next();
            }, "posts");
            onRecordCreateRequest((e) => {
                e.requestEvent.response.header().add("X-Second", "yes");
                e.next();
            }, "posts");
            onRecordUpdateRequest((e) => {
                e.requestEvent.response.header().set("X-Seen", seen(e));
                e.requestEvent.response.header().set("X-Auth", [e.auth.isSuperuser(), e.auth === e.requestInfo().auth,
                    e.requestInfo().body.title, e.requestInfo().method].join("|"));
                e.next();
            }, "posts");
            onRecordDeleteRequest((e) => { e.requestEvent.response.header().set("X-Seen", seen(e)); e.next(); }, "posts");
            onRecordsListRequest((e) => { e.requestEvent.response.header().set("X-Count", String(e.records.length)); e.next(); });
            "#,
        )],
        defaults,
    )
    .await;
    let tok = posts(&t).await;
    let send = |method: &str, path: &str, body: Option<serde_json::Value>| {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = t.client.request(m, format!("{}{path}", t.base)).header("X-Trace", "t1");
        if method != "POST" {
            rb = rb.header("Authorization", tok.as_str());
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send()
    };
    let header = |r: &reqwest::Response, name: &str| {
        r.headers().get(name).map(|v| v.to_str().unwrap_or_default().to_string()).unwrap_or_default()
    };
    let created =
        send("POST", "/api/collections/posts/records?expand=x", Some(json!({"title": "a"}))).await.expect("send");
    assert_eq!(created.status(), 200);
    assert_eq!(header(&created, "x-seen"), "POST|/api/collections/posts/records|x|posts||t1|true|true");
    assert_eq!(header(&created, "x-second"), "yes", "headers of several handlers add up");
    let id = created.json::<serde_json::Value>().await.expect("json")["id"].as_str().unwrap_or_default().to_string();
    let path = format!("/api/collections/posts/records/{id}");
    let updated = send("PATCH", &path, Some(json!({"title": "b"}))).await.expect("send");
    assert_eq!(header(&updated, "x-seen"), format!("PATCH|{path}||posts|{id}|t1|true|true"));
    assert_eq!(header(&updated, "x-auth"), "true|true|b|PATCH", "e.auth is requestInfo().auth");
    let listed = send("GET", "/api/collections/posts/records", None).await.expect("send");
    assert_eq!(header(&listed, "x-count"), "1");
    let deleted = send("DELETE", &path, None).await.expect("send");
    assert_eq!(
        (deleted.status().as_u16(), header(&deleted, "x-seen")),
        (204, format!("DELETE|{path}||posts|{id}|t1|true|true"))
    );

    let stopped = t
        .client
        .post(format!("{}/api/collections/posts/records", t.base))
        .header("X-Trace", "stop")
        .json(&json!({"title": "c"}))
        .send()
        .await
        .expect("send");
    assert_eq!(stopped.status(), 403);
    assert!(
        header(&stopped, "x-seen").ends_with("|stop|true|true"),
        "headers set before a throw go out with the error"
    );

    t.patch("/api/settings", Some(&tok), json!({"batch": {"enabled": true}})).await;
    let batch = t
        .post(
            "/api/batch",
            Some(&tok),
            json!({"requests": [{"method": "POST", "url": "/api/collections/posts/records?expand=y", "body": {"title": "d"}}]}),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.text);
    let seen = batch.headers.get("x-seen").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(seen, "POST|/api/collections/posts/records|y|posts|||true|true", "a batch sub-request has its own URL");
    assert_eq!(titles(&t, &tok).await, ["d"]);
}

#[tokio::test]
async fn model_hook_without_next_saves_nothing() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordCreate((e) => { if (e.record.get("title") !== "skip") e.next(); }, "posts");
            onRecordAfterCreateSuccess((e) => { $app.store().set("after", e.record.get("title")); e.next(); });
            routerAdd("POST", "/make", (e) => {
                const r = new Record($app.findCollectionByNameOrId("posts"), {title: e.requestInfo().body.title});
                $app.save(r);
                return e.json(200, {isNew: r.isNew()});
            });
            "#,
        )],
        defaults,
    )
    .await;
    let tok = posts(&t).await;
    let skipped = t.post("/make", None, json!({"title": "skip"})).await;
    assert_eq!(skipped.status, 200, "{}", skipped.text);
    assert_eq!(skipped.json["isNew"], true);
    let saved = t.post("/make", None, json!({"title": "keep"})).await;
    assert_eq!(saved.json["isNew"], false);
    assert_eq!(titles(&t, &tok).await, ["keep"]);
    assert_eq!(t.app.store().lock().get("after"), Some(&json!("keep")), "no after-success hook for the skipped save");
}

#[tokio::test]
async fn collection_hooks_can_change_the_collection() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onCollectionCreate((e) => {
                e.collection.listRule = "";
                e.collection.fields.add({name: "added", type: "text"});
                e.next();
                $app.store().set("createdId", e.collection.id);
            });
            onCollectionAfterCreateSuccess((e) => { $app.store().set("after", e.collection.name); e.next(); }, "things");
            routerAdd("POST", "/collections", (e) => {
                const c = new Collection({name: "made_in_js", type: "base", fields: [{name: "title", type: "text"}]});
                $app.save(c);
                const found = $app.findCollectionByNameOrId("made_in_js");
                return e.json(200, {id: c.id, fields: found.fields.fieldNames(), listRule: found.listRule});
            });
            "#,
        )],
        defaults,
    )
    .await;
    let tok = t.admin_token().await;
    let c = t.create_collection(&tok, json!({"name": "things", "fields": [{"name": "title", "type": "text"}]})).await;
    assert_eq!(c["listRule"], "");
    assert!(c["fields"].as_array().expect("fields").iter().any(|f| f["name"] == "added"), "{c}");
    assert_eq!(t.app.store().lock().get("createdId"), Some(&c["id"]));
    assert_eq!(t.app.store().lock().get("after"), Some(&json!("things")));
    let made = t.post("/collections", None, json!({})).await;
    assert_eq!(made.status, 200, "{}", made.text);
    assert_eq!(made.json["fields"], json!(["id", "title", "added"]));
    assert_eq!(made.json["listRule"], "");
}

#[tokio::test]
async fn errors_of_next_reach_the_hook_and_the_client() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordCreateRequest((e) => {
                try {
                    e.next();
                } catch (err) {
                    $app.store().set("caught", {message: err.message, status: err.status});
                    throw err;
                }
            }, "items");
            "#,
        )],
        defaults,
    )
    .await;
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "items", "createRule": "", "fields": [{"name": "title", "type": "text", "required": true}]}),
    )
    .await;
    let r = t.post("/api/collections/items/records", None, json!({"title": ""})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["message"], "Failed to create record.");
    assert_eq!(r.json["data"]["title"]["code"], "validation_required");
    assert_eq!(t.app.store().lock().get("caught"), Some(&json!({"message": "title: cannot be blank.", "status": 400})));
}

#[tokio::test]
async fn runaway_hooks_are_stopped_by_the_budget_and_memory_limit() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordCreate((e) => { if (e.record.get("title") === "loop") { while (true) {} } e.next(); });
            routerAdd("GET", "/hog", (e) => { const a = []; while (true) { a.push("x".repeat(1 << 20)); } });
            routerAdd("GET", "/ok", (e) => e.string(200, "ok"));
            "#,
        )],
        |c| {
            c.pool_size = 1;
            c.time_budget = Duration::from_millis(500);
            c.memory_limit = 32 << 20;
        },
    )
    .await;
    let tok = posts(&t).await;
    let r = t.post("/api/collections/posts/records", None, json!({"title": "loop"})).await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(titles(&t, &tok).await.is_empty());
    let hog = t.get("/hog", None).await;
    assert_eq!(hog.status, 500, "{}", hog.text);
    assert_eq!(t.get("/ok", None).await.text, "ok");
}

#[tokio::test]
async fn after_success_hook_saves_another_record() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordAfterCreateSuccess((e) => {
                if (e.record.get("title") === "fail") throw new Error("audit down");
                const audit = e.app.findCollectionByNameOrId("audit");
                e.app.save(new Record(audit, {ref: e.record.id, note: e.record.get("title")}));
                e.next();
            }, "posts");
            routerAdd("POST", "/js-save", (e) => {
                const r = new Record($app.findCollectionByNameOrId("posts"), {title: "fail"});
                try {
                    $app.save(r);
                    return e.json(200, {thrown: false});
                } catch (err) {
                    return e.json(200, {thrown: String(err), saved: $app.findRecordById("posts", r.id).id === r.id});
                }
            });
            "#,
        )],
        defaults,
    )
    .await;
    let tok = posts(&t).await;
    t.create_collection(
        &tok,
        json!({"name": "audit", "fields": [{"name": "ref", "type": "text"}, {"name": "note", "type": "text"}]}),
    )
    .await;
    let p = t.post("/api/collections/posts/records", None, json!({"title": "x"})).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let audits = t.get("/api/collections/audit/records", Some(&tok)).await;
    assert_eq!(audits.json["totalItems"], 1, "{}", audits.text);
    assert_eq!(audits.json["items"][0]["ref"], p.json["id"]);
    assert_eq!(audits.json["items"][0]["note"], "x");

    // like PocketBase: a failing after-success hook fails the request, but
    // the record is committed
    let failed = t.post("/api/collections/posts/records", None, json!({"title": "fail"})).await;
    assert_eq!(failed.status, 400, "{}", failed.text);
    assert_eq!(t.get("/api/collections/posts/records?filter=title='fail'", Some(&tok)).await.json["totalItems"], 1);
    let from_js = t.post("/js-save", None, json!({})).await;
    assert_eq!(from_js.json["saved"], true, "{}", from_js.text);
    assert!(
        from_js.json["thrown"].as_str().is_some_and(|m| m.starts_with("Error")),
        "$app.save threw: {}",
        from_js.text
    );
}

#[tokio::test]
async fn model_hooks_run_in_pocketbase_order() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            const log = (name) => (e) => {
                const s = $app.store();
                s.set("log", (s.get("log") || "") + name + ";");
                e.next();
            };
            onRecordCreateRequest(log("request"));
            onRecordCreate(log("create:tagged"), "posts");
            onRecordCreate(log("create"));
            onRecordValidate(log("validate"));
            onRecordCreateExecute(log("execute"));
            onRecordAfterCreateSuccess(log("success"));
            onRecordCreate(log("create:other"), "users");
            "#,
        )],
        defaults,
    )
    .await;
    posts(&t).await;
    // the superuser's login above saved its login origin (a record too)
    t.app.store().lock().remove("log");
    let r = t.post("/api/collections/posts/records", None, json!({"title": "x"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(t.app.store().lock().get("log"), Some(&json!("request;create;create:tagged;validate;execute;success;")));
}

#[tokio::test]
async fn transactions_roll_back_when_the_callback_throws() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("POST", "/tx/{mode}", (e) => {
                const posts = $app.findCollectionByNameOrId("posts");
                try {
                    $app.runInTransaction((txApp) => {
                        txApp.save(new Record(posts, {title: "in-tx"}));
                        if (e.request.pathValue("mode") === "fail") throw new BadRequestError("rollback");
                    });
                } catch (err) {
                    return e.json(200, {failed: err.message, count: $app.countRecords("posts")});
                }
                return e.json(200, {count: $app.countRecords("posts")});
            });
            "#,
        )],
        defaults,
    )
    .await;
    posts(&t).await;
    let failed = t.post("/tx/fail", None, json!({})).await;
    assert_eq!(failed.json, json!({"failed": "Rollback.", "count": 0}));
    let ok = t.post("/tx/ok", None, json!({})).await;
    assert_eq!(ok.json, json!({"count": 1}));
}

#[tokio::test]
async fn nested_hooks_do_not_deadlock_a_single_runtime_pool() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordCreate((e) => { e.record.set("status", "hooked"); e.next(); }, "posts");
            routerAdd("POST", "/make", (e) => {
                const r = new Record($app.findCollectionByNameOrId("posts"), {title: "nested"});
                $app.save(r);
                return e.json(200, {status: r.get("status"), id: r.id});
            });
            "#,
        )],
        |c| c.pool_size = 1,
    )
    .await;
    posts(&t).await;
    let r = t.post("/make", None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "hooked");
    assert_eq!(r.json["id"].as_str().map(str::len), Some(15));
}

#[tokio::test]
async fn busy_pools_queue_requests_and_lend_runtimes_only_to_nested_work() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            // each runtime has its own globals: the id tells which one answered
            routerAdd("GET", "/who", (e) => {
                if (!globalThis.__rid) globalThis.__rid = $security.randomString(10);
                sleep(15);
                return e.json(200, {rid: globalThis.__rid});
            });
            // a middleware waiting in e.next() for a built-in route whose
            // record hooks need a runtime too
            routerUse((e) => { e.next(); });
            onRecordCreate((e) => { e.record.set("status", "hooked"); e.next(); }, "posts");
            onRecordCreateRequest((e) => { e.next(); }, "posts");
            "#,
        )],
        |c| c.pool_size = 1,
    )
    .await;
    posts(&t).await;
    let send = |method: &'static str, path: &str, body: serde_json::Value| {
        let (client, url) = (t.client.clone(), format!("{}{path}", t.base));
        async move {
            let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut rb = client.request(m, url);
            if !body.is_null() {
                rb = rb.json(&body);
            }
            let r = rb.send().await.expect("send");
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..12 {
        calls.spawn(send("GET", "/who", serde_json::Value::Null));
    }
    let answers = calls.join_all().await;
    let ids: std::collections::BTreeSet<String> =
        answers.iter().map(|(_, j)| j["rid"].as_str().unwrap_or_default().to_string()).collect();
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    assert_eq!(ids.len(), 1, "requests waited for the one worker instead of building runtimes: {ids:?}");
    let mut creates = tokio::task::JoinSet::new();
    for i in 0..6 {
        creates.spawn(send("POST", "/api/collections/posts/records", json!({"title": format!("p{i}")})));
    }
    for (status, j) in creates.join_all().await {
        assert_eq!((status, j["status"].as_str()), (200, Some("hooked")), "{j}");
    }
}

#[tokio::test]
async fn answered_route_requests_are_freed_at_once() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/sync", (e) => e.json(200, {ok: true}));
            routerAdd("GET", "/async", async (e) => e.json(200, {ok: await Promise.resolve(true)}));
            routerAdd("GET", "/throws", (e) => { throw new BadRequestError("no"); });
            routerUse((e) => { e.response.header().set("X-Mw", "1"); return e.next(); });
            "#,
        )],
        defaults,
    )
    .await;
    posts(&t).await;
    for path in ["/sync", "/async", "/throws", "/api/collections/posts/records"] {
        for _ in 0..20 {
            let r = t.get(path, None).await;
            assert_eq!(r.headers.get("x-mw").and_then(|v| v.to_str().ok()), Some("1"), "{path}");
        }
    }
    // no cycle keeps them for the cycle collector (which has not run: the
    // runtimes grew far less than their GC threshold)
    assert_eq!(t.js.as_ref().expect("engine").live_requests(), 0);
}

#[tokio::test]
async fn endless_loop_is_interrupted_and_the_runtime_keeps_serving() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/loop", (e) => { try { while (true) {} } catch (_) { return e.string(200, "caught") } });
            routerAdd("GET", "/ok", (e) => e.string(200, "ok"));
            routerAdd("GET", "/sleepy", (e) => { sleep(60000); return e.string(200, "woke"); });
            "#,
        )],
        |c| {
            c.pool_size = 1;
            c.time_budget = Duration::from_millis(300);
        },
    )
    .await;
    let started = Instant::now();
    let r = t.get("/loop", None).await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(r.json["message"], "Something went wrong while processing your request.");
    let ok = t.get("/ok", None).await;
    assert_eq!((ok.status, ok.text.as_str()), (200, "ok"));
    let started = Instant::now();
    assert_eq!(t.get("/sleepy", None).await.status, 500, "sleep does not outlast the budget");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_syntax_error_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hooks = hooks_dir(dir.path());
    std::fs::create_dir_all(&hooks).expect("hooks dir");
    std::fs::write(hooks.join("a_ok.pb.js"), "routerAdd('GET', '/x', (e) => {});\n").expect("write");
    std::fs::write(
        hooks.join("b_broken.pb.js"),
        "// comment\nrouterAdd('GET', '/y', (e) => { e.json(200, { });\nconst = 1;\n",
    )
    .expect("write");
    let app = ferrobase::core::App::open(ferrobase::core::AppConfig::new(dir.path().join("pb_data"))).expect("app");
    let mut config = JsConfig::new(&hooks);
    config.watch = false;
    // PocketBase with --hooksWatch=false stops on a broken file
    config.strict = true;
    let err = JsEngine::start(&app, config).expect_err("broken file fails");
    let msg = err.to_string();
    assert!(msg.contains("b_broken.pb.js:3"), "{msg}");
    assert!(msg.contains("SyntaxError"), "{msg}");
}

#[tokio::test]
async fn a_hook_file_failing_at_start_is_reported_and_the_others_serve() {
    let t = spawn_app_with_hooks(
        &[
            ("a_ok.pb.js", r#"routerAdd("GET", "/a", (e) => e.string(200, "a"));"#),
            ("b_syntax.pb.js", "// comment
routerAdd(\"GET\", \"/b\", (e) => {\n"),
            ("c_pre023.pb.js", "onRecordBeforeCreateRequest((e) => {});\n"),
            (
                "d_throws.pb.js",
                "routerAdd(\"GET\", \"/d1\", (e) => e.string(200, \"d1\"));\nthrow new Error(\"boom\");\nrouterAdd(\"GET\", \"/d2\", (e) => e.string(200, \"d2\"));\n",
            ),
            ("e_ok.pb.js", r#"routerAdd("GET", "/e", (e) => e.string(200, "e"));"#),
        ],
        defaults,
    )
    .await;
    assert_eq!(t.get("/a", None).await.text, "a");
    assert_eq!(t.get("/e", None).await.text, "e", "files after the broken ones load");
    // like PocketBase: what a file registered before it threw stays
    assert_eq!(t.get("/d1", None).await.text, "d1");
    assert_eq!(t.get("/d2", None).await.status, 404);
    assert_eq!(t.get("/b", None).await.status, 404);
    let errors = t.js.as_ref().expect("engine").load_errors();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("b_syntax.pb.js:") && errors[0].contains("SyntaxError"), "{errors:?}");
    assert!(errors[1].contains("c_pre023.pb.js:1") && errors[1].contains("onRecordBeforeCreateRequest"), "{errors:?}");
    assert!(errors[2].contains("d_throws.pb.js:2") && errors[2].contains("boom"), "{errors:?}");
}

#[tokio::test]
async fn a_file_broken_at_reload_keeps_its_previous_version_and_others_update() {
    let t = spawn_app_with_hooks(
        &[
            ("a.pb.js", r#"routerAdd("GET", "/a", (e) => e.string(200, "a1"));"#),
            ("b.pb.js", r#"routerAdd("GET", "/b", (e) => e.string(200, "b1"));"#),
        ],
        |c| c.watch = true,
    )
    .await;
    let hooks = hooks_dir(t.dir.path());
    std::fs::write(hooks.join("a.pb.js"), "routerAdd(\"GET\", \"/a\", (e) => e.string(200, \"a2\"));\nnotDefined();\n")
        .expect("write");
    std::fs::write(hooks.join("b.pb.js"), r#"routerAdd("GET", "/b", (e) => e.string(200, "b2"));"#).expect("write");
    wait_for_text(&t, "/b", "b2", Duration::from_secs(5)).await;
    assert_eq!(t.get("/a", None).await.text, "a1", "the broken file keeps its previous version");
    let errors = t.js.as_ref().expect("engine").load_errors();
    assert!(errors.iter().any(|e| e.contains("a.pb.js:2") && e.contains("notDefined")), "{errors:?}");
    std::fs::write(hooks.join("a.pb.js"), r#"routerAdd("GET", "/a", (e) => e.string(200, "a3"));"#).expect("write");
    wait_for_text(&t, "/a", "a3", Duration::from_secs(5)).await;
    assert!(t.js.as_ref().expect("engine").load_errors().is_empty());
}

async fn wait_for_text(t: &TestApp, path: &str, want: &str, limit: Duration) {
    let started = Instant::now();
    loop {
        if t.get(path, None).await.text == want {
            return;
        }
        assert!(started.elapsed() < limit, "{path} did not answer {want:?} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn hot_reload_swaps_a_route_and_keeps_good_scripts_on_errors() {
    let t =
        spawn_app_with_hooks(&[("main.pb.js", r#"routerAdd("GET", "/version", (e) => e.string(200, "v1"));"#)], |c| {
            c.watch = true
        })
        .await;
    assert_eq!(t.get("/version", None).await.text, "v1");
    let file = hooks_dir(t.dir.path()).join("main.pb.js");
    std::fs::write(&file, r#"routerAdd("GET", "/version", (e) => e.string(200, "v2"));"#).expect("write");
    // how fast is measured by bench/reload.py, not here
    wait_for_text(&t, "/version", "v2", Duration::from_secs(5)).await;

    std::fs::write(&file, "routerAdd(\"GET\", \"/version\", (e) => {\n").expect("write");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(t.get("/version", None).await.text, "v2", "a broken edit keeps the previous scripts");
    let generation = t.js.as_ref().expect("engine").generation();

    std::fs::write(
        hooks_dir(t.dir.path()).join("extra.pb.js"),
        r#"routerAdd("GET", "/extra", (e) => e.string(200, "new file"));"#,
    )
    .expect("write");
    std::fs::write(&file, r#"routerAdd("GET", "/version", (e) => e.string(200, "v3"));"#).expect("write");
    wait_for_text(&t, "/version", "v3", Duration::from_secs(5)).await;
    wait_for_text(&t, "/extra", "new file", Duration::from_secs(5)).await;
    assert!(t.js.as_ref().expect("engine").generation() > generation);
}

#[tokio::test]
async fn require_loads_modules_relative_to_the_hooks_dir() {
    let t = spawn_app_with_hooks(
        &[
            ("lib/util.js", "module.exports = { greet: (n) => 'hi ' + n };"),
            (
                "main.pb.js",
                r#"
                routerAdd("GET", "/greet", (e) => {
                    const a = require(`${__hooks}/lib/util.js`);
                    const b = require("./lib/util.js");
                    return e.string(200, a.greet("x") + " " + (a === b));
                });
                "#,
            ),
        ],
        defaults,
    )
    .await;
    assert_eq!(t.get("/greet", None).await.text, "hi x true");
}

#[tokio::test]
async fn app_record_and_helper_bindings_work_from_routes() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("POST", "/seed", (e) => {
                const posts = $app.findCollectionByNameOrId("posts");
                for (const title of ["b", "a", "c"]) {
                    $app.save(new Record(posts, {title: title, status: title === "a" ? "draft" : "live"}));
                }
                return e.noContent(204);
            });
            routerAdd("GET", "/query", (e) => {
                const live = $app.findRecordsByFilter("posts", "status = {:s}", "-title", 10, 0, {s: "live"});
                const first = $app.findFirstRecordByFilter("posts", "title = 'a'");
                const byData = $app.findFirstRecordByData("posts", "title", "c");
                const byId = $app.findRecordById("posts", first.id);
                const r = new Record($app.findCollectionByNameOrId("posts"));
                r.load({title: 42, status: true});
                first.set("title+", "z");
                return e.json(200, {
                    live: live.map((r) => r.get("title")),
                    first: first.getString("status") + ":" + first.get("title"),
                    byData: byData.get("title"),
                    same: byId.id === first.id,
                    all: $app.findAllRecords("posts").length,
                    count: $app.countRecords("posts"),
                    coerced: [r.get("title"), r.get("status")],
                    isNew: r.isNew(),
                    exported: Object.keys(first.publicExport()).sort(),
                    random: $security.randomString(12).length,
                    json: toString({b: 1, a: [1, 2]}),
                    text: toString(toBytes("hé")),
                });
            });
            routerAdd("GET", "/async", async (e) => {
                await Promise.resolve();
                return e.string(200, "later");
            });
            routerAdd("GET", "/blob", (e) => e.blob(200, "application/octet-stream", toBytes("abc")));
            routerAdd("GET", "/store", (e) => {
                $app.store().set("k", {n: 1});
                return e.json(200, {v: $app.store().get("k"), missing: $app.store().get("nope")});
            });
            routerAdd("GET", "/log", (e) => {
                $app.logger().info("from js", "answer", 42);
                console.log("console line");
                return e.noContent(204);
            });
            "#,
        )],
        defaults,
    )
    .await;
    posts(&t).await;
    assert_eq!(t.post("/seed", None, json!({})).await.status, 204);
    let q = t.get("/query", None).await;
    assert_eq!(q.status, 200, "{}", q.text);
    assert_eq!(
        q.json,
        json!({
            "live": ["c", "b"], "first": "draft:a", "byData": "c", "same": true, "all": 3, "count": 3,
            "coerced": ["42", "true"], "isNew": true,
            "exported": ["collectionId", "collectionName", "id", "status", "title"],
            "random": 12, "json": r#"{"a":[1,2],"b":1}"#, "text": "hé",
        })
    );
    assert_eq!(t.get("/async", None).await.text, "later");
    let blob = t.get("/blob", None).await;
    assert_eq!(
        (blob.text.as_str(), blob.headers["content-type"].to_str().expect("ct")),
        ("abc", "application/octet-stream")
    );
    assert_eq!(t.get("/store", None).await.json, json!({"v": {"n": 1}, "missing": null}));
    assert_eq!(t.get("/log", None).await.status, 204);
}

#[tokio::test]
async fn outer_app_inside_a_transaction_errors_instead_of_deadlocking() {
    let t = spawn_app_with_hooks(
        &[(
            "tx.pb.js",
            r#"
            routerAdd("POST", "/misuse", (e) => {
                $app.runInTransaction((txApp) => {
                    const r = new Record(txApp.findCollectionByNameOrId("posts"), {title: "outer"});
                    $app.save(r); // the outer app, not txApp: its write cannot wait for our own lock
                });
                return e.json(200, {saved: true});
            });
            routerAdd("POST", "/proper", (e) => {
                $app.runInTransaction((txApp) => {
                    txApp.save(new Record(txApp.findCollectionByNameOrId("posts"), {title: "inner"}));
                });
                return e.json(200, {saved: true});
            });
            "#,
        )],
        defaults,
    )
    .await;
    let tok = posts(&t).await;
    let started = Instant::now();
    let r = t.post("/misuse", None, json!({})).await;
    assert!(r.status >= 400, "{}", r.text);
    assert!(started.elapsed() < Duration::from_secs(5), "answered without waiting for a lock");
    let ok = t.post("/proper", None, json!({})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(titles(&t, &tok).await, ["inner"], "the failed transaction left nothing behind");
}
