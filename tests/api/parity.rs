//! Parity with PocketBase's own API tests (issue 11): the SQL console, the
//! view dry run, collection field checks and import answers, records
//! details (`"expand":{}`, auth ids across auth collections), batch auth,
//! and after-error hooks that see the error.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestApp, code, spawn_app, spawn_app_with_hooks};

fn names(list: &Value) -> Vec<String> {
    list.as_array().into_iter().flatten().filter_map(|f| f["name"].as_str().map(str::to_string)).collect()
}

// --- POST /api/sql -----------------------------------------------------------

#[tokio::test]
async fn sql_console_is_for_superusers_only() {
    let t = spawn_app().await;
    let (_, user) = t.user("u@example.com", "1234567890").await;
    let guest = t.post("/api/sql", None, json!({"query": "select 1"})).await;
    assert_eq!(guest.status, 401, "{}", guest.text);
    let regular = t.post("/api/sql", Some(&user), json!({"query": "select 1"})).await;
    assert_eq!(regular.status, 403, "{}", regular.text);
}

#[tokio::test]
async fn sql_console_reads_answer_text_rows_of_the_last_statement() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.user("u@example.com", "1234567890").await;
    let r = t
        .post("/api/sql", Some(&tok), json!({"query": "select id, verified, 1.5 as f, null as n from users; select 2"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text.find("\"execTime\""), Some(1), "PocketBase's key order: {}", r.text);
    assert_eq!(r.json["columns"], json!([{"name": "2", "type": "", "nullable": true}]));
    assert_eq!(r.json["rows"], json!([["2"]]));
    assert_eq!(r.json["affectedRows"], 0);

    let r =
        t.post("/api/sql", Some(&tok), json!({"query": "select id, verified, 1.5 as f, null as n from users"})).await;
    assert_eq!(
        r.json["columns"],
        json!([
            {"name": "id", "type": "TEXT", "nullable": true},
            {"name": "verified", "type": "BOOLEAN", "nullable": true},
            {"name": "f", "type": "", "nullable": true},
            {"name": "n", "type": "", "nullable": true},
        ])
    );
    assert_eq!(r.json["rows"][0][1], "0", "values come back as text");
    assert_eq!(r.json["rows"][0][2], "1.5");
    assert_eq!(r.json["rows"][0][3], Value::Null);
}

#[tokio::test]
async fn sql_console_form_and_errors_like_pocketbase() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let empty = t.post("/api/sql", Some(&tok), json!({"query": ""})).await;
    assert_eq!((empty.status, code(&empty, "query")), (400, "validation_required".into()));
    let long = t.post("/api/sql", Some(&tok), json!({"query": "a".repeat(5001)})).await;
    assert_eq!((long.status, code(&long, "query")), (400, "validation_length_too_long".into()));
    let at_limit =
        t.post("/api/sql", Some(&tok), json!({"query": format!("select '{}' as id", "a".repeat(4985))})).await;
    assert_eq!(at_limit.status, 200, "{}", at_limit.text);
    let wrong_type = t.post("/api/sql", Some(&tok), json!({"query": 1})).await;
    assert_eq!(wrong_type.status, 400);
    let invalid = t.post("/api/sql", Some(&tok), json!({"query": "invalid"})).await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.json["data"], json!({}));
    let message = invalid.json["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Failed to execute query. Raw error:\nSQL logic error:"), "{message}");
}

