//! Hook files behaving as on PocketBase 0.40.6 (checked against the real
//! binary): request hooks answered inside `e.next()`, `e.request` unset on
//! request-hook events, JSON field values as bytes, nested error messages,
//! cron jobs with their own budget, Node-style `require`, the hook objects
//! of `$app` (`$app.onServe().bindFunc`), snapshot imports whose names
//! differ from existing ones only by case.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Options, TestApp, migrations_dir, spawn_app_with_hooks, spawn_with};

async fn posts(t: &TestApp) -> String {
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "data", "type": "json"}]}),
    )
    .await;
    tok
}

#[tokio::test]
async fn code_after_next_in_a_request_hook_runs_after_the_response_is_written() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordCreateRequest((e) => {
                const before = [e.written(), e.status()];
                e.next();
                $app.store().set("afterNext", {before: before, after: [e.written(), e.status()], id: e.record.id});
                // the response is written: this changes only the JS copy
                e.record.set("title", "changed after next");
                if (e.record.get("data") !== null && toString(e.record.get("data")) === '"throw"') {
                    throw new Error("boom after next");
                }
            }, "posts");
            onRecordUpdateRequest((e) => {
                if (e.record.get("title") === "custom") {
                    // answered by the hook: nothing saved, this is the response
                    return e.json(201, {custom: true, id: e.record.id});
                }
                e.next();
            }, "posts");
            "#,
        )],
        |_| {},
    )
    .await;
    let tok = posts(&t).await;
    let r = t.post("/api/collections/posts/records", None, json!({"title": "hi"})).await;
    assert_eq!((r.status, r.json["title"].as_str()), (200, Some("hi")), "{}", r.text);
    let seen = t.app.store().lock().get("afterNext").cloned().unwrap_or_default();
    assert_eq!(seen, json!({"before": [false, 0], "after": [true, 200], "id": r.json["id"]}));
    let stored = t.get(&format!("/api/collections/posts/records/{}", r.json["id"].as_str().unwrap_or("")), None).await;
    assert_eq!(stored.json["title"], "hi");

    let thrown = t.post("/api/collections/posts/records", None, json!({"title": "x", "data": "throw"})).await;
    assert_eq!(thrown.status, 200, "an error after the answer is only logged, like PocketBase: {}", thrown.text);
    assert_eq!(thrown.json["title"], "x");

    let id = r.json["id"].as_str().unwrap_or_default();
    let custom = t.patch(&format!("/api/collections/posts/records/{id}"), None, json!({"title": "custom"})).await;
    assert_eq!((custom.status, custom.json.clone()), (201, json!({"custom": true, "id": id})));
    assert_eq!(custom.headers["content-type"], "application/json");
    let kept = t.get(&format!("/api/collections/posts/records/{id}"), Some(&tok)).await;
    assert_eq!(kept.json["title"], "hi", "the custom answer saved nothing");
}

