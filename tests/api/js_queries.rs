//! dbx's select builder and the members built on it, each driven from a
//! hook route over HTTP: `$app.db().select()`, `recordQuery` with joins and
//! grouping, `collectionQuery`, `logQuery`/`logsStats`/`auxSave`/
//! `auxDelete`, `modelQuery`/`auxModelQuery`, `dryRunView`, the field
//! methods `validateValue`/`validateSettings`/`validatePlainValue`/
//! `driverValue`/`intercept`, and `Collection.dbExport`/`rawOptions`/
//! `postScan`, `Record.postScan`. Expected values follow PocketBase 0.40.6.

use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app_with_hooks};

const HOOKS: &str = r#"
routerAdd("GET", "/q/select", (e) => {
    const out = {};
    out.rows = $app.db().select("title", "n").from("posts")
        .where($dbx.exp("n >= {:min}", { min: 2 })).andWhere($dbx.not($dbx.hashExp({ title: "three" })))
        .orderBy("n DESC").all();
    out.or = $app.db().select("title").from("posts")
        .where($dbx.hashExp({ title: "one" })).orWhere($dbx.hashExp({ title: "three" })).orderBy("title").column();
    out.grouped = $app.db().select("kind", "count(*) as total", "sum(n) as s").from("posts")
        .groupBy("kind").having($dbx.exp("count(*) > 1")).orderBy("kind").all();
    out.distinct = $app.db().select("kind").distinct(true).from("posts").orderBy("kind").column();
    out.paged = $app.db().select("title").from("posts").orderBy("n").limit(2).offset(1).column();
    out.one = $app.db().select("title").from("posts").orderBy("n DESC").one().title;
    out.row = $app.db().select("count(*) as c").from("posts").row().c;
    // a value that looks like SQL stays a bound value
    out.injection = $app.db().select("title").from("posts").where($dbx.hashExp({ title: "x' OR '1'='1" })).all().length;
    const built = $app.db().select("id").from("posts").where($dbx.hashExp({ title: "one" })).build();
    out.built = built.all().length;
    try { $app.db().select("title").from("posts").where($dbx.hashExp({ title: "none" })).one(); out.missing = "found"; }
    catch (err) { out.missing = err instanceof NotFoundError ? "NotFoundError" : String(err); }
    out.joined = $app.recordQuery("comments")
        .innerJoin("posts", $dbx.exp("posts.id = comments.post"))
        .andWhere($dbx.hashExp({ "posts.kind": "a" }))
        .orderBy("comments.body").all().map((r) => r.get("body"));
    const target = new Record($app.findCollectionByNameOrId("posts"));
    $app.recordQuery("posts").andWhere($dbx.hashExp({ title: "two" })).one(target);
    out.filled = target.get("title") + ":" + target.isNew();
    out.recordsFast = $app.recordQuery("posts").andWhere($dbx.exp("n > 1")).orderBy("n").all().map((r) => r.get("title"));
    out.recordsLimitZero = $app.recordQuery("posts").limit(0).all().length;
    out.collections = $app.collectionQuery().andWhere($dbx.hashExp({ type: "base", system: false })).orderBy("name").all()
        .map((c) => c.name + ":" + (c instanceof Collection));
    const into = [];
    $app.collectionQuery().where($dbx.hashExp({ name: "posts" })).all(into);
    out.into = into.map((c) => c.fields.getByName("title").type);
    out.modelRecord = $app.modelQuery(target).andWhere($dbx.hashExp({ title: "one" })).one().get("n");
    out.modelCollection = $app.modelQuery($app.findCollectionByNameOrId("posts")).andWhere($dbx.hashExp({ name: "comments" })).one().name;
    return e.json(200, out);
});

routerAdd("POST", "/q/logs", (e) => {
    const out = {};
    const log = $app.logQuery().where($dbx.hashExp({ id: "seedlog000000001" })).one();
    out.seed = { message: log.message, level: log.level, data: log.data, table: log.tableName() };
    log.message = "changed";
    log.data = { k: 2 };
    $app.auxSave(log);
    out.changed = $app.findLogById(log.id).message;
    const count = () => $app.logQuery().select("count(*) as n").build().one().n;
    out.before = count();
    $app.auxDelete(log);
    out.after = count();
    out.deleted = $app.logQuery().where($dbx.hashExp({ id: log.id })).all().length;
    out.auxModel = $app.auxModelQuery(log).andWhere($dbx.hashExp({ id: "seedlog000000002" })).one().message;
    out.stats = $app.logsStats($dbx.exp("level >= 0")).map((s) => s.date.string() + "=" + s.total);
    out.statsAll = $app.logsStats(null).reduce((n, s) => n + s.total, 0);
    try { $app.auxSave(new Record($app.findCollectionByNameOrId("posts"))); out.auxRecord = "saved"; }
    catch (err) { out.auxRecord = "error"; }
    return e.json(200, out);
});

