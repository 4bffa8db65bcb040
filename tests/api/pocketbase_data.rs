//! Data dirs written by the real PocketBase open and serve: 0.40.6's
//! unchanged; 0.23.12's and 0.36.9's migrated to 0.40's layout the way
//! PocketBase 0.40.6 migrates them; PocketBase's own test fixture. See
//! tests/fixtures/make_pocketbase_data.py, which also recorded what
//! PocketBase 0.40.6 answers on each (`expected.json`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{ADMIN_EMAIL, ADMIN_PASS, TestApp, spawn_app_in};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for entry in std::fs::read_dir(src).expect("fixture dir") {
        let entry = entry.expect("entry");
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&from, &to);
        } else if entry.file_name() != "expected.json" {
            std::fs::copy(&from, &to).expect("copy fixture");
        }
    }
}

/// A temp dir whose pb_data is a copy of the named fixture.
fn fixture_dir(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&fixture_path(name), &dir.path().join("pb_data"));
    dir
}

/// The app on a copy of the fixture, with our test superuser added.
async fn open_fixture(name: &str) -> TestApp {
    let t = spawn_app_in(fixture_dir(name)).await;
    let app = t.app.clone();
    tokio::task::spawn_blocking(move || app.upsert_superuser(ADMIN_EMAIL, ADMIN_PASS, None))
        .await
        .expect("join")
        .expect("superuser");
    t
}

fn expected(name: &str) -> Value {
    let raw = std::fs::read_to_string(fixture_path(name).join("expected.json")).expect("expected.json");
    serde_json::from_str(&raw).expect("expected json")
}

/// Differences between PocketBase's answer and ours, as `path: expected != actual`.
fn diff(path: &str, expected: &Value, actual: &Value, skip: &[&str], out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                if skip.contains(&k.as_str()) {
                    continue;
                }
                diff(&format!("{path}.{k}"), ev, a.get(k).unwrap_or(&Value::Null), skip, out);
            }
            for k in a.keys().filter(|k| !e.contains_key(*k) && !skip.contains(&k.as_str())) {
                out.push(format!("{path}.{k}: not in PocketBase's answer"));
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                diff(&format!("{path}[{i}]"), ev, av, skip, out);
            }
        }
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => {}
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: {e} != {a}")),
    }
}

/// Ferrobase answers what PocketBase 0.40.6 answered on the same data:
/// the applied migrations, every collection and every record.
async fn serves_like_pocketbase(name: &str) {
    let t = open_fixture(name).await;
    let exp = expected(name);
    let tok = t.admin_token().await;
    let mut problems = Vec::new();

    let applied = t.app.executor().read(ferrobase::db::schema::applied_migrations).expect("migrations");
    let mut applied: Vec<String> = applied.into_iter().collect();
    applied.sort();
    diff("_migrations", &exp["migrationsAfter"], &json!(applied), &[], &mut problems);

    let collections = t.get("/api/collections?perPage=200&sort=name", Some(&tok)).await;
    assert_eq!(collections.status, 200, "{}", collections.text);
    // saving a collection (as the migrations do) changes `updated`
    diff("collections", &exp["collections"], &collections.json["items"], &["created", "updated"], &mut problems);

    for (collection, records) in exp["records"].as_object().expect("records") {
        // our test superuser (and the login origin its sign-in records)
        // differs from the one the recorder added
        if collection == "_superusers" || collection == "_authOrigins" {
            continue;
        }
        let r = t.get(&format!("/api/collections/{collection}/records?perPage=200&sort=id"), Some(&tok)).await;
        assert_eq!(r.status, 200, "{collection}: {}", r.text);
        diff(collection, records, &r.json["items"], &[], &mut problems);
    }
    let settings = t.get("/api/settings", Some(&tok)).await;
    diff("appName", &exp["appName"], &settings.json["meta"]["appName"], &[], &mut problems);
    diff("settings", &exp["settings"], &settings.json, &[], &mut problems);
    assert!(problems.is_empty(), "{name} differs from PocketBase 0.40.6:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn pocketbase_tests_fixture_serves_like_pocketbase() {
    serves_like_pocketbase("pocketbase_tests_data").await;
}

#[tokio::test]
async fn pocketbase_0_23_data_is_migrated_and_served_like_pocketbase() {
    serves_like_pocketbase("pb_data_0.23.12").await;
}

#[tokio::test]
async fn pocketbase_0_36_data_is_migrated_and_served_like_pocketbase() {
    serves_like_pocketbase("pb_data_0.36.9").await;
}

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
    assert_eq!(c.json["fields"].as_array().map(Vec::len), Some(16));
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

/// Runs `sql` on the fixture copy's data.db before the app opens it.
fn edit_db(dir: &tempfile::TempDir, sql: &str) {
    let db = rusqlite::Connection::open(dir.path().join("pb_data/data.db")).expect("open data.db");
    db.execute_batch(sql).expect("edit fixture");
}

fn stored(t: &TestApp, sql: &str) -> Value {
    let db = rusqlite::Connection::open(t.dir.path().join("pb_data/data.db")).expect("open data.db");
    let raw: String = db.query_row(sql, [], |r| r.get(0)).expect("stored value");
    serde_json::from_str(&raw).expect("stored json")
}

#[tokio::test]
async fn an_unreadable_collection_is_left_out_and_the_others_serve() {
    let dir = fixture_dir("pb_data_0.40.6");
    edit_db(&dir, "UPDATE _collections SET fields = '[{\"name\":\"x\",\"type\":\"notAType\"}]' WHERE name = 'posts'");
    let t = spawn_app_in(dir).await;
    let tok = t.admin_token().await;
    assert_eq!(t.get("/api/collections/tags/records", None).await.json["totalItems"], 2);
    assert_eq!(t.get("/api/collections/posts/records", Some(&tok)).await.status, 404);
    let names: Vec<String> = t.get("/api/collections?perPage=100", Some(&tok)).await.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["name"].as_str().map(String::from))
        .collect();
    assert!(names.contains(&"tags".to_string()) && !names.contains(&"posts".to_string()), "{names:?}");
}

