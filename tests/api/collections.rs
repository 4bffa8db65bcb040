//! Collections API: create/list/view/update/delete, validation, tables kept
//! in step with definitions.

use serde_json::{Value, json};

use crate::common::{code, spawn_app};

fn field<'a>(c: &'a Value, name: &str) -> &'a Value {
    c["fields"].as_array().and_then(|f| f.iter().find(|x| x["name"] == name)).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn create_collection_with_every_field_type() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let types = [
        "text", "number", "bool", "email", "url", "editor", "date", "autodate", "select", "file", "relation", "json",
        "password", "geoPoint",
    ];
    let fields: Vec<Value> = types
        .iter()
        .map(|ty| match *ty {
            "select" => json!({"name": "f_select", "type": "select", "values": ["a", "b"]}),
            "relation" => {
                json!({"name": "f_relation", "type": "relation", "collectionId": "_pb_users_auth_"})
            }
            "autodate" => json!({"name": "f_autodate", "type": "autodate", "onCreate": true}),
            other => json!({"name": format!("f_{other}"), "type": other}),
        })
        .collect();
    let c = t.create_collection(&tok, json!({"name": "everything", "fields": fields})).await;
    assert_eq!(c["type"], "base");
    assert_eq!(c["id"], "pbc_".to_string() + &crc32fast::hash(b"baseeverything").to_string());
    assert_eq!(field(&c, "id")["primaryKey"], true);
    for ty in types {
        assert_eq!(field(&c, &format!("f_{ty}"))["type"], ty);
    }
    assert_eq!(field(&c, "f_number")["min"], Value::Null);
    assert_eq!(field(&c, "f_text")["id"], format!("text{}", crc32fast::hash(b"f_text")));
}

#[tokio::test]
async fn collection_name_rules() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let bad = t.post("/api/collections", Some(&tok), json!({"name": "bad name!"})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(code(&bad, "name"), "validation_match_invalid");
    t.create_collection(&tok, json!({"name": "posts"})).await;
    let dup = t.post("/api/collections", Some(&tok), json!({"name": "POSTS"})).await;
    assert_eq!(code(&dup, "name"), "validation_collection_name_exists");
    let same = t.post("/api/collections", Some(&tok), json!({"name": "posts"})).await;
    assert_eq!(code(&same, "name"), "validation_collection_name_exists");
    let ty = t.post("/api/collections", Some(&tok), json!({"name": "x", "type": "nope"})).await;
    assert_eq!(code(&ty, "type"), "validation_in_invalid");
    let unknown_field =
        t.post("/api/collections", Some(&tok), json!({"name": "y", "fields": [{"name": "a", "type": "nope"}]})).await;
    assert_eq!(unknown_field.status, 400);
    assert_eq!(unknown_field.json["message"], "Failed to load the submitted data due to invalid formatting.");
}

#[tokio::test]
async fn field_type_cannot_change() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let c = t.create_collection(&tok, json!({"name": "things", "fields": [{"name": "t", "type": "text"}]})).await;
    let id = field(&c, "t")["id"].clone();
    let r = t
        .patch("/api/collections/things", Some(&tok), json!({"fields": [{"id": id, "name": "t", "type": "number"}]}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["data"]["fields"]["1"]["type"]["code"], "validation_field_type_change");
}

#[tokio::test]
async fn renaming_a_field_keeps_the_data() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let c = t.create_collection(&tok, json!({"name": "notes", "listRule": "", "viewRule": "", "fields": [{"name": "title", "type": "text"}, {"name": "gone", "type": "text"}]})).await;
    let rec = t.post("/api/collections/notes/records", Some(&tok), json!({"title": "hello", "gone": "x"})).await;
    assert_eq!(rec.status, 200, "{}", rec.text);
    let mut fields: Vec<Value> =
        c["fields"].as_array().expect("fields").iter().filter(|f| f["name"] != "gone").cloned().collect();
    for f in fields.iter_mut() {
        if f["name"] == "title" {
            f["name"] = json!("headline");
        }
    }
    fields.push(json!({"name": "extra", "type": "number"}));
    let upd = t.patch("/api/collections/notes", Some(&tok), json!({"fields": fields})).await;
    assert_eq!(upd.status, 200, "{}", upd.text);
    let got = t.get(&format!("/api/collections/notes/records/{}", rec.json["id"].as_str().expect("id")), None).await;
    assert_eq!(got.json["headline"], "hello");
    assert_eq!(got.json["extra"], 0);
    assert!(got.json.get("gone").is_none());
    assert!(got.json.get("title").is_none());
}

