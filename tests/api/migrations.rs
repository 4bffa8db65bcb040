//! JS migrations (`pb_migrations`): applying and reverting, failures that
//! roll back and name the file, history-sync, the examples, the
//! `migrate collections` snapshot and automigrate round trips, PocketBase
//! data dirs, and hooks firing for migration changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferrobase::core::App;
use ferrobase::db::schema;
use ferrobase::jsvm::JsConfig;
use ferrobase::migrations::{self, MigrateError, MigrationsConfig};
use serde_json::{Value, json};

use crate::common::{Options, TestApp, hooks_dir, migrations_dir, spawn_with};

/// Writes migration files into the migrations dir of `root`.
pub fn write_migrations(root: &Path, files: &[(&str, &str)]) {
    let dir = migrations_dir(root);
    std::fs::create_dir_all(&dir).expect("migrations dir");
    for (name, src) in files {
        std::fs::write(dir.join(name), src).expect("migration file");
    }
}

/// A fresh server with these migrations applied.
async fn spawn_migrated(files: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    write_migrations(dir.path(), files);
    spawn_with(dir, Options { migrations: true, ..Options::default() }).await
}

fn config(t: &TestApp) -> MigrationsConfig {
    MigrationsConfig::new(migrations_dir(t.dir.path()))
}

async fn up(t: &TestApp) -> Result<Vec<String>, String> {
    let (app, cfg) = (t.app.clone(), config(t));
    tokio::task::spawn_blocking(move || migrations::up(&app, &cfg)).await.expect("join").map_err(|e| e.to_string())
}

async fn down(t: &TestApp, n: usize) -> Result<Vec<String>, String> {
    let (app, cfg) = (t.app.clone(), config(t));
    tokio::task::spawn_blocking(move || migrations::down(&app, &cfg, n)).await.expect("join").map_err(|e| e.to_string())
}

/// The applied JS migrations, in name order.
pub fn applied_js(app: &App) -> Vec<String> {
    let mut v: Vec<String> = app
        .executor()
        .read(schema::applied_migrations)
        .expect("read _migrations")
        .into_iter()
        .filter(|f| !migrations::is_system(f))
        .collect();
    v.sort();
    v
}

/// Every collection's API JSON by name, without its dates.
pub async fn schema_of(t: &TestApp) -> BTreeMap<String, Value> {
    let tok = t.admin_token().await;
    let r = t.get("/api/collections?perPage=500", Some(&tok)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Value::Object(m) = &mut c {
                m.remove("created");
                m.remove("updated");
            }
            (c["name"].as_str().unwrap_or_default().to_string(), c)
        })
        .collect()
}

fn names(schema: &BTreeMap<String, Value>) -> Vec<&str> {
    schema.keys().map(String::as_str).collect()
}

/// Asserts two schemas are the same, collection by collection and field by field.
pub fn assert_same_schema(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) {
    assert_eq!(names(a), names(b), "collection names");
    for (name, ca) in a {
        let cb = &b[name];
        let (fa, fb) = (ca["fields"].as_array().expect("fields"), cb["fields"].as_array().expect("fields"));
        assert_eq!(fa.len(), fb.len(), "{name}: number of fields");
        for (x, y) in fa.iter().zip(fb) {
            assert_eq!(x, y, "{name}: field {}", x["name"]);
        }
        assert_eq!(ca, cb, "{name}");
    }
}

const CREATE_NOTES: &str = r#"migrate((app) => {
  app.save(new Collection({name: "notes", listRule: "", fields: [{name: "text", type: "text", required: true}]}));
}, (app) => {
  app.delete(app.findCollectionByNameOrId("notes"));
})"#;

const SEED_NOTES: &str = r#"migrate((app) => {
  for (const text of ["one", "two"]) {
    const r = new Record(app.findCollectionByNameOrId("notes"));
    r.set("text", text);
    app.save(r);
  }
}, (app) => {
  app.db().newQuery("DELETE FROM {{notes}}").execute();
})"#;