#[tokio::test]
async fn sql_console_writes_run_in_a_transaction_rolled_back_on_error() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let failed = t
        .post(
            "/api/sql",
            Some(&tok),
            json!({"query": "create table test_sql_table(id int primary key);insert into test_sql_table(id)VALUES(1);invalid"}),
        )
        .await;
    assert_eq!(failed.status, 400, "{}", failed.text);
    let check = t
        .post(
            "/api/sql",
            Some(&tok),
            json!({"query": "select count(*) from sqlite_master where name = 'test_sql_table'"}),
        )
        .await;
    assert_eq!(check.json["rows"], json!([["0"]]), "the table of the failed batch is not left behind");

    let ok = t
        .post(
            "/api/sql",
            Some(&tok),
            json!({"query": "create table test_sql_table(id int primary key);insert into test_sql_table(id)VALUES(1)"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["affectedRows"], 1);
    assert_eq!(ok.json["columns"], json!([]));
    assert_eq!(ok.json["rows"], json!([]));
    let count = t.post("/api/sql", Some(&tok), json!({"query": "select count(*) as c from test_sql_table"})).await;
    assert_eq!(count.json["rows"], json!([["1"]]));
}

#[tokio::test]
async fn sql_console_reads_cannot_write() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    // not a known write prefix, so it runs on a read-only connection
    let sneaky = t.post("/api/sql", Some(&tok), json!({"query": "select 1; delete from _superusers"})).await;
    assert_eq!(sneaky.status, 400, "{}", sneaky.text);
    let still = t.post("/api/sql", Some(&tok), json!({"query": "select count(*) from _superusers"})).await;
    assert_eq!(still.json["rows"], json!([["1"]]));
}

// --- POST /api/collections/meta/dry-run-view -------------------------------

#[tokio::test]
async fn dry_run_view_answers_fields_and_sample_without_saving() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.user("u@example.com", "1234567890").await;
    let before = t.get("/api/collections?perPage=100", Some(&tok)).await.json["totalItems"].clone();
    let r = t
        .post(
            "/api/collections/meta/dry-run-view",
            Some(&tok),
            json!({"query": "select id, email, verified from users"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(names(&r.json["fields"]), ["id", "email", "verified"]);
    assert_eq!(r.json["fields"][1]["type"], "email");
    assert_eq!(r.json["sample"][0]["email"], "u@example.com");
    let name = r.json["sample"][0]["collectionName"].as_str().unwrap_or_default().to_string();
    assert!(name.starts_with("temp_view_"), "{name}");
    let after = t.get("/api/collections?perPage=100", Some(&tok)).await.json["totalItems"].clone();
    assert_eq!(before, after, "nothing saved");
    let tables = t
        .post(
            "/api/sql",
            Some(&tok),
            json!({"query": format!("select count(*) from sqlite_master where name = '{name}'")}),
        )
        .await;
    assert_eq!(tables.json["rows"], json!([["0"]]));

    let one = t.post("/api/collections/meta/dry-run-view", Some(&tok), json!({"query": "select 1 as id"})).await;
    assert_eq!(one.json["sample"][0]["id"], "1");
    assert_eq!(one.json["fields"][0]["type"], "text");
}

#[tokio::test]
async fn dry_run_view_refuses_bad_queries_like_pocketbase() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let (_, user) = t.user("u@example.com", "1234567890").await;
    let url = "/api/collections/meta/dry-run-view";
    assert_eq!(t.post(url, None, json!({"query": "select 1 as id"})).await.status, 401);
    assert_eq!(t.post(url, Some(&user), json!({"query": "select 1 as id"})).await.status, 403);
    let empty = t.post(url, Some(&tok), json!({"query": ""})).await;
    assert_eq!(code(&empty, "query"), "validation_required");
    let long = t.post(url, Some(&tok), json!({"query": "a".repeat(5001)})).await;
    assert_eq!(code(&long, "query"), "validation_length_too_long");
    for query in [
        "select 1 as id union all select 1 as id",
        "select 1 as id union select '' as id",
        "select 1 as x",
        "CREATE TABLE t1(x INT)",
    ] {
        let r = t.post(url, Some(&tok), json!({"query": query})).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_eq!(r.json["data"], json!({}));
        assert!(r.json["message"].as_str().unwrap_or_default().contains("Raw error:"), "{query}: {}", r.text);
    }
    let tables =
        t.post("/api/sql", Some(&tok), json!({"query": "select count(*) from sqlite_master where name = 't1'"})).await;
    assert_eq!(tables.json["rows"], json!([["0"]]), "the dry run never executes a write");
}

// --- collections -----------------------------------------------------------

#[tokio::test]
async fn field_names_are_checked_with_pocketbases_codes() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let base = t
        .post(
            "/api/collections",
            Some(&tok),
            json!({"name": "new", "fields": [
                {"type": "text", "name": "id"}, {"type": "text", "name": "expand"},
                {"type": "text", "name": "collectionId"}, {"type": "text", "name": "null"},
                {"type": "text", "name": "a_via_b"}]}),
        )
        .await;
    assert_eq!(base.status, 400, "{}", base.text);
    let fields = &base.json["data"]["fields"];
    for i in ["1", "2", "3"] {
        assert_eq!(fields[i]["name"]["code"], "validation_not_in_invalid", "{}", base.text);
    }
    assert_eq!(fields["4"]["name"]["code"], "validation_found_via");

    let auth = t
        .post(
            "/api/collections",
            Some(&tok),
            json!({"name": "new", "type": "auth", "fields": [
                {"type": "text", "name": "oldPassword"}, {"type": "text", "name": "passwordConfirm"}]}),
        )
        .await;
    // the id field comes first: the submitted fields are 1 and 2
    assert_eq!(auth.json["data"]["fields"]["1"]["name"]["code"], "validation_reserved_field_name", "{}", auth.text);
    assert_eq!(auth.json["data"]["fields"]["2"]["name"]["code"], "validation_reserved_field_name");

    let plain = t
        .post(
            "/api/collections",
            Some(&tok),
            json!({"name": "plain", "fields": [{"type": "text", "name": "oldPassword"}]}),
        )
        .await;
    assert_eq!(plain.status, 200, "only auth collections reserve the form keys: {}", plain.text);
}

