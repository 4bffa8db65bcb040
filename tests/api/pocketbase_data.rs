//! A pb_data written by the real PocketBase 0.40.6 (see
//! tests/fixtures/make_pocketbase_data.py) opens and serves unchanged.

use serde_json::json;

use crate::common::{ADMIN_EMAIL, ADMIN_PASS, spawn_app_in};

async fn fixture_app() -> crate::common::TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("pb_data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pb_data_0.40.6");
    for f in ["data.db", "auxiliary.db"] {
        std::fs::copy(src.join(f), data.join(f)).expect("copy fixture");
    }
    spawn_app_in(dir).await
}

#[tokio::test]
async fn pocketbase_superuser_with_bcrypt_hash_logs_in() {
    let t = fixture_app().await;
    let r = t
        .post(
            "/api/collections/_superusers/auth-with-password",
            None,
            json!({"identity": ADMIN_EMAIL, "password": ADMIN_PASS}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn pocketbase_records_read_with_every_value_type() {
    let t = fixture_app().await;
    let r = t.get("/api/collections/posts/records/fixturepost0001?expand=tags", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = &r.json;
    assert_eq!(p["title"], "First");
    assert_eq!(p["views"], 10);
    assert_eq!(p["published"], true);
    assert_eq!(p["kinds"], json!(["b", "c"]));
    assert_eq!(p["meta"], json!({"k": [1, 2]}));
    assert_eq!(p["where"], json!({"lon": 23.3, "lat": 42.7}));
    assert_eq!(p["when"], "2024-01-02 10:00:00.000Z");
    let labels: Vec<&str> =
        p["expand"]["tags"].as_array().expect("tags").iter().filter_map(|t| t["label"].as_str()).collect();
    assert_eq!(labels, ["one", "two"]);
    let second = t.get("/api/collections/posts/records/fixturepost0002", None).await;
    assert_eq!(second.json["meta"], json!(null));
    assert_eq!(second.json["kinds"], json!([]));
}

#[tokio::test]
async fn pocketbase_user_logs_in_and_new_records_can_be_written() {
    let t = fixture_app().await;
    let login = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "user@example.com", "password": "userpass123"}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    let token = login.json["token"].as_str().expect("token");
    let created =
        t.post("/api/collections/posts/records", Some(token), json!({"title": "From ferrobase", "kinds": ["a"]})).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let list = t.get("/api/collections/posts/records?perPage=10", None).await;
    assert_eq!(list.json["totalItems"], 3);
}

#[tokio::test]
async fn pocketbase_collections_keep_their_definitions() {
    let t = fixture_app().await;
    let tok = t.admin_token().await;
    let c = t.get("/api/collections/posts", Some(&tok)).await;
    assert_eq!(c.status, 200);
    assert_eq!(c.json["createRule"], "@request.auth.id != ''");
    assert_eq!(c.json["fields"].as_array().map(Vec::len), Some(15));
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pb_data_0.40.6/data.db");
    let before = rusqlite::Connection::open(src)
        .and_then(|c| ferrobase::db::schema::applied_migrations(&c))
        .expect("fixture migrations");
    let after = t.app.executor().read(ferrobase::db::schema::applied_migrations).expect("migrations");
    assert_eq!(before, after, "nothing re-applied, nothing added");
    for m in ferrobase::db::schema::SYSTEM_MIGRATIONS {
        assert!(after.contains(m), "{m} recognised");
    }
}
