//! Files from JS hooks: `$filesystem.fileFrom*` saved with `record.set`,
//! `$app.newFilesystem()` reads and writes, `e.findUploadedFiles()`, and
//! the `onFileDownloadRequest` / `onFileTokenRequest` hooks.

use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app_with_hooks};

const HOOKS: &str = r#"
routerAdd("POST", "/js/files", (e) => {
    const col = $app.findCollectionByNameOrId("docs");
    const rec = new Record(col);
    rec.set("title", "from js");
    const a = $filesystem.fileFromBytes("hello from bytes", "Hello World.txt");
    const b = $filesystem.fileFromPath(__hooks + "/asset.txt");
    rec.set("many", [a, b]);
    const unsaved = rec.getUnsavedFiles("many").map((f) => f.originalName);
    $app.save(rec);
    const fs = $app.newFilesystem();
    const key = rec.baseFilesPath() + "/" + rec.get("many")[0];
    const attrs = fs.attributes(key);
    fs.upload("raw content", "custom/dir/note.txt");
    let empty = "";
    try { $filesystem.fileFromBytes("", "x.txt") } catch (err) { empty = "thrown" }
    return e.json(200, {
        id: rec.id,
        names: rec.get("many"),
        unsaved,
        content: toString(fs.getReader(key)),
        contentType: attrs.contentType,
        original: attrs.metadata["original-filename"],
        exists: fs.exists("custom/dir/note.txt"),
        listed: fs.list("custom/").map((o) => o.key),
        copy: toString(fs.getReader("custom/dir/note.txt")),
        empty,
        nameShape: /^hello_world_[a-z0-9]{10}\.txt$/.test(rec.get("many")[0]),
    });
});

routerAdd("GET", "/js/cleanup", (e) => {
    const fs = $app.newFilesystem();
    fs.deletePrefix("custom/");
    return e.json(200, { empty: fs.isEmptyDir("custom"), exists: fs.exists("custom/dir/note.txt") });
});

onRecordCreateRequest((e) => {
    const files = e.findUploadedFiles("many");
    e.record.set("title", "uploaded:" + files.map((f) => f.originalName + "/" + f.size).join(","));
    e.next();
}, "docs");

onFileDownloadRequest((e) => {
    if (e.servedName.startsWith("swap_")) {
        e.servedPath = e.servedPath.replace("swap_", "target_");
    }
    e.response.header().set("X-Served", e.record.id + ":" + e.fileField.name);
    e.next();
}, "docs");

onFileTokenRequest((e) => {
    e.token = "custom-" + e.record.email();
    e.next();
});
"#;

async fn app() -> (TestApp, String) {
    let t = spawn_app_with_hooks(&[("main.pb.js", HOOKS)], |_| {}).await;
    std::fs::write(crate::common::hooks_dir(t.dir.path()).join("asset.txt"), "asset file").expect("asset");
    let admin = t.admin_token().await;
    t.create_collection(
        &admin,
        json!({"name": "docs", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
               "fields": [{"name": "title", "type": "text"}, {"name": "many", "type": "file", "maxSelect": 5}]}),
    )
    .await;
    (t, admin)
}

#[tokio::test]
async fn js_files_are_saved_read_and_listed() {
    let (t, _admin) = app().await;
    let r = t.post("/js/files", None, Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(j["nameShape"], true, "{j}");
    assert_eq!(j["unsaved"], json!(["Hello World.txt", "asset.txt"]));
    assert_eq!(j["content"], "hello from bytes");
    assert_eq!(j["contentType"], "text/plain; charset=utf-8");
    assert_eq!(j["original"], "Hello World.txt");
    assert_eq!(j["exists"], true);
    assert_eq!(j["listed"], json!(["custom/dir/note.txt"]));
    assert_eq!(j["copy"], "raw content");
    assert_eq!(j["empty"], "thrown");
    let names: Vec<String> = serde_json::from_value(j["names"].clone()).expect("names");
    let id = j["id"].as_str().expect("id");
    let asset = t.client.get(format!("{}/api/files/docs/{id}/{}", t.base, names[1])).send().await.expect("get");
    assert_eq!(asset.text().await.expect("text"), "asset file");
    let r = t.get("/js/cleanup", None).await;
    assert_eq!(r.json, json!({"empty": true, "exists": false}));
}

#[tokio::test]
async fn request_hooks_see_the_uploaded_files() {
    let (t, _admin) = app().await;
    let boundary = "b0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"many\"; filename=\"up.txt\"\r\n\r\n12345\r\n--{boundary}--\r\n"
    );
    let r = t
        .raw(
            "POST",
            "/api/collections/docs/records",
            None,
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["title"], "uploaded:up.txt/5");
}

#[tokio::test]
async fn download_and_token_hooks_change_what_is_served() {
    let (t, admin) = app().await;
    let boundary = "b0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"many\"; filename=\"swap.txt\"\r\n\r\nswap\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"many\"; filename=\"target.txt\"\r\n\r\ntarget\r\n--{boundary}--\r\n"
    );
    let r = t
        .raw(
            "POST",
            "/api/collections/docs/records",
            None,
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["id"].as_str().expect("id");
    let swap = r.json["many"][0].as_str().expect("swap");
    let target = r.json["many"][1].as_str().expect("target");
    // the hook can only point at what exists: make the swap target match
    let fs = t.app.new_filesystem().expect("fs");
    let dir = format!("{}/{id}", r.json["collectionId"].as_str().expect("cid"));
    fs.copy_sync(&format!("{dir}/{target}"), &format!("{dir}/{}", swap.replacen("swap_", "target_", 1))).expect("copy");
    let res = t.client.get(format!("{}/api/files/docs/{id}/{swap}", t.base)).send().await.expect("get");
    assert_eq!(res.headers()["x-served"], format!("{id}:many"));
    assert_eq!(res.text().await.expect("text"), "target");

    let r = t.post("/api/files/token", Some(&admin), Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token"], "custom-admin@example.com");
}