#[tokio::test]
async fn system_fields_cannot_be_removed_or_renamed() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "posts", "fields": [
            {"name": "id", "type": "text", "id": "custom_pk", "primaryKey": true, "pattern": "^[a-z0-9]+$"},
            {"name": "title", "type": "text"}]}),
    )
    .await;
    // the id field comes back with PocketBase's default id, not the stored one
    let removed =
        t.patch("/api/collections/posts", Some(&tok), json!({"fields": [{"type": "text", "name": "title"}]})).await;
    assert_eq!(removed.status, 400, "{}", removed.text);
    assert_eq!(code(&removed, "fields"), "validation_system_field_change");

    t.create_collection(
        &tok,
        json!({"name": "members", "type": "auth", "fields": [{"name": "verified", "type": "bool", "id": "custom_verified"}]}),
    )
    .await;
    let members = t.get("/api/collections/members", Some(&tok)).await.json;
    let mut fields = members["fields"].as_array().cloned().unwrap_or_default();
    for f in fields.iter_mut().filter(|f| f["name"] == "verified") {
        assert_eq!(f["system"], true, "a submitted system field stays a system field");
        f["name"] = json!("confirmed");
    }
    let renamed = t.patch("/api/collections/members", Some(&tok), json!({"fields": fields})).await;
    assert_eq!(renamed.status, 400, "{}", renamed.text);
    assert_eq!(code(&renamed, "fields"), "validation_system_field_change");
}

#[tokio::test]
async fn submitted_auth_system_fields_keep_their_system_flags() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let c = t
        .create_collection(
            &tok,
            json!({"name": "new", "type": "auth", "emailChangeToken": {"duration": 123}, "fields": [
                {"type": "text", "name": "tokenKey", "system": false, "hidden": false, "required": false, "min": 10}]}),
        )
        .await;
    let token_key = c["fields"].as_array().and_then(|f| f.iter().find(|f| f["name"] == "tokenKey")).cloned();
    let token_key = token_key.expect("tokenKey field");
    assert_eq!((token_key["system"].clone(), token_key["hidden"].clone()), (json!(true), json!(true)));
    assert_eq!((token_key["required"].clone(), token_key["min"].clone()), (json!(true), json!(10)));
    assert_eq!(c["emailChangeToken"]["duration"], 123);
    assert_eq!(c["passwordAuth"], json!({"enabled": true, "identityFields": ["email"]}));
}

