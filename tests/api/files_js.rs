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

routerAdd("GET", "/js/src/report.txt", (e) => e.string(200, "remote report"));

routerAdd("POST", "/js/more", (e) => {
    const body = e.requestInfo().body;
    const remote = $filesystem.fileFromURL(body.base + "/js/src/report.txt?x=1#top");
    let missing = "";
    try { $filesystem.fileFromURL(body.base + "/js/src/nothing-here.txt") } catch (err) { missing = "thrown" }
    const pic = $filesystem.fileFromBytes(body.png, "pic.png");
    const rec = new Record($app.findCollectionByNameOrId("docs"));
    rec.set("many", [remote, pic]);
    $app.save(rec);
    const fs = $app.newFilesystem();
    const dir = rec.baseFilesPath();
    const picName = rec.get("many")[1];
    const thumbKey = dir + "/thumbs_" + picName + "/4x3_" + picName;
    fs.createThumb(dir + "/" + picName, thumbKey, "4x3");
    const again = fs.getReuploadableFile(dir + "/" + rec.get("many")[0], true);
    const backups = $app.newBackupsFilesystem();
    backups.upload("backup bytes", "manual.zip");
    return e.json(200, {
        id: rec.id,
        remoteName: remote.originalName,
        remoteSize: remote.size,
        missing,
        thumb: Array.from(fs.getReader(thumbKey)),
        again: again.name,
        backups: backups.list("").map((o) => o.key),
        backup: toString(backups.getReader("manual.zip")),
    });
});

routerAdd("GET", "/js/cleanup", (e) => {
    const fs = $app.newFilesystem();
    fs.deletePrefix("custom/");
    return e.json(200, { empty: fs.isEmptyDir("custom"), exists: fs.exists("custom/dir/note.txt") });
});

onRecordCreateRequest((e) => {
    const files = e.findUploadedFiles("many");
    const header = $filesystem.fileFromMultipart(files[0]);
    e.record.set("title", "uploaded:" + files.map((f) => f.originalName + "/" + f.size).join(",") + "|" + header.originalName);
    e.next();
}, "docs");

onFileDownloadRequest((e) => {
    if (e.servedName.startsWith("swap_")) {
        e.servedPath = e.servedPath.replace("swap_", "target_");
    }
    // like PocketBase: the response is on e.requestEvent (e.response is unset)
    e.requestEvent.response.header().set("X-Served", e.record.id + ":" + e.fileField.name);
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
    assert_eq!(r.json["title"], "uploaded:up.txt/5|up.txt");
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

#[tokio::test]
async fn js_downloads_urls_makes_thumbs_and_writes_backups() {
    let (t, _admin) = app().await;
    let png: Vec<u8> = {
        let img = image::RgbImage::from_pixel(40, 30, image::Rgb([10, 200, 10]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).expect("png");
        out.into_inner()
    };
    let r = t.post("/js/more", None, json!({"base": t.base, "png": png})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    assert_eq!(j["remoteName"], "report.txt", "the URL's last path part, without query or fragment");
    assert_eq!(j["remoteSize"], 13);
    assert_eq!(j["missing"], "thrown", "a 404 URL is an error");
    let thumb: Vec<u8> = serde_json::from_value(j["thumb"].clone()).expect("thumb bytes");
    let img = image::load_from_memory(&thumb).expect("the thumb is an image");
    assert_eq!((img.width(), img.height()), (4, 3));
    assert!(j["again"].as_str().expect("again").starts_with("report_"), "{j}");
    assert_eq!(j["backups"], json!(["manual.zip"]));
    assert_eq!(j["backup"], "backup bytes");
    let on_disk = t.dir.path().join("pb_data").join("backups").join("manual.zip");
    assert_eq!(std::fs::read(on_disk).expect("backup file"), b"backup bytes");
    // the downloaded file was saved on the record and serves
    let id = j["id"].as_str().expect("id");
    let rec = t.get(&format!("/api/collections/docs/records/{id}"), None).await;
    let name = rec.json["many"][0].as_str().expect("name");
    let got = t.client.get(format!("{}/api/files/docs/{id}/{name}", t.base)).send().await.expect("get");
    assert_eq!(got.text().await.expect("text"), "remote report");
}