async fn note_texts(t: &TestApp) -> Vec<String> {
    let r = t.get("/api/collections/notes/records?sort=text", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().expect("items").iter().map(|i| i["text"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn pending_migrations_apply_once_in_name_order() {
    let t = spawn_migrated(&[
        ("1700000001_seed_notes.js", SEED_NOTES),
        ("1700000000_create_notes.js", CREATE_NOTES),
        ("1700000002_no_migrate_call.js", "globalThis.loaded = true;"),
    ])
    .await;
    assert_eq!(note_texts(&t).await, ["one", "two"]);
    assert_eq!(applied_js(&t.app), ["1700000000_create_notes.js", "1700000001_seed_notes.js"]);
    assert_eq!(up(&t).await, Ok(vec![]), "nothing pending the second time");
    assert_eq!(note_texts(&t).await, ["one", "two"]);
}

#[tokio::test]
async fn failing_migration_rolls_back_alone_and_names_the_file() {
    let t = spawn_migrated(&[("1700000000_create_notes.js", CREATE_NOTES)]).await;
    write_migrations(
        t.dir.path(),
        &[
            (
                "1700000001_broken.js",
                r#"migrate((app) => {
  app.save(new Collection({name: "half"}));
  const s = app.settings();
  s.meta.appName = "Half applied";
  app.save(s);
  const r = new Record(app.findCollectionByNameOrId("notes"));
  r.set("text", "half");
  app.save(r);
  throw new Error("boom in the middle");
})"#,
            ),
            ("1700000002_after.js", "migrate((app) => { app.save(new Collection({name: \"after\"})) })"),
        ],
    );
    let err = up(&t).await.expect_err("the broken migration fails");
    assert!(err.starts_with("failed to apply migration 1700000001_broken.js: Error: boom in the middle"), "{err}");
    assert!(err.contains("1700000001_broken.js:9:"), "the error has the throw's location: {err}");
    assert_eq!(applied_js(&t.app), ["1700000000_create_notes.js"], "_migrations unchanged");
    assert!(t.app.find_collection("half").is_err(), "the collection was rolled back");
    assert!(t.app.find_collection("after").is_err(), "later migrations do not run");
    assert_eq!(note_texts(&t).await, Vec::<String>::new());
    assert_eq!(t.app.settings().meta.app_name, "Acme", "the cached settings were rolled back too");
    let tok = t.admin_token().await;
    assert_eq!(t.get("/api/settings", Some(&tok)).await.json["meta"]["appName"], "Acme");
}

#[tokio::test]
async fn bad_migrations_report_the_file_and_change_nothing() {
    let cases = [
        ("migrate((app) => { syntax error here })", "failed to load migration 1700000001_bad.js: SyntaxError"),
        (
            "migrate((app) => { app.findCollectionByNameOrId(\"missing\") })",
            "failed to apply migration 1700000001_bad.js: Error: The requested resource wasn't found.",
        ),
        ("migrate((app) => { throw \"plain\" })", "failed to apply migration 1700000001_bad.js: plain"),
        ("throw new Error(\"at load time\")", "failed to load migration 1700000001_bad.js: Error: at load time"),
        (
            "migrate((app) => { app.save(new Collection({name: \"users\"})) })",
            "failed to apply migration 1700000001_bad.js: Error: name: collection name must be unique",
        ),
        (
            "migrate((app) => { app.db().newQuery(\"SELECT nope FROM nowhere\").execute() })",
            "failed to apply migration 1700000001_bad.js: Error: SQL error: no such table: nowhere",
        ),
        ("migrate(42)", "failed to load migration 1700000001_bad.js: TypeError: the migrate() up function must be"),
    ];
    for (src, want) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        write_migrations(dir.path(), &[("1700000000_create_notes.js", CREATE_NOTES), ("1700000001_bad.js", src)]);
        let t = spawn_with(dir, Options::default()).await;
        let err = up(&t).await.expect_err(src);
        assert!(err.starts_with(want), "{src}\n  got:  {err}\n  want: {want}");
        if want.contains("failed to load") {
            assert!(applied_js(&t.app).is_empty(), "{src}: a load error runs nothing");
        } else {
            assert_eq!(applied_js(&t.app), ["1700000000_create_notes.js"], "{src}");
            // a thrown string carries no stack, errors do
            let thrown_string = src.contains("throw \"");
            assert!(thrown_string || err.contains("1700000001_bad.js:1:"), "{src}: location in {err}");
        }
    }
}

#[tokio::test]
async fn down_reverts_newest_first_and_a_failing_down_changes_nothing() {
    let t = spawn_migrated(&[
        ("1700000000_create_notes.js", CREATE_NOTES),
        ("1700000001_seed_notes.js", SEED_NOTES),
        ("1700000002_bad_down.js", "migrate((app) => {}, (app) => { throw new Error(\"cannot go back\") })"),
    ])
    .await;
    let err = down(&t, 1).await.expect_err("its down throws");
    assert!(err.starts_with("failed to revert migration 1700000002_bad_down.js: Error: cannot go back"), "{err}");
    assert_eq!(applied_js(&t.app).len(), 3, "_migrations unchanged");
    std::fs::write(migrations_dir(t.dir.path()).join("1700000002_bad_down.js"), "migrate((app) => {})")
        .expect("rewrite");
    assert_eq!(down(&t, 2).await, Ok(vec!["1700000002_bad_down.js".into(), "1700000001_seed_notes.js".into()]));
    assert_eq!(note_texts(&t).await, Vec::<String>::new());
    assert_eq!(applied_js(&t.app), ["1700000000_create_notes.js"]);
    assert_eq!(down(&t, 5).await, Ok(vec!["1700000000_create_notes.js".into()]), "system migrations stay");
    assert!(t.app.find_collection("notes").is_err());
    assert_eq!(down(&t, 1).await, Ok(vec![]));
    let system = t.app.executor().read(schema::applied_migrations).expect("read");
    assert!(schema::SYSTEM_MIGRATIONS.iter().all(|m| system.contains(*m)));
}

#[tokio::test]
async fn down_of_a_migration_whose_file_is_gone_is_refused() {
    let t = spawn_migrated(&[("1700000000_create_notes.js", CREATE_NOTES)]).await;
    std::fs::remove_file(migrations_dir(t.dir.path()).join("1700000000_create_notes.js")).expect("rm");
    let (app, cfg) = (t.app.clone(), config(&t));
    let err = tokio::task::spawn_blocking(move || migrations::down(&app, &cfg, 1)).await.expect("join");
    assert!(matches!(err, Err(MigrateError::MissingFile(f)) if f == "1700000000_create_notes.js"));
}

#[tokio::test]
async fn history_sync_forgets_deleted_files_but_not_system_migrations() {
    let t =
        spawn_migrated(&[("1700000000_create_notes.js", CREATE_NOTES), ("1700000001_seed_notes.js", SEED_NOTES)]).await;
    std::fs::remove_file(migrations_dir(t.dir.path()).join("1700000001_seed_notes.js")).expect("rm");
    let forgotten = migrations::history_sync(&t.app, &config(&t)).expect("sync");
    assert_eq!(forgotten, ["1700000001_seed_notes.js"]);
    assert_eq!(applied_js(&t.app), ["1700000000_create_notes.js"]);
    let all = t.app.executor().read(schema::applied_migrations).expect("read");
    assert!(schema::SYSTEM_MIGRATIONS.iter().all(|m| all.contains(*m)));
    assert_eq!(note_texts(&t).await, ["one", "two"], "history-sync only forgets, it reverts nothing");
}

#[tokio::test]
async fn migrations_reach_settings_raw_sql_and_fields() {
    let t = spawn_migrated(&[
        ("1700000000_create_notes.js", CREATE_NOTES),
        (
            "1700000001_more.js",
            r#"migrate((app) => {
  const s = app.settings();
  s.meta.appName = "From a migration";
  s.smtp.password = "";
  app.save(s);

  const notes = app.findCollectionByNameOrId("notes");
  notes.fields.add(new NumberField({name: "rank", onlyInt: true}));
  notes.fields.addAt(1, new BoolField({name: "pinned"}));
  unmarshal({viewRule: "", indexes: ["CREATE INDEX idx_notes_rank ON notes (rank)"]}, notes);
  app.save(notes);

  const res = app.db().newQuery("INSERT INTO {{notes}} (id, [[text]], rank) VALUES ({:id}, {:text}, {:rank})")
    .bind({id: "rawinsert000001", text: "raw", rank: 7}).execute();
  if (res.rowsAffected() !== 1) throw new Error("rowsAffected " + res.rowsAffected());
  const row = app.db().newQuery("SELECT text, rank FROM notes WHERE id = {:id}").bind({id: "rawinsert000001"}).one();
  if (row.text !== "raw" || row.rank !== 7) throw new Error("one() " + JSON.stringify(row));
  const all = [];
  app.db().newQuery("SELECT id FROM notes").all(all);
  if (all.length !== 1) throw new Error("all() " + JSON.stringify(all));
  const r = app.findRecordById("notes", "rawinsert000001");
  r.set("pinned", true);
  app.save(r);
})"#,
        ),
    ])
    .await;
    assert_eq!(t.app.settings().meta.app_name, "From a migration");
    let notes = t.app.find_collection("notes").expect("notes");
    let order: Vec<&str> = notes.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(order, ["id", "pinned", "text", "rank"]);
    assert_eq!(notes.rules.view.as_deref(), Some(""));
    assert_eq!(notes.indexes, ["CREATE INDEX idx_notes_rank ON notes (rank)"]);
    let r = t.get("/api/collections/notes/records/rawinsert000001", None).await;
    assert_eq!(
        (r.json["text"].clone(), r.json["rank"].clone(), r.json["pinned"].clone()),
        (json!("raw"), json!(7), json!(true))
    );
}