#[tokio::test]
async fn request_hook_events_leave_request_and_response_unset_like_pocketbase() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            const kinds = (e) => [typeof e.request, typeof e.response, typeof e.requestEvent,
                typeof e.requestEvent.request, typeof e.json, typeof e.bindBody, typeof e.realIP].join(",");
            onRecordsListRequest((e) => { $app.store().set("list", kinds(e)); e.next(); }, "posts");
            onRecordViewRequest((e) => { $app.store().set("view", kinds(e)); e.next(); }, "posts");
            onRecordCreateRequest((e) => {
                const body = new DynamicModel({title: ""});
                e.bindBody(body);
                $app.store().set("create", kinds(e) + "," + body.title + "," + e.requestEvent.request.method);
                e.next();
            }, "posts");
            onRecordCreate((e) => { $app.store().set("model", typeof e.requestEvent + "," + typeof e.json); e.next(); });
            "#,
        )],
        |_| {},
    )
    .await;
    posts(&t).await;
    let r = t.post("/api/collections/posts/records", None, json!({"title": "t"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    t.get("/api/collections/posts/records", None).await;
    t.get(&format!("/api/collections/posts/records/{}", r.json["id"].as_str().unwrap_or("")), None).await;
    let store = t.app.store();
    let store = store.lock();
    let expected = "undefined,undefined,object,object,function,function,function";
    assert_eq!(store.get("list"), Some(&json!(expected)));
    assert_eq!(store.get("view"), Some(&json!(expected)));
    assert_eq!(store.get("create"), Some(&json!(format!("{expected},t,POST"))));
    assert_eq!(store.get("model"), Some(&json!("undefined,undefined")), "model hooks are not request events");
}

#[tokio::test]
async fn json_field_values_read_back_as_pocketbase_gives_them() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/json", (e) => {
                const c = $app.findCollectionByNameOrId("posts");
                const r = new Record(c);
                r.set("data", {a: 1, b: [1, 2]});
                const v = r.get("data");
                const copy = new Record(c);
                copy.set("data", v);
                $app.save(copy);
                const empty = new Record(c);
                return e.json(200, {
                    isArray: Array.isArray(v), first: v[0], text: toString(v), getString: r.getString("data"),
                    parsed: JSON.parse(toString(v)).b, raw: v, copied: $app.findRecordById("posts", copy.id).get("data"),
                    empty: [empty.get("data").length, toString(empty.get("data")), empty.getString("data")],
                });
            });
            "#,
        )],
        |_| {},
    )
    .await;
    posts(&t).await;
    let r = t.get("/json", None).await;
    assert_eq!(
        r.json,
        json!({"isArray": true, "first": 123, "text": "{\"a\":1,\"b\":[1,2]}", "getString": "{\"a\":1,\"b\":[1,2]}",
            "parsed": [1, 2], "raw": {"a": 1, "b": [1, 2]}, "copied": {"a": 1, "b": [1, 2]},
            "empty": [0, "null", "null"]}),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn an_error_thrown_in_a_nested_hook_keeps_its_message() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordCreate((e) => {
                if (e.record.get("title") === "boom") throw new TypeError("nested boom");
                if (e.record.get("title") === "api") throw new BadRequestError("nested api boom");
                e.next();
            }, "posts");
            routerAdd("GET", "/save/{t}", (e) => {
                const r = new Record($app.findCollectionByNameOrId("posts"));
                r.set("title", e.request.pathValue("t"));
                try { $app.save(r) } catch (err) { return e.json(200, {message: err.message, name: err.name}) }
                return e.json(200, {saved: true});
            });
            routerAdd("GET", "/uncaught", (e) => {
                const r = new Record($app.findCollectionByNameOrId("posts"));
                r.set("title", "boom");
                $app.save(r);
            });
            "#,
        )],
        |_| {},
    )
    .await;
    posts(&t).await;
    assert_eq!(t.get("/save/boom", None).await.json, json!({"message": "nested boom", "name": "TypeError"}));
    assert_eq!(t.get("/save/api", None).await.json["message"], "Nested api boom.");
    let uncaught = t.get("/uncaught", None).await;
    assert_eq!(
        (uncaught.status, uncaught.json["message"].as_str()),
        (400, Some("Something went wrong while processing your request."))
    );
    let rest = t.post("/api/collections/posts/records", None, json!({"title": "boom"})).await;
    assert_eq!((rest.status, rest.json["message"].as_str()), (400, Some("Failed to create record.")));
    let api = t.post("/api/collections/posts/records", None, json!({"title": "api"})).await;
    assert_eq!(api.json["message"], "Nested api boom.");
}