#[tokio::test]
async fn rename_collection_keeps_id_and_records() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let c = t.create_collection(&tok, json!({"name": "authors", "fields": [{"name": "name", "type": "text"}]})).await;
    t.post("/api/collections/authors/records", Some(&tok), json!({"name": "Ann"})).await;
    let r = t.patch("/api/collections/authors", Some(&tok), json!({"name": "writers"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["id"], c["id"]);
    assert_eq!(t.get("/api/collections/authors", Some(&tok)).await.status, 404);
    let list = t.get("/api/collections/writers/records", Some(&tok)).await;
    assert_eq!(list.json["totalItems"], 1);
}

#[tokio::test]
async fn referenced_and_system_collections_cannot_be_deleted() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let a = t.create_collection(&tok, json!({"name": "a"})).await;
    t.create_collection(
        &tok,
        json!({"name": "b", "fields": [{"name": "r", "type": "relation", "collectionId": a["id"]}]}),
    )
    .await;
    let r = t.delete("/api/collections/a", Some(&tok)).await;
    assert_eq!(r.status, 400);
    assert_eq!(t.delete("/api/collections/_superusers", Some(&tok)).await.status, 400);
    assert_eq!(t.delete("/api/collections/b", Some(&tok)).await.status, 204);
    assert_eq!(t.delete("/api/collections/a", Some(&tok)).await.status, 204);
    assert_eq!(t.get("/api/collections/a", Some(&tok)).await.status, 404);
}