#[tokio::test]
async fn js_hooks_fire_for_records_saved_by_migrations() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_migrations(
        dir.path(),
        &[("1700000000_create_notes.js", CREATE_NOTES), ("1700000001_seed_notes.js", SEED_NOTES)],
    );
    let hooks = hooks_dir(dir.path());
    std::fs::create_dir_all(&hooks).expect("hooks dir");
    std::fs::write(
        hooks.join("main.pb.js"),
        r#"onRecordCreate((e) => { e.record.set("text", e.record.get("text") + " (hooked)"); e.next(); }, "notes");"#,
    )
    .expect("hook file");
    let mut js = JsConfig::new(&hooks);
    js.pool_size = 1;
    js.watch = false;
    let t = spawn_with(dir, Options { hooks: Some(js), migrations: true, ..Options::default() }).await;
    assert_eq!(note_texts(&t).await, ["one (hooked)", "two (hooked)"]);
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("pb_migrations_examples")
}

fn example_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(examples_dir())
        .expect("examples dir")
        .filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(e.path()).expect("example"))
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn examples_apply_to_a_fresh_dir_and_roll_back() {
    let fresh = spawn_with(tempfile::tempdir().expect("temp dir"), Options::default()).await;
    let before = schema_of(&fresh).await;
    let examples = example_files();
    assert!(examples.len() >= 4, "examples: {examples:?}");
    let files: Vec<(&str, &str)> = examples.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    let t = spawn_migrated(&files).await;
    assert_eq!(applied_js(&t.app).len(), examples.len());

    let schema = schema_of(&t).await;
    let posts = &schema["posts"];
    let types: Vec<&str> =
        posts["fields"].as_array().expect("fields").iter().filter_map(|f| f["type"].as_str()).collect();
    for ty in [
        "text", "editor", "number", "bool", "email", "url", "date", "select", "file", "relation", "json", "geoPoint",
        "autodate",
    ] {
        assert!(types.contains(&ty), "posts has a {ty} field: {types:?}");
    }
    assert_eq!(schema["authors"]["type"], "auth");
    let field_names: Vec<&str> =
        posts["fields"].as_array().expect("fields").iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(field_names.contains(&"content") && !field_names.contains(&"body"), "body renamed: {field_names:?}");
    assert!(
        posts["indexes"]
            .as_array()
            .expect("indexes")
            .iter()
            .any(|i| i.as_str().is_some_and(|s| s.contains("idx_posts_published")))
    );

    let tok = t.admin_token().await;
    let list = t.get("/api/collections/posts/records?expand=author,tags", Some(&tok)).await;
    assert_eq!(list.json["totalItems"], 1, "{}", list.text);
    let post = &list.json["items"][0];
    assert_eq!(post["title"], "Hello from a migration");
    assert!(post["content"].as_str().expect("content").contains("Seeded by"));
    assert_eq!(post["expand"]["author"]["name"], "Ada");
    assert_eq!(post["expand"]["tags"].as_array().map(Vec::len), Some(2));
    let login = t
        .post(
            "/api/collections/authors/auth-with-password",
            None,
            json!({"identity": "ada@example.com", "password": "change-me-please"}),
        )
        .await;
    assert_eq!(login.status, 200, "the seeded author logs in: {}", login.text);
    assert_eq!(t.app.settings().meta.app_name, "Ferrobase Blog");
    assert!(t.app.settings().batch.enabled);

    assert_eq!(down(&t, examples.len()).await.map(|v| v.len()), Ok(examples.len()));
    assert_same_schema(&schema_of(&t).await, &before);
    assert_eq!(t.app.settings().meta.app_name, "Acme");
    assert!(applied_js(&t.app).is_empty());
}