#[tokio::test]
async fn collections_import_answers_like_pocketbase() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let url = "/api/collections/import";
    let empty = t.req("PUT", url, Some(&tok), json!({"collections": []})).await;
    assert_eq!((empty.status, code(&empty, "collections")), (400, "validation_required".into()));

    let invalid = t
        .req(
            "PUT",
            url,
            Some(&tok),
            json!({"collections": [{"name": "import1"}, {"name": "import2", "fields": [{"id": "koih1lqx", "name": "expand", "type": "text"}]}]}),
        )
        .await;
    assert_eq!(invalid.status, 400, "{}", invalid.text);
    assert_eq!(code(&invalid, "collections"), "validation_collections_import_failure");
    let message = invalid.json["data"]["collections"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("import2") && message.contains("fields"), "{message}");
    let list = t.get("/api/collections?perPage=100", Some(&tok)).await;
    assert!(!names(&list.json["items"]).contains(&"import1".to_string()), "a failed import changes nothing");

    // replace everything: posts (referenced by comments) goes, users keeps its system fields
    t.create_collection(&tok, json!({"name": "posts"})).await;
    let posts_id = t.get("/api/collections/posts", Some(&tok)).await.json["id"].clone();
    t.create_collection(
        &tok,
        json!({"name": "comments", "fields": [{"name": "post", "type": "relation", "collectionId": posts_id}]}),
    )
    .await;
    let users_id = t.get("/api/collections/users", Some(&tok)).await.json["id"].clone();
    let replaced = t
        .req(
            "PUT",
            url,
            Some(&tok),
            json!({"deleteMissing": true, "collections": [
                {"name": "fresh"},
                {"id": users_id, "name": "users", "type": "auth", "fields": [{"name": "nick", "type": "text"}]}]}),
        )
        .await;
    assert_eq!(replaced.status, 204, "{}", replaced.text);
    assert!(replaced.text.is_empty());
    let list = names(&t.get("/api/collections?perPage=100", Some(&tok)).await.json["items"]);
    assert!(list.contains(&"fresh".to_string()) && !list.contains(&"posts".to_string()), "{list:?}");
    assert!(!list.contains(&"comments".to_string()), "{list:?}");
    let users = t.get("/api/collections/users", Some(&tok)).await.json;
    let fields = names(&users["fields"]);
    for f in ["id", "password", "tokenKey", "email", "emailVisibility", "verified", "nick"] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    assert!(!fields.contains(&"name".to_string()), "non-system fields not listed are removed: {fields:?}");
}

// --- records ---------------------------------------------------------------

#[tokio::test]
async fn auth_record_ids_are_unique_across_auth_collections() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.create_collection(&tok, json!({"name": "members", "type": "auth", "createRule": ""})).await;
    let (user, _) = t.user("u@example.com", "1234567890").await;
    // a record of another auth collection with the same id would be the
    // same identity to any rule written as @request.auth.id = ...
    let clash = t
        .post(
            "/api/collections/members/records",
            None,
            json!({"id": user["id"], "email": "m@example.com", "password": "1234567890", "passwordConfirm": "1234567890"}),
        )
        .await;
    assert_eq!(clash.status, 400, "{}", clash.text);
    assert_eq!(code(&clash, "id"), "validation_invalid_auth_id");
    let base = t.create_collection(&tok, json!({"name": "notes", "createRule": ""})).await;
    assert_eq!(base["type"], "base");
    let same_id_in_base = t.post("/api/collections/notes/records", None, json!({"id": user["id"]})).await;
    assert_eq!(same_id_in_base.status, 200, "base collections are not cross-checked: {}", same_id_in_base.text);
}

#[tokio::test]
async fn requested_expand_of_empty_relations_is_an_empty_object() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.create_collection(&tok, json!({"name": "tags", "listRule": "", "viewRule": ""})).await;
    let tags_id = t.get("/api/collections/tags", Some(&tok)).await.json["id"].clone();
    t.create_collection(
        &tok,
        json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "fields": [{"name": "tag", "type": "relation", "collectionId": tags_id}]}),
    )
    .await;
    let created = t.post("/api/collections/posts/records?expand=tag", None, json!({})).await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.json["expand"], json!({}), "{}", created.text);
    let id = created.json["id"].as_str().unwrap_or_default().to_string();
    let viewed = t.get(&format!("/api/collections/posts/records/{id}?expand=tag"), None).await;
    assert_eq!(viewed.json["expand"], json!({}));
    let unknown = t.get(&format!("/api/collections/posts/records/{id}?expand=nope"), None).await;
    assert!(unknown.json.get("expand").is_none(), "an unknown relation expands nothing: {}", unknown.text);
    let plain = t.get(&format!("/api/collections/posts/records/{id}"), None).await;
    assert!(plain.json.get("expand").is_none());
}