#[tokio::test]
async fn view_collection_infers_fields_and_is_read_only() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.create_collection(
        &tok,
        json!({"name": "nums", "fields": [{"name": "n", "type": "number"}, {"name": "label", "type": "text"}]}),
    )
    .await;
    for n in [1, 2, 3] {
        t.post("/api/collections/nums/records", Some(&tok), json!({"n": n, "label": format!("l{n}")})).await;
    }
    let v = t.create_collection(&tok, json!({"name": "bigs", "type": "view", "listRule": "", "viewRule": "", "viewQuery": "SELECT id, n, label FROM nums WHERE n > 1"})).await;
    assert_eq!(field(&v, "n")["type"], "number");
    assert_eq!(field(&v, "label")["type"], "text");
    let list = t.get("/api/collections/bigs/records", None).await;
    assert_eq!(list.json["totalItems"], 2, "{}", list.text);
    let bad = t
        .post(
            "/api/collections",
            Some(&tok),
            json!({"name": "broken", "type": "view", "viewQuery": "SELECT nope FROM nowhere"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(code(&bad, "viewQuery"), "validation_invalid_view_query");
    let no_id = t
        .post(
            "/api/collections",
            Some(&tok),
            json!({"name": "noid", "type": "view", "viewQuery": "SELECT n FROM nums"}),
        )
        .await;
    assert_eq!(code(&no_id, "viewQuery"), "validation_invalid_view_query");
    assert_eq!(t.post("/api/collections/bigs/records", Some(&tok), json!({"n": 5})).await.status, 400);
}

#[tokio::test]
async fn indexes_are_validated_and_unique_ones_enforced() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let bad = t.post("/api/collections", Some(&tok), json!({"name": "x", "indexes": ["bogus"]})).await;
    assert_eq!(bad.json["data"]["indexes"]["0"]["code"], "validation_invalid_index_expression");
    t.create_collection(
        &tok,
        json!({"name": "codes", "createRule": "", "fields": [{"name": "code", "type": "text"}], "indexes": ["CREATE UNIQUE INDEX idx_code ON codes (code) WHERE code != ''"]}),
    )
    .await;
    assert_eq!(t.post("/api/collections/codes/records", None, json!({"code": "A"})).await.status, 200);
    let dup = t.post("/api/collections/codes/records", None, json!({"code": "A"})).await;
    assert_eq!(dup.status, 400);
    assert_eq!(code(&dup, "code"), "validation_not_unique");
}

#[tokio::test]
async fn truncate_import_and_scaffolds() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.create_collection(&tok, json!({"name": "logs2", "fields": [{"name": "m", "type": "text"}]})).await;
    for i in 0..3 {
        t.post("/api/collections/logs2/records", Some(&tok), json!({"m": format!("m{i}")})).await;
    }
    assert_eq!(t.delete("/api/collections/logs2/truncate", Some(&tok)).await.status, 204);
    assert_eq!(t.get("/api/collections/logs2/records", Some(&tok)).await.json["totalItems"], 0);

    let imported = t
        .req(
            "PUT",
            "/api/collections/import",
            Some(&tok),
            json!({"collections": [
                {"name": "imp_a", "type": "base", "fields": [{"name": "x", "type": "text"}]},
                {"name": "logs2", "type": "base", "fields": [{"name": "m", "type": "text"}, {"name": "extra", "type": "bool"}]}
            ], "deleteMissing": false}),
        )
        .await;
    assert_eq!(imported.status, 204, "{}", imported.text);
    assert_eq!(t.get("/api/collections/imp_a", Some(&tok)).await.status, 200);
    let logs2 = t.get("/api/collections/logs2", Some(&tok)).await.json;
    assert_eq!(field(&logs2, "extra")["type"], "bool");
    let bad = t.req("PUT", "/api/collections/import", Some(&tok), json!({"collections": [{"name": "bad name"}]})).await;
    assert_eq!(bad.status, 400);
    assert!(bad.json["data"]["collections"].is_object(), "{}", bad.text);
    assert_eq!(t.get("/api/collections/bad%20name", Some(&tok)).await.status, 404, "a failed import changes nothing");

    let sc = t.get("/api/collections/meta/scaffolds", Some(&tok)).await;
    assert_eq!(sc.status, 200);
    for kind in ["base", "auth", "view"] {
        assert_eq!(sc.json[kind]["type"], kind);
    }
    assert!(sc.json["auth"]["fields"].as_array().is_some_and(|f| f.iter().any(|x| x["name"] == "tokenKey")));
    assert_eq!(t.get("/api/collections/meta/scaffolds", None).await.status, 401);
}

#[tokio::test]
async fn view_collections_filter_sort_expand_and_rules() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let authors = t
        .create_collection(
            &tok,
            json!({"name": "authors", "listRule": "", "viewRule": "", "fields": [{"name": "name", "type": "text"}]}),
        )
        .await;
    t.create_collection(
        &tok,
        json!({"name": "books", "fields": [{"name": "title", "type": "text"}, {"name": "pages", "type": "number"},
            {"name": "author", "type": "relation", "collectionId": authors["id"], "maxSelect": 1}]}),
    )
    .await;
    let ann = t.post("/api/collections/authors/records", Some(&tok), json!({"name": "Ann"})).await.json["id"].clone();
    for (title, pages) in [("A", 100), ("B", 300), ("C", 50)] {
        t.post("/api/collections/books/records", Some(&tok), json!({"title": title, "pages": pages, "author": ann}))
            .await;
    }
    let v = t
        .create_collection(
            &tok,
            json!({"name": "long_books", "type": "view", "listRule": "pages > 60", "viewRule": "",
                "viewQuery": "SELECT id, title, pages, author FROM books"}),
        )
        .await;
    assert_eq!(field(&v, "author")["type"], "relation");
    let list = t.get("/api/collections/long_books/records?sort=-pages&expand=author&filter=title!='Z'", None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let titles: Vec<&str> =
        list.json["items"].as_array().expect("items").iter().filter_map(|i| i["title"].as_str()).collect();
    assert_eq!(titles, ["B", "A"], "rule filters, sort orders");
    assert_eq!(list.json["items"][0]["expand"]["author"]["name"], "Ann");
    assert_eq!(
        t.patch(
            &format!("/api/collections/long_books/records/{}", list.json["items"][0]["id"].as_str().expect("id")),
            Some(&tok),
            json!({"title": "x"})
        )
        .await
        .status,
        400
    );
}