routerAdd("POST", "/q/upload", (e) => {
    return e.json(200, {
        docs: e.findUploadedFiles("doc").map((f) => f.originalName + ":" + f.size),
        none: e.findUploadedFiles("nope").length,
        text: e.request.formValue("note"),
    });
});

routerAdd("GET", "/q/view", (e) => {
    const r = $app.dryRunView("SELECT id, title, n * 2 AS twice FROM posts ORDER BY n", 2);
    let bad = "";
    try { $app.dryRunView("SELECT nope FROM posts", 5); } catch (err) { bad = "error"; }
    return e.json(200, {
        fields: r.fields.map((f) => f.name + ":" + f.type),
        sample: r.sample.map((rec) => rec.get("title") + "/" + toString(rec.get("twice"))),
        bad: bad,
        saved: $app.hasTable(r.sample.length ? r.sample[0].collection().name : "x"),
    });
});

routerAdd("GET", "/q/fields", (e) => {
    const out = {};
    const posts = $app.findCollectionByNameOrId("posts");
    const rec = new Record(posts, { title: "ab", n: 3, tags: ["a", "b"] });
    const err = (f) => { try { f(); return "ok"; } catch (x) { return (x.code || "") + "|" + (x.message || String(x)); } };
    const title = new TextField({ name: "title", min: 3, max: 5 });
    out.tooShort = err(() => title.validateValue(null, $app, rec));
    rec.set("title", "abcd");
    out.fits = err(() => title.validateValue(null, $app, rec));
    out.required = err(() => new TextField({ name: "title", required: true }).validateValue(null, $app, new Record(posts)));
    out.plainPattern = err(() => new TextField({ name: "x", pattern: "^[a-z]+$" }).validatePlainValue("ABC"));
    out.plainPk = err(() => new TextField({ name: "id", primaryKey: true }).validatePlainValue(""));
    out.select = err(() => new SelectField({ name: "tags", values: ["a"], maxSelect: 3 }).validateValue(null, $app, rec));
    out.number = err(() => new NumberField({ name: "n", max: 2 }).validateValue(null, $app, rec));
    out.settingsBad = err(() => new RelationField({ name: "rel", collectionId: "missing" }).validateSettings(null, $app, posts));
    out.settingsOk = err(() => new RelationField({ name: "rel", collectionId: posts.id, maxSelect: 1 }).validateSettings(null, $app, posts));
    out.settingsSelect = err(() => new SelectField({ name: "s", values: [] }).validateSettings(null, $app, posts));
    out.driverMulti = posts.fields.getByName("tags").driverValue(rec);
    out.driverText = posts.fields.getByName("title").driverValue(rec);
    const code = new TextField({ name: "title", autogeneratePattern: "[a-z]{6}" });
    const fresh = new Record(posts);
    let ran = false;
    code.intercept(null, $app, fresh, "create", () => { ran = true; });
    out.intercepted = ran && /^[a-z]{6}$/.test(fresh.get("title"));
    const stored = $app.findFirstRecordByData("posts", "title", "one");
    const kept = stored.get("title");
    code.intercept(null, $app, stored, "create", () => {});
    out.interceptKeepsStored = stored.get("title") === kept;
    out.dbExport = posts.dbExport($app);
    out.rawOptionsBase = toString(posts.rawOptions());
    const users = $app.findCollectionByNameOrId("users");
    out.rawOptionsAuth = JSON.parse(toString(users.rawOptions())).passwordAuth.enabled;
    out.usersExportOptions = typeof users.dbExport($app).options.authToken;
    const c = new Collection({ name: "later", type: "base" });
    c.fields.add(new TextField({ name: "t" }));
    c.postScan();
    out.postScanFields = c.fields.map((f) => f.name);
    out.postScanNew = c.isNew();
    const r2 = new Record(posts, { title: "x" });
    r2.postScan();
    out.recordPostScan = [r2.isNew(), r2.original().get("title")];
    out.uploaded = r2.getUploadedFiles("title").length;
    return e.json(200, out);
});
"#;

