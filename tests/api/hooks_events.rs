//! The app, model, enrich, auth, settings and collections hook families.

use serde_json::{Value, json};

use crate::common::{ADMIN_EMAIL, ADMIN_PASS, TestApp, spawn_app_with_hooks};

async fn posts(t: &TestApp) -> String {
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "log", "type": "text"},
                {"name": "note", "type": "text", "hidden": true}]}),
    )
    .await;
    tok
}

#[tokio::test]
async fn bootstrap_and_terminate_hooks_run() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onBootstrap((e) => { e.next(); $app.store().set("booted", true); });
            onTerminate((e) => { $app.store().set("terminated", e.isRestart ? "restart" : "stop"); e.next(); });
            routerAdd("GET", "/state", (e) => e.json(200, {booted: $app.store().get("booted"), terminated: $app.store().get("terminated")}));
            "#,
        )],
        |_| {},
    )
    .await;
    assert_eq!(t.get("/state", None).await.json, json!({"booted": true, "terminated": null}));
    let app = t.app.clone();
    tokio::task::spawn_blocking(move || app.terminate(false)).await.expect("join").expect("terminate");
    assert_eq!(t.get("/state", None).await.json["terminated"], "stop");
}

#[tokio::test]
async fn model_hooks_see_records_and_collections() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            const add = (name) => (e) => {
                const m = e.model;
                if (m instanceof Record) { m.set("log", m.getString("log") + name + ";"); }
                else { $app.store().set("collectionModel", m.name); }
                e.next();
            };
            onRecordCreate((e) => { e.record.set("log", e.record.getString("log") + "record;"); e.next(); }, "posts");
            onModelCreate(add("model"), "posts");
            onModelValidate(add("validate"));
            onModelCreateExecute(add("execute"));
            onModelCreate(add("collections"), "_collections");
            onModelAfterCreateSuccess((e) => { $app.store().set("after", e.model.id); e.next(); }, "posts");
            onModelDelete((e) => { if (e.model.get("title") === "keep") return; e.next(); }, "posts");
            routerAdd("GET", "/after", (e) => e.json(200, {after: $app.store().get("after"), c: $app.store().get("collectionModel")}));
            "#,
        )],
        |_| {},
    )
    .await;
    posts(&t).await;
    let r = t.post("/api/collections/posts/records", None, json!({"title": "keep"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["log"], "record;model;validate;execute;", "record hooks wrap model hooks");
    assert_eq!(t.get("/after", None).await.json, json!({"after": r.json["id"], "c": "posts"}));
    let path = format!("/api/collections/posts/records/{}", r.json["id"].as_str().unwrap_or_default());
    assert_eq!(t.delete(&path, None).await.status, 204);
    assert_eq!(t.get(&path, None).await.status, 200, "onModelDelete without next keeps the record");
}

#[tokio::test]
async fn enrich_adds_computed_values_to_responses() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordEnrich((e) => {
                e.record.set("secret", "not exported");
                if (e.record.getString("title") === "plain") return e.next();
                e.record.withCustomData(true).hide("secret", "collectionName").unhide("note");
                e.record.set("shout", e.record.getString("title").toUpperCase());
                e.record.set("viewer", e.requestInfo().auth ? "auth" : "guest");
                if (e.requestInfo.auth) e.record.hide("title");
                e.next();
            }, "posts");
            "#,
        )],
        |_| {},
    )
    .await;
    let tok = posts(&t).await;
    let created = t.post("/api/collections/posts/records", None, json!({"title": "hi"})).await;
    assert_eq!((created.json["shout"].as_str(), created.json["viewer"].as_str()), (Some("HI"), Some("guest")));
    assert_eq!((created.json["title"].as_str(), created.json["note"].as_str()), (Some("hi"), Some("")));
    for hidden in ["secret", "collectionName"] {
        assert!(created.json.get(hidden).is_none(), "{hidden} hidden: {}", created.json);
    }
    let list = t.get("/api/collections/posts/records", Some(&tok)).await;
    assert_eq!(list.json["items"][0]["shout"], "HI");
    assert_eq!(list.json["items"][0]["viewer"], "auth");
    assert!(list.json["items"][0].get("title").is_none(), "hide() of a field: {}", list.json);
    let plain = t.post("/api/collections/posts/records", None, json!({"title": "plain"})).await;
    assert_eq!(plain.json["collectionName"], "posts");
    assert!(plain.json.get("secret").is_none(), "custom keys need withCustomData(true): {}", plain.json);
    assert!(plain.json.get("note").is_none(), "hidden field: {}", plain.json);
    let users = t.get("/api/collections/users/records", Some(&tok)).await;
    assert_eq!(users.status, 200);
}