#[tokio::test]
async fn unknown_keys_written_by_a_newer_pocketbase_survive_saves() {
    let dir = fixture_dir("pb_data_0.40.6");
    edit_db(
        &dir,
        "UPDATE _params SET value = json_set(value, '$.futureSetting', json('{\"on\":true}'), '$.meta.futureMeta', 'm') WHERE id = 'settings';
         UPDATE _collections SET fields = json_set(fields, '$[1].futureOption', 7) WHERE name = 'posts';
         UPDATE _collections SET options = json_set(options, '$.futureAuthOption', 'x', '$.oauth2.providers', json('null')) WHERE name = 'users';",
    );
    let t = spawn_app_in(dir).await;
    let tok = t.admin_token().await;
    let s = t.patch("/api/settings", Some(&tok), json!({"meta": {"appName": "Renamed"}})).await;
    assert_eq!(s.status, 200, "{}", s.text);
    let settings = stored(&t, "SELECT value FROM _params WHERE id = 'settings'");
    assert_eq!(
        (settings["futureSetting"].clone(), settings["meta"]["futureMeta"].clone()),
        (json!({"on": true}), json!("m"))
    );
    assert_eq!(settings["meta"]["appName"], "Renamed");

    let posts = t.get("/api/collections/posts", Some(&tok)).await.json;
    let mut fields = posts["fields"].clone();
    fields[1]["futureOption"] = json!("a client cannot set this");
    let r = t.patch("/api/collections/posts", Some(&tok), json!({"listRule": "views > 0", "fields": fields})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let stored_fields = stored(&t, "SELECT fields FROM _collections WHERE name = 'posts'");
    assert_eq!(stored_fields[1]["futureOption"], 7, "the stored option is kept, the client's is not taken");

    let r = t.patch("/api/collections/users", Some(&tok), json!({"listRule": ""})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let options = stored(&t, "SELECT options FROM _collections WHERE name = 'users'");
    assert_eq!(options["futureAuthOption"], "x");
    assert_eq!(options["oauth2"]["providers"], json!([]), "a Go nil slice reads as empty");
}

#[tokio::test]
async fn data_older_than_pocketbase_0_23_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("pb_data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let db = rusqlite::Connection::open(data.join("data.db")).expect("open");
    db.execute_batch(
        "CREATE TABLE _migrations (file VARCHAR(255) PRIMARY KEY NOT NULL, applied INTEGER NOT NULL);
         INSERT INTO _migrations VALUES ('1640988000_init.go', 1);
         CREATE TABLE _collections (id TEXT PRIMARY KEY, created TEXT, updated TEXT, name TEXT, type TEXT, system BOOLEAN, schema JSON, indexes JSON, options JSON);",
    )
    .expect("0.22 layout");
    drop(db);
    let err = match ferrobase::core::App::open(ferrobase::core::AppConfig::new(&data)) {
        Ok(_) => panic!("a 0.22 data dir must not open"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("before 0.23") && err.contains("PocketBase 0.23"), "{err}");
}