async fn setup() -> (TestApp, String) {
    let t = spawn_app_with_hooks(&[("queries.pb.js", HOOKS)], |_| {}).await;
    let tok = t.admin_token().await;
    let posts = t
        .create_collection(
            &tok,
            json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "",
                "fields": [{"name": "title", "type": "text"}, {"name": "kind", "type": "text"},
                    {"name": "n", "type": "number"},
                    {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c"]}]}),
        )
        .await;
    t.create_collection(
        &tok,
        json!({"name": "comments", "fields": [{"name": "body", "type": "text"},
                {"name": "post", "type": "relation", "collectionId": posts["id"], "maxSelect": 1}]}),
    )
    .await;
    let mut ids = Vec::new();
    for (title, kind, n) in [("one", "a", 1), ("two", "a", 2), ("three", "b", 3), ("four", "b", 4)] {
        ids.push(create(&t, &tok, "posts", json!({"title": title, "kind": kind, "n": n})).await);
    }
    create(&t, &tok, "comments", json!({"body": "c2", "post": ids[0]})).await;
    create(&t, &tok, "comments", json!({"body": "c1", "post": ids[1]})).await;
    create(&t, &tok, "comments", json!({"body": "c3", "post": ids[2]})).await;
    (t, tok)
}

async fn create(t: &TestApp, tok: &str, collection: &str, body: Value) -> String {
    let r = t.post(&format!("/api/collections/{collection}/records"), Some(tok), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn select_builders_query_with_bound_values() {
    let (t, _) = setup().await;
    let r = t.get("/q/select", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(j["rows"], json!([{"title": "four", "n": 4}, {"title": "two", "n": 2}]));
    assert_eq!(j["or"], json!(["one", "three"]));
    assert_eq!(j["grouped"], json!([{"kind": "a", "total": 2, "s": 3}, {"kind": "b", "total": 2, "s": 7}]));
    assert_eq!(j["distinct"], json!(["a", "b"]));
    assert_eq!(j["paged"], json!(["two", "three"]));
    assert_eq!((j["one"].clone(), j["row"].clone()), (json!("four"), json!(4)));
    assert_eq!(j["injection"], json!(0));
    assert_eq!(j["built"], json!(1));
    assert_eq!(j["missing"], "NotFoundError");
    assert_eq!(j["joined"], json!(["c1", "c2"]));
    assert_eq!(j["filled"], "two:false");
    assert_eq!(j["recordsFast"], json!(["two", "three", "four"]));
    assert_eq!(j["recordsLimitZero"], json!(0));
    assert_eq!(j["collections"], json!(["comments:true", "posts:true"]));
    assert_eq!(j["into"], json!(["text"]));
    assert_eq!((j["modelRecord"].clone(), j["modelCollection"].clone()), (json!(1), json!("comments")));
}

#[tokio::test]
async fn log_queries_stats_and_aux_writes() {
    let (t, _) = setup().await;
    let aux = t.app.aux_db();
    aux.write(|c| {
        c.execute_batch(
            "INSERT INTO _logs (id, level, message, data, created) VALUES
               ('seedlog000000001', 0, 'first', '{\"k\":1}', '2024-05-01 10:15:00.000Z'),
               ('seedlog000000002', 4, 'second', '{}', '2024-05-01 10:45:00.000Z'),
               ('seedlog000000003', -4, 'third', '{}', '2024-05-01 11:05:00.000Z');",
        )
    })
    .expect("seed logs");
    let before: i64 = aux.read(|c| c.query_row("SELECT COUNT(*) FROM _logs", [], |r| r.get(0))).expect("count");
    let r = t.post("/q/logs", None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(j["seed"], json!({"message": "first", "level": 0, "data": {"k": 1}, "table": "_logs"}));
    assert_eq!(j["changed"], "changed");
    assert_eq!(j["before"].as_i64(), Some(before));
    assert_eq!(j["after"].as_i64(), Some(before - 1));
    assert_eq!(j["deleted"], json!(0));
    assert_eq!(j["auxModel"], "second");
    // hourly buckets of the matching logs (the deleted one and level -4 aside)
    let stats: Vec<String> =
        j["stats"].as_array().expect("stats").iter().map(|v| v.as_str().unwrap_or("").into()).collect();
    assert!(stats.contains(&"2024-05-01 10:00:00.000Z=1".to_string()), "{stats:?}");
    assert!(!stats.iter().any(|s| s.starts_with("2024-05-01 11:")), "{stats:?}");
    assert!(j["statsAll"].as_i64().unwrap_or(0) >= 2);
    assert_eq!(j["auxRecord"], "error");
}

#[tokio::test]
async fn dry_run_view_returns_fields_and_a_sample_without_saving() {
    let (t, _) = setup().await;
    let r = t.get("/q/view", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["fields"], json!(["id:text", "title:text", "twice:json"]));
    assert_eq!(r.json["sample"], json!(["one/2", "two/4"]));
    assert_eq!(r.json["bad"], "error");
    assert_eq!(r.json["saved"], json!(false));
}

#[tokio::test]
async fn field_validation_driver_values_and_collection_exports() {
    let (t, _) = setup().await;
    let r = t.get("/q/fields", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(j["tooShort"], "validation_min_text_constraint|Must be at least 3 character(s).");
    assert_eq!(j["fits"], "ok");
    assert_eq!(j["required"], "validation_required|Cannot be blank.");
    assert_eq!(j["plainPattern"], "validation_invalid_format|Invalid value format.");
    assert_eq!(j["plainPk"], "validation_required|cannot be blank");
    assert!(j["select"].as_str().unwrap_or("").starts_with("validation_invalid_value|"), "{}", j["select"]);
    assert!(j["number"].as_str().unwrap_or("").starts_with("validation_max_number_constraint|"), "{}", j["number"]);
    assert_ne!(j["settingsBad"], "ok");
    assert_eq!(j["settingsOk"], "ok");
    assert_ne!(j["settingsSelect"], "ok");
    assert_eq!(j["driverMulti"], json!(["a", "b"]));
    assert_eq!(j["driverText"], "abcd");
    assert_eq!((j["intercepted"].clone(), j["interceptKeepsStored"].clone()), (json!(true), json!(true)));
    let export = &j["dbExport"];
    assert_eq!(export["name"], "posts");
    assert_eq!(export["type"], "base");
    assert_eq!(export["options"], json!({}));
    assert!(export["fields"].as_array().is_some_and(|f| f.iter().any(|f| f["name"] == "title")));
    for key in [
        "id",
        "listRule",
        "viewRule",
        "createRule",
        "updateRule",
        "deleteRule",
        "indexes",
        "system",
        "created",
        "updated",
    ] {
        assert!(export.get(key).is_some(), "dbExport lacks {key}: {export}");
    }
    assert_eq!(j["rawOptionsBase"], "{}");
    assert_eq!(j["rawOptionsAuth"], json!(true));
    assert_eq!(j["usersExportOptions"], "object");
    assert_eq!(j["postScanFields"], json!(["id", "t"]));
    assert_eq!(j["postScanNew"], json!(true));
    assert_eq!(j["recordPostScan"], json!([false, "x"]));
    assert_eq!(j["uploaded"], json!(0));
}

#[tokio::test]
async fn route_events_find_uploaded_files() {
    let t = spawn_app_with_hooks(&[("queries.pb.js", HOOKS)], |_| {}).await;
    let b = "XBOUNDARYX";
    let mut body = Vec::new();
    for (name, file, content) in
        [("doc", Some("a.txt"), "hello"), ("note", None, "hi"), ("doc", Some("dir/b.md"), "# b!")]
    {
        body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(f) = file {
            body.extend(format!("; filename=\"{f}\"\r\nContent-Type: text/plain").as_bytes());
        }
        body.extend(format!("\r\n\r\n{content}\r\n").as_bytes());
    }
    body.extend(format!("--{b}--\r\n").as_bytes());
    let r = t.raw("POST", "/q/upload", None, &format!("multipart/form-data; boundary={b}"), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json, json!({"docs": ["a.txt:5", "b.md:4"], "none": 0, "text": "hi"}));
    let r = t.post("/q/upload", None, json!({"doc": "x"})).await;
    assert_eq!(r.json["docs"], json!([]));
}