#[tokio::test]
async fn cron_jobs_run_past_the_request_budget_within_their_own() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            cronAdd("slow", "@hourly", () => {
                const until = Date.now() + 700;
                while (Date.now() < until) {}
                $app.store().set("slowDone", true);
            });
            cronAdd("endless", "@hourly", () => { for (;;) {} });
            routerAdd("GET", "/slow", (e) => { const until = Date.now() + 700; while (Date.now() < until) {} });
            "#,
        )],
        |c| {
            c.time_budget = Duration::from_millis(300);
            c.cron_budget = Duration::from_millis(1500);
        },
    )
    .await;
    let tok = t.admin_token().await;
    assert_eq!(t.get("/slow", None).await.status, 500, "a route is cut at the request budget");
    assert_eq!(t.post("/api/crons/slow", Some(&tok), Value::Null).await.status, 204);
    let mut done = false;
    for _ in 0..100 {
        done = t.app.store().lock().get("slowDone").is_some();
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert!(done, "the cron job ran longer than a request may");
    // an endless job is still stopped (at the cron budget) and the pool serves on
    assert_eq!(t.post("/api/crons/endless", Some(&tok), Value::Null).await.status, 204);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(t.get("/api/health", None).await.status, 200);
    assert_eq!(t.get("/slow", None).await.status, 500);
}