/// Collections made over the API: base with rules and an index, relations
/// in both directions, an auth collection, a view.
async fn make_schema(t: &TestApp) {
    let tok = t.admin_token().await;
    let tags = t
        .create_collection(&tok, json!({"name": "tags", "listRule": "", "fields": [{"name": "label", "type": "text"}]}))
        .await;
    let posts = t
        .create_collection(
            &tok,
            json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "@request.auth.id != ''",
                "fields": [
                    {"name": "title", "type": "text", "required": true, "max": 120},
                    {"name": "views", "type": "number", "onlyInt": true},
                    {"name": "kind", "type": "select", "values": ["a", "b"], "maxSelect": 2},
                    {"name": "tags", "type": "relation", "collectionId": tags["id"], "maxSelect": 5},
                    {"name": "created", "type": "autodate", "onCreate": true}],
                "indexes": ["CREATE INDEX idx_posts_title ON posts (title)"]}),
        )
        .await;
    let r = t
        .patch(
            "/api/collections/tags",
            Some(&tok),
            json!({"fields": [{"name": "label", "type": "text"},
                {"name": "post", "type": "relation", "collectionId": posts["id"], "maxSelect": 1}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    t.create_collection(&tok, json!({"name": "members", "type": "auth", "fields": [{"name": "nick", "type": "text"}]}))
        .await;
    t.create_collection(
        &tok,
        json!({"name": "tag_labels", "type": "view", "listRule": "", "viewQuery": "SELECT id, label FROM tags"}),
    )
    .await;
}

#[tokio::test]
async fn collections_snapshot_recreates_every_collection_exactly() {
    let a = spawn_with(tempfile::tempdir().expect("temp dir"), Options::default()).await;
    make_schema(&a).await;
    let source = migrations::snapshot_source(&a.app);
    assert!(source.contains("return app.importCollections(snapshot, false);"));
    assert!(!source.contains("\"created\": \"20"), "no dates in the snapshot");

    let b = spawn_migrated(&[("1700000000_collections_snapshot.js", &source)]).await;
    assert_same_schema(&schema_of(&a).await, &schema_of(&b).await);
}

#[tokio::test]
async fn automigrate_files_replay_the_api_changes_on_a_fresh_dir() {
    let a =
        spawn_with(tempfile::tempdir().expect("temp dir"), Options { automigrate: true, ..Options::default() }).await;
    let fresh = schema_of(&a).await;
    make_schema(&a).await;
    let tok = a.admin_token().await;
    let posts = a.get("/api/collections/posts", Some(&tok)).await.json;
    let mut fields: Vec<Value> = posts["fields"].as_array().expect("fields").clone();
    fields.retain(|f| f["name"] != "views");
    fields.insert(1, json!({"name": "published", "type": "bool"}));
    fields.swap(2, 3);
    let r = a.patch("/api/collections/posts", Some(&tok), json!({"fields": fields, "updateRule": ""})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(a.patch("/api/collections/posts", Some(&tok), json!({"name": "articles"})).await.status, 200);
    assert_eq!(a.patch("/api/collections/articles", Some(&tok), json!({})).await.status, 200);
    let r =
        a.patch("/api/collections/users", Some(&tok), json!({"authToken": {"duration": 1000}, "listRule": ""})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    a.create_collection(&tok, json!({"name": "scratch"})).await;
    assert_eq!(a.delete("/api/collections/scratch", Some(&tok)).await.status, 204);
    let import = a
        .req(
            "PUT",
            "/api/collections/import",
            Some(&tok),
            json!({"collections": [{"name": "imported"}], "deleteMissing": false}),
        )
        .await;
    assert_eq!(import.status, 204, "{}", import.text);

    let mut files: Vec<String> = std::fs::read_dir(migrations_dir(a.dir.path()))
        .expect("automigrate dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let actions: Vec<&str> = files.iter().map(|f| f.split_once('_').map_or("", |(_, rest)| rest)).collect();
    assert_eq!(
        actions,
        [
            "created_tags.js",
            "created_posts.js",
            "updated_tags.js",
            "created_members.js",
            "created_tag_labels.js",
            "updated_posts.js",
            "updated_posts.js",
            "updated_users.js",
            "created_scratch.js",
            "deleted_scratch.js",
        ],
        "one file per change, in the order of the changes (no file for the empty PATCH or the import)"
    );
    assert_eq!(applied_js(&a.app), files, "written files are recorded as applied");

    // replay on a fresh dir: the same schema (the imported collection aside)
    let copies: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(migrations_dir(a.dir.path()).join(f)).expect("read")))
        .collect();
    let refs: Vec<(&str, &str)> = copies.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    let b = spawn_migrated(&refs).await;
    let mut want = schema_of(&a).await;
    want.remove("imported");
    assert_same_schema(&want, &schema_of(&b).await);

    // and every down function together undo it all
    assert_eq!(down(&b, files.len()).await.map(|v| v.len()), Ok(files.len()));
    assert_same_schema(&fresh, &schema_of(&b).await);
}

#[tokio::test]
async fn pocketbase_data_dir_is_not_re_migrated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("pb_data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pb_data_0.40.6");
    for f in ["data.db", "auxiliary.db"] {
        std::fs::copy(src.join(f), data.join(f)).expect("copy fixture");
    }
    // PocketBase applied (and recorded) its automigrate files when it made the fixture
    let recorded: Vec<String> = rusqlite::Connection::open(data.join("data.db"))
        .and_then(|db| {
            let mut stmt = db.prepare("SELECT file FROM _migrations WHERE file LIKE '%.js' ORDER BY file")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })
        .expect("fixture migrations");
    assert!(recorded.iter().any(|f| f.ends_with("_created_posts.js")), "{recorded:?}");
    let must_not_run = "migrate((app) => { throw new Error(\"applied by PocketBase already\") })";
    let mut files: Vec<(&str, &str)> = recorded.iter().map(|f| (f.as_str(), must_not_run)).collect();
    files.push(("1895625058_add_notes.js", CREATE_NOTES));
    write_migrations(dir.path(), &files);
    let t = spawn_with(dir, Options { migrations: true, ..Options::default() }).await;
    let mut expected = recorded.clone();
    expected.push("1895625058_add_notes.js".into());
    assert_eq!(applied_js(&t.app), expected);
    let all = t.app.executor().read(schema::applied_migrations).expect("read");
    assert!(schema::SYSTEM_MIGRATIONS.iter().all(|m| all.contains(*m)));
    assert!(t.app.find_collection("notes").is_ok());
    let post = t.get("/api/collections/posts/records/fixturepost0001", None).await;
    assert_eq!(post.json["title"], "First", "PocketBase's data is untouched");
}