#[tokio::test]
async fn auth_request_hooks_wrap_password_login_and_refresh() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onRecordAuthWithPasswordRequest((e) => {
                if (e.identity === "blocked@example.com") throw new ForbiddenError("blocked");
                e.identity = e.identity.toLowerCase();
                e.next();
                $app.store().set("loggedIn", e.record.email());
            }, "users");
            onRecordAuthRequest((e) => {
                e.meta = {method: e.authMethod, hello: e.record.email()};
                e.next();
            }, "users");
            onRecordAuthRefreshRequest((e) => { if (e.record.email() === "stop@example.com") return; e.next(); });
            routerAdd("GET", "/logged", (e) => e.json(200, {email: $app.store().get("loggedIn")}));
            "#,
        )],
        |_| {},
    )
    .await;
    t.user("ada@example.com", "12345678").await;
    let login = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "ADA@example.com", "password": "12345678"}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.json["meta"], json!({"method": "password", "hello": "ada@example.com"}));
    assert_eq!(t.get("/logged", None).await.json["email"], "ada@example.com");
    let blocked = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "blocked@example.com", "password": "12345678"}),
        )
        .await;
    assert_eq!(blocked.status, 403);
    let token = login.json["token"].as_str().unwrap_or_default().to_string();
    let refreshed = t.post("/api/collections/users/auth-refresh", Some(&token), Value::Null).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert_eq!(refreshed.json["record"]["email"], "ada@example.com");
    let (_, stop) = t.user("stop@example.com", "12345678").await;
    let stopped = t.post("/api/collections/users/auth-refresh", Some(&stop), Value::Null).await;
    assert_eq!((stopped.status, stopped.text.as_str()), (200, ""), "no next(): an empty 200");
    let su = t
        .post(
            "/api/collections/_superusers/auth-with-password",
            None,
            json!({"identity": ADMIN_EMAIL, "password": ADMIN_PASS}),
        )
        .await;
    assert!(su.json.get("meta").is_none(), "tagged hooks skip other collections");
}

#[tokio::test]
async fn settings_and_collections_request_hooks() {
    let t = spawn_app_with_hooks(
        &[(
            "main.pb.js",
            r#"
            onSettingsListRequest((e) => { e.settings.meta.appName = "Hidden"; e.next(); });
            onSettingsUpdateRequest((e) => {
                if (e.newSettings.meta.appName === "bad") throw new BadRequestError("no");
                e.newSettings.meta.senderName = "Hooked";
                e.next();
            });
            onCollectionsListRequest((e) => { $app.store().set("listed", e.collections.length); e.next(); });
            onCollectionViewRequest((e) => { if (e.collection.name === "secret") throw new NotFoundError(); e.next(); });
            onCollectionCreateRequest((e) => { e.collection.listRule = ""; e.next(); });
            onCollectionUpdateRequest((e) => { e.next(); $app.store().set("updated", e.collection.name); });
            onCollectionDeleteRequest((e) => { if (e.collection.name === "keep") return; e.next(); });
            onCollectionsImportRequest((e) => {
                if (e.collectionsData.some((c) => c.name === "halt")) return;
                e.collectionsData = e.collectionsData.filter((c) => c.name !== "skipme");
                e.deleteMissing = false;
                e.next();
                $app.store().set("imported", e.collectionsData.length);
            });
            routerAdd("GET", "/seen", (e) => e.json(200, {listed: $app.store().get("listed"), updated: $app.store().get("updated")}));
            "#,
        )],
        |_| {},
    )
    .await;
    let tok = t.admin_token().await;
    assert_eq!(t.get("/api/settings", Some(&tok)).await.json["meta"]["appName"], "Hidden");
    let updated = t.patch("/api/settings", Some(&tok), json!({"meta": {"appName": "New"}})).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(t.app.settings().meta.sender_name, "Hooked");
    assert_eq!(t.app.settings().meta.app_name, "New");
    assert_eq!(t.patch("/api/settings", Some(&tok), json!({"meta": {"appName": "bad"}})).await.status, 400);
    let created = t.post("/api/collections", Some(&tok), json!({"name": "keep", "type": "base"})).await;
    assert_eq!(created.json["listRule"], "", "{}", created.text);
    t.create_collection(&tok, json!({"name": "secret", "type": "base"})).await;
    assert_eq!(t.get("/api/collections/secret", Some(&tok)).await.status, 404);
    assert_eq!(t.get("/api/collections/keep", Some(&tok)).await.status, 200);
    assert_eq!(t.patch("/api/collections/keep", Some(&tok), json!({"viewRule": ""})).await.status, 200);
    let list = t.get("/api/collections?perPage=3", Some(&tok)).await;
    assert_eq!(list.json["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(t.get("/seen", None).await.json, json!({"listed": 3, "updated": "keep"}));
    assert_eq!(t.delete("/api/collections/keep", Some(&tok)).await.status, 200);
    assert_eq!(t.get("/api/collections/keep", Some(&tok)).await.status, 200, "not deleted");
    assert_eq!(t.delete("/api/collections/secret", Some(&tok)).await.status, 204);

    let import = |names: &[&str]| {
        let list: Vec<_> = names.iter().map(|n| json!({"name": n, "type": "base", "fields": []})).collect();
        json!({"collections": list, "deleteMissing": true})
    };
    let imported = t.req("PUT", "/api/collections/import", Some(&tok), import(&["fromimport", "skipme"])).await;
    assert_eq!(imported.status, 204, "{}", imported.text);
    assert_eq!(t.get("/api/collections/fromimport", Some(&tok)).await.status, 200);
    assert_eq!(t.get("/api/collections/skipme", Some(&tok)).await.status, 404, "the hook filtered it out");
    assert_eq!(t.get("/api/collections/keep", Some(&tok)).await.status, 200, "deleteMissing was switched off");
    assert_eq!(t.app.store().lock().get("imported"), Some(&json!(1)));
    let halted = t.req("PUT", "/api/collections/import", Some(&tok), import(&["halt"])).await;
    assert_eq!((halted.status, halted.text.as_str()), (200, ""));
    assert_eq!(t.get("/api/collections/halt", Some(&tok)).await.status, 404);
}