#[tokio::test]
async fn require_resolves_like_node_with_json_modules() {
    let t = spawn_app_with_hooks(
        &[
            (
                "main.pb.js",
                r#"
                routerAdd("GET", "/req", (e) => {
                    const form = require(`${__hooks}/routes/form.user.event`);
                    const lib = require(`${__hooks}/routes/lib`);
                    const pkg = require(`${__hooks}/pkg`);
                    const dep = require(`${__hooks}/routes/uses_dep.js`);
                    return e.json(200, {form: form.name, lib: lib.name, pkg: pkg.name, dep: dep.name,
                        config: require(`${__hooks}/config`).port, same: form === require(`${__hooks}/routes/form.user.event.js`)});
                });
                "#,
            ),
            ("routes/form.user.event.js", "module.exports = { name: 'form' };"),
            ("routes/lib/index.js", "exports.name = 'lib:' + require('../../config.json').port;"),
            ("routes/uses_dep.js", "module.exports = { name: require('dep').name };"),
            ("node_modules/dep/package.json", r#"{"main": "main.js"}"#),
            ("node_modules/dep/main.js", "module.exports = { name: 'dep' };"),
            ("pkg/package.json", r#"{"main": "./src/entry"}"#),
            ("pkg/src/entry.js", "module.exports = { name: 'pkg' };"),
            ("config.json", r#"{"port": 8090}"#),
        ],
        |_| {},
    )
    .await;
    let r = t.get("/req", None).await;
    assert_eq!(
        r.json,
        json!({"form": "form", "lib": "lib:8090", "pkg": "pkg", "dep": "dep", "config": 8090, "same": true}),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn hook_objects_of_app_bind_unbind_and_serve_routes() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            $app.onServe().bindFunc((e) => {
                e.router.get("/served/{name}", (e) => e.json(200, {hello: e.request.pathValue("name")}));
                const g = e.router.group("/api/custom");
                g.bindFunc((e) => { e.response.header().set("X-Group", "1"); return e.next(); });
                g.post("/echo", (e) => e.json(200, e.requestInfo().body)).bindFunc((e) => {
                    e.response.header().set("X-Route", "1"); return e.next();
                });
                return e.next();
            });
            const hook = $app.onRecordCreate("posts");
            const first = hook.bindFunc((e) => { e.record.set("title", e.record.get("title") + "+first"); e.next(); });
            hook.bind({id: "second", priority: -1, func: (e) => { e.record.set("title", e.record.get("title") + "+second"); e.next(); }});
            const dropped = hook.bindFunc((e) => { throw new Error("unbound handlers never run") });
            hook.unbind(dropped);
            $app.onRecordCreate().bindFunc((e) => e.next());
            const counts = [hook.length(), $app.onRecordCreate().length(), hook.canTriggerOn(["posts"]), hook.canTriggerOn(["x"])];
            routerAdd("GET", "/counts", (e) => e.json(200, {counts: counts, first: typeof first}));
            routerAdd("GET", "/late", (e) => { $app.onRecordCreate().bindFunc((e) => e.next()) });
            "#,
        )],
        |_| {},
    )
    .await;
    posts(&t).await;
    let served = t.get("/served/zoe", None).await;
    assert_eq!((served.status, served.json.clone()), (200, json!({"hello": "zoe"})));
    let echo = t.post("/api/custom/echo", None, json!({"a": 1})).await;
    assert_eq!((echo.status, echo.json.clone()), (200, json!({"a": 1})), "{}", echo.text);
    assert_eq!(
        (&echo.headers["x-group"], &echo.headers["x-route"]),
        (&"1".parse().expect("h"), &"1".parse().expect("h"))
    );
    let r = t.post("/api/collections/posts/records", None, json!({"title": "t"})).await;
    assert_eq!(r.json["title"], "t+second+first", "priority -1 runs first: {}", r.text);
    assert_eq!(t.get("/counts", None).await.json, json!({"counts": [2, 1, true, false], "first": "string"}));
    let late = t.get("/late", None).await;
    assert_eq!(late.status, 400, "binding outside the load is refused with an error: {}", late.text);
}

#[tokio::test]
async fn a_snapshot_importing_users_replaces_the_default_users_collection() {
    let dir = tempfile::tempdir().expect("tmp");
    let migrations = migrations_dir(dir.path());
    std::fs::create_dir_all(&migrations).expect("mkdir");
    std::fs::write(
        migrations.join("1700000000_snapshot.js"),
        r#"
        migrate((app) => {
            app.importCollections([
                {"id": "abcdefghijklmno", "name": "Users", "type": "auth", "listRule": "", "viewRule": "",
                 "fields": [{"name": "nickname", "type": "text"}],
                 "passwordAuth": {"enabled": true, "identityFields": ["email"]}},
                {"id": "pbc_111111111", "name": "notes", "type": "base",
                 "fields": [{"name": "owner", "type": "relation", "collectionId": "abcdefghijklmno", "maxSelect": 1}]}
            ], true);
        }, (app) => {});
        "#,
    )
    .expect("write");
    let t = spawn_with(dir, Options { migrations: true, ..Options::default() }).await;
    let tok = t.admin_token().await;
    let list = t.get("/api/collections?perPage=100", Some(&tok)).await;
    let names: Vec<String> = list.json["items"]
        .as_array()
        .map(|items| {
            items.iter().filter(|c| c["system"] == json!(false)).filter_map(|c| c["name"].as_str().map(String::from))
        })
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(names, ["Users", "notes"], "{}", list.text);
    let users = t.get("/api/collections/users", Some(&tok)).await;
    assert_eq!((users.json["id"].as_str(), users.json["type"].as_str()), (Some("abcdefghijklmno"), Some("auth")));
    let fields: Vec<&str> =
        users.json["fields"].as_array().into_iter().flatten().filter_map(|f| f["name"].as_str()).collect();
    assert!(fields.contains(&"nickname") && fields.contains(&"email"), "{fields:?}");
}

#[tokio::test]
async fn date_times_honour_time_zones_like_pocketbase() {
    // every expected value below is what PocketBase 0.40.6 answers
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            routerAdd("GET", "/dt", (e) => {
                const d = new DateTime("2023-07-01 10:20:30.123Z");
                const zero = new DateTime("garbage");
                const scanned = new DateTime(); scanned.scan("2020-01-02 03:04:05.000Z");
                const unmarshaled = new DateTime(); unmarshaled.unmarshalJSON('"2021-01-02 03:04:05.000Z"');
                const paris = d.time().in(new Timezone("Europe/Paris"));
                const tokyo = d.time().in(new Timezone("Asia/Tokyo"));
                return e.json(200, {
                    ams: new DateTime("2023-07-01 00:00:00", "Europe/Amsterdam").string(),
                    amsWinter: new DateTime("2023-01-01 00:00:00", "Europe/Amsterdam").string(),
                    withZ: new DateTime("2023-07-01 00:00:00Z", "Europe/Amsterdam").string(),
                    badTz: new DateTime("2023-07-01 00:00:00", "Nope/Where").string(),
                    offset: new DateTime("2023-07-01T00:00:00+05:00").string(),
                    dateOnly: new DateTime("2023-07-01").string(),
                    zero: [zero.string(), JSON.stringify(zero), zero.unix(), zero.isZero()],
                    unix: d.unix(),
                    add: d.add(3600 * 1e9).string(),
                    sub: d.sub(new DateTime("2023-07-01 10:00:00.000Z")).string(),
                    subHours: d.sub(new DateTime("2023-07-01 08:00:00.000Z")).hours(),
                    addDate: d.addDate(0, 1, 1).string(),
                    compare: [d.compare(new DateTime("2024-01-01")), d.equal(new DateTime("2023-07-01 10:20:30.123Z"))],
                    marshal: toString(d.marshalJSON()),
                    value: d.value(),
                    json: JSON.stringify({d}),
                    fmt: d.time().format("2006-01-02 15:04:05 MST"),
                    newYork: d.time().in(new Timezone("America/New_York")).format("2006-01-02 15:04:05 MST -07:00"),
                    tokyo: [tokyo.year(), tokyo.month(), tokyo.day(), tokyo.hour(), tokyo.minute(), tokyo.second(),
                        tokyo.weekday(), tokyo.yearDay(), tokyo.nanosecond()],
                    zone: paris.zone(), location: paris.location().string(),
                    timeUnix: [d.time().unix(), d.time().unixMilli()],
                    timeString: d.time().string(),
                    layout: d.time().utc().format("Mon Jan 2 15:04:05 2006"),
                    now: new DateTime("").isZero(),
                    scanned: scanned.string(), unmarshaled: unmarshaled.string(),
                    truncate: d.time().truncate(3600 * 1e9).format("15:04"),
                });
            });
            "#,
        )],
        |_| {},
    )
    .await;
    let r = t.get("/dt", None).await;
    assert_eq!(
        r.json,
        json!({
            "ams": "2023-06-30 22:00:00.000Z", "amsWinter": "2022-12-31 23:00:00.000Z",
            "withZ": "2023-07-01 00:00:00.000Z", "badTz": "2023-07-01 00:00:00.000Z",
            "offset": "2023-06-30 19:00:00.000Z", "dateOnly": "2023-07-01 00:00:00.000Z",
            "zero": ["", "\"\"", -62135596800i64, true], "unix": 1688206830,
            "add": "2023-07-01 11:20:30.123Z", "sub": "20m30.123s", "subHours": 2.3417008333333333,
            "addDate": "2023-08-02 10:20:30.123Z", "compare": [-1, true],
            "marshal": "\"2023-07-01 10:20:30.123Z\"", "value": "2023-07-01 10:20:30.123Z",
            "json": "{\"d\":\"2023-07-01 10:20:30.123Z\"}", "fmt": "2023-07-01 10:20:30 UTC",
            "newYork": "2023-07-01 06:20:30 EDT -04:00", "tokyo": [2023, 7, 1, 19, 20, 30, 6, 182, 123000000],
            "zone": ["CEST", 7200], "location": "Europe/Paris", "timeUnix": [1688206830, 1688206830123i64],
            "timeString": "2023-07-01 10:20:30.123 +0000 UTC", "layout": "Sat Jul 1 10:20:30 2023",
            "now": false, "scanned": "2020-01-02 03:04:05.000Z", "unmarshaled": "2021-01-02 03:04:05.000Z",
            "truncate": "10:00",
        }),
        "{}",
        r.text
    );
}