#[tokio::test]
async fn renaming_a_collection_keeps_views_over_it_working() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    t.create_collection(&tok, json!({"name": "src", "fields": [{"name": "n", "type": "number"}]})).await;
    t.post("/api/collections/src/records", Some(&tok), json!({"n": 7})).await;
    t.create_collection(
        &tok,
        json!({"name": "v", "type": "view", "listRule": "", "viewQuery": "SELECT id, n FROM src WHERE n IN (7, 8)"}),
    )
    .await;
    assert_eq!(t.patch("/api/collections/src", Some(&tok), json!({"name": "renamed"})).await.status, 200);
    let view = t.get("/api/collections/v", Some(&tok)).await;
    assert!(
        view.json["viewQuery"].as_str().is_some_and(|q| q.contains("renamed") && q.ends_with("(7, 8)")),
        "{}",
        view.text
    );
    assert_eq!(t.get("/api/collections/v/records", None).await.json["items"][0]["n"], 7);
    let back = t.patch("/api/collections/renamed", Some(&tok), json!({"name": "src"})).await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(t.get("/api/collections/v/records", None).await.json["totalItems"], 1);
}

#[tokio::test]
async fn truncate_handles_self_referencing_cascades() {
    let t = spawn_app().await;
    let tok = t.admin_token().await;
    let c = t.create_collection(&tok, json!({"name": "nodes", "fields": [{"name": "label", "type": "text"}]})).await;
    let mut fields = c["fields"].as_array().expect("fields").clone();
    fields.push(
        json!({"name": "parent", "type": "relation", "collectionId": c["id"], "maxSelect": 1, "cascadeDelete": true}),
    );
    assert_eq!(t.patch("/api/collections/nodes", Some(&tok), json!({"fields": fields})).await.status, 200);
    let mut parent = serde_json::Value::Null;
    for i in 0..5 {
        let r = t
            .post("/api/collections/nodes/records", Some(&tok), json!({"label": format!("n{i}"), "parent": parent}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        parent = r.json["id"].clone();
    }
    assert_eq!(t.delete("/api/collections/nodes/truncate", Some(&tok)).await.status, 204);
    assert_eq!(t.get("/api/collections/nodes/records", Some(&tok)).await.json["totalItems"], 0);
}

#[test]
fn schema_and_settings_changed_in_a_transaction_stay_private_until_commit() {
    use ferrobase::core::collections::service::from_api_json;
    use ferrobase::core::{App, AppConfig, Error};
    let dir = tempfile::tempdir().expect("tmp");
    let app = App::open(AppConfig::new(dir.path().join("pb_data"))).expect("app");
    let notes =
        || from_api_json(&json!({"name": "notes", "type": "base", "fields": [{"name": "t", "type": "text"}]}), None);
    let failed = app.run_in_transaction(|tx| {
        tx.save_collection(notes()?)?;
        let mut s = (*tx.settings()).clone();
        s.meta.app_name = "Inside".into();
        tx.save_settings(s)?;
        assert!(tx.find_collection("notes").is_ok(), "the transaction sees its own collection");
        assert_eq!(tx.settings().meta.app_name, "Inside");
        assert!(app.find_collection("notes").is_err(), "others do not see an uncommitted collection");
        assert_ne!(app.settings().meta.app_name, "Inside");
        Err::<(), _>(Error::BadRequest("roll back".into()))
    });
    assert!(failed.is_err());
    assert!(app.find_collection("notes").is_err(), "rolled back");
    assert_ne!(app.settings().meta.app_name, "Inside");
    app.run_in_transaction(|tx| tx.save_collection(notes()?)).expect("commit");
    assert!(app.find_collection("notes").is_ok(), "published on commit");
}