#[tokio::test]
async fn batch_subrequest_authorization_headers_are_ignored() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let on = t.patch("/api/settings", Some(&tok), json!({"batch": {"enabled": true, "maxRequests": 50}})).await;
    assert_eq!(on.status, 200, "{}", on.text);
    // a guest cannot borrow a token through a sub-request header
    let r = t
        .post(
            "/api/batch",
            None,
            json!({"requests": [{"method": "POST", "url": "/api/collections/_superusers/records",
                "headers": {"Authorization": tok},
                "body": {"email": "evil@example.com", "password": "1234567890", "passwordConfirm": "1234567890"}}]}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["data"]["requests"]["0"]["code"], "batch_request_failed");
    let count = t.post("/api/sql", Some(&tok), json!({"query": "select count(*) from _superusers"})).await;
    assert_eq!(count.json["rows"], json!([["1"]]));

    // and a superuser batch keeps its auth whatever a sub-request says
    let ok = t
        .post(
            "/api/batch",
            Some(&tok),
            json!({"requests": [{"method": "POST", "url": "/api/collections/_superusers/records",
                "headers": {"Authorization": "ignored"},
                "body": {"email": "second@example.com", "password": "1234567890", "passwordConfirm": "1234567890"}}]}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);

    // the other headers of a sub-request reach its rules
    t.create_collection(&tok, json!({"name": "tagged", "createRule": "@request.headers.x_tag = 'yes'"})).await;
    let sub = |tag: &str| json!({"method": "POST", "url": "/api/collections/tagged/records", "headers": {"X-Tag": tag}, "body": {}});
    let tagged = t.post("/api/batch", None, json!({"requests": [sub("yes")]})).await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    let untagged = t.post("/api/batch", None, json!({"requests": [sub("no")]})).await;
    assert_eq!(untagged.status, 400, "{}", untagged.text);
}

// --- after-error hooks ------------------------------------------------------

async fn wait_for_store(t: &TestApp, key: &str) -> Option<Value> {
    for _ in 0..50 {
        if let Some(v) = t.app.store().lock().get(key).cloned() {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn after_error_hooks_see_the_error() {
    let t = spawn_app_with_hooks(
        &[(
            "errors.pb.js",
            r#"
            onRecordAfterCreateError((e) => {
                $app.store().set("recordError", e.error.message + " | " + e.error.status + " | " + e.record.get("title"));
                e.next();
            });
            onModelAfterCreateError((e) => {
                $app.store().set("modelError", String(e.error.message));
                e.next();
            });
            onCollectionAfterCreateError((e) => {
                $app.store().set("collectionError", e.error.message + " | " + e.collection.name);
                e.next();
            });
            onRecordAfterCreateSuccess((e) => {
                $app.store().set("successError", String(e.error));
                e.next();
            });
            onCollectionCreateExecute((e) => {
                if (e.collection.name == "broken") {
                    throw new BadRequestError("no broken collections");
                }
                e.next();
            });
            onRecordCreateExecute((e) => {
                if (e.record.get("title") == "boom") {
                    throw new BadRequestError("refused by the execute hook");
                }
                e.next();
            });
            "#,
        )],
        |_| {},
    )
    .await;
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "posts", "createRule": "", "fields": [{"name": "title", "type": "text"}]}),
    )
    .await;
    let ok = t.post("/api/collections/posts/records", None, json!({"title": "fine"})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(wait_for_store(&t, "successError").await, Some(json!("undefined")), "no error on success");

    let failed = t.post("/api/collections/posts/records", None, json!({"title": "boom"})).await;
    assert_eq!(failed.status, 400, "{}", failed.text);
    let seen = wait_for_store(&t, "recordError").await.expect("onRecordAfterCreateError ran");
    let seen = seen.as_str().unwrap_or_default().to_string();
    assert!(seen.contains("efused by the execute hook") && seen.ends_with(" | 400 | boom"), "{seen}");
    let model = wait_for_store(&t, "modelError").await.expect("onModelAfterCreateError ran");
    assert!(model.as_str().unwrap_or_default().contains("efused by the execute hook"), "{model}");

    let bad = t.post("/api/collections", Some(&tok), json!({"name": "broken"})).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let seen = wait_for_store(&t, "collectionError").await.expect("onCollectionAfterCreateError ran");
    assert!(seen.as_str().unwrap_or_default().ends_with(" | broken"), "{seen}");
}

#[tokio::test]
async fn a_failing_after_error_hook_is_logged_and_the_action_error_answered() {
    let t = spawn_app_with_hooks(
        &[(
            "errors.pb.js",
            r#"
            onRecordCreateExecute((e) => { throw new BadRequestError("first failure"); });
            onRecordAfterCreateError((e) => { throw new Error("the after-error hook broke"); });
            "#,
        )],
        |_| {},
    )
    .await;
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "posts", "createRule": "", "fields": [{"name": "title", "type": "text"}]}),
    )
    .await;
    let failed = t.post("/api/collections/posts/records", None, json!({"title": "x"})).await;
    assert_eq!(failed.status, 400, "{}", failed.text);
    assert_eq!(failed.json["message"], "First failure.");
    let mut logged = Value::Null;
    for _ in 0..50 {
        let logs = t.get("/api/logs?perPage=200&filter=message='After-error hook failed'", Some(&tok)).await;
        if logs.json["totalItems"].as_i64().unwrap_or(0) > 0 {
            logged = logs.json["items"][0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(logged["level"], 8, "the hook failure is an error log entry: {logged}");
    assert_eq!(logged["data"]["actionError"], "First failure.", "{logged}");
}

#[tokio::test]
async fn superusers_are_always_verified() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let r = t
        .post(
            "/api/collections/_superusers/records",
            Some(&tok),
            json!({"email": "second@example.com", "password": "1234567890", "passwordConfirm": "1234567890", "verified": false}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["verified"], true);
    let id = r.json["id"].as_str().unwrap_or_default().to_string();
    let u =
        t.patch(&format!("/api/collections/_superusers/records/{id}"), Some(&tok), json!({"verified": false})).await;
    assert_eq!(u.status, 200, "{}", u.text);
    assert_eq!(u.json["verified"], true);
}

#[tokio::test]
async fn view_fields_are_inferred_like_pocketbase() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let r = t
        .post(
            "/api/collections/meta/dry-run-view",
            Some(&tok),
            json!({"query": "select u.id, u.email, u.verified, count(*) as c, total(1) as tot, cast(1 as int) as ci, cast('x' as text) as ct, max(u.created) as mc, u.id as uid from users u group by u.id"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let field = |name: &str| {
        r.json["fields"].as_array().and_then(|f| f.iter().find(|f| f["name"] == name)).cloned().unwrap_or(Value::Null)
    };
    assert_eq!(field("email")["system"], true, "an auth collection's email stays a system field");
    assert_eq!(field("email")["type"], "email");
    assert_eq!((field("c")["type"].clone(), field("c")["onlyInt"].clone()), (json!("number"), json!(true)));
    assert_eq!(field("c")["id"], "number112844655", "PocketBase's default field id");
    assert_eq!((field("tot")["type"].clone(), field("tot")["onlyInt"].clone()), (json!("number"), json!(false)));
    assert_eq!(field("ci")["type"], "number");
    assert_eq!(field("ct")["type"], "text");
    assert_eq!((field("mc")["type"].clone(), field("mc")["maxSize"].clone()), (json!("json"), json!(1)));
    assert_eq!(field("uid")["type"], "relation", "a source id under another name is a relation");
}
