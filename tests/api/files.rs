//! File fields over HTTP: multipart uploads, validation, storage layout,
//! downloads (ranges, conditional requests, thumbs), protected files,
//! batch uploads and the cleanup of replaced, rolled back and deleted files.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{Res, TestApp, code, spawn_app};

/// One part of a multipart body: (name, optional file name, content).
type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "----ferrobase-test-boundary-7MA4YWxk";
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn send_multipart(app: &TestApp, method: &str, path: &str, token: Option<&str>, parts: &[Part<'_>]) -> Res {
    let (ct, body) = multipart(parts);
    app.raw(method, path, token, &ct, body).await
}

/// A solid-colour PNG of `w`×`h`.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

fn image_size(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(bytes).expect("an image");
    (img.width(), img.height())
}

struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Download {
    let mut rb = app.client.get(format!("{}{}", app.base, path));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let r = rb.send().await.expect("sent");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.expect("body").to_vec();
    Download { status, headers, bytes }
}

fn header<'a>(d: &'a Download, name: &str) -> &'a str {
    d.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn storage(app: &TestApp) -> PathBuf {
    app.dir.path().join("pb_data").join("storage")
}

/// Every file under a directory (relative paths), sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("under dir").to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Waits for background deletes (record and collection deletes are optimistic).
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

async fn docs_app() -> (TestApp, String, Value) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let c = app
        .create_collection(
            &admin,
            json!({
                "name": "docs", "type": "base",
                "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
                "fields": [
                    {"name": "title", "type": "text"},
                    {"name": "one", "type": "file", "maxSelect": 1, "maxSize": 1000, "thumbs": ["10x10", "20x0", "0x15", "20x10t", "20x10b", "20x20f"]},
                    {"name": "many", "type": "file", "maxSelect": 3, "mimeTypes": ["image/png", "text/plain"]},
                ],
            }),
        )
        .await;
    (app, admin, c)
}

#[tokio::test]
async fn upload_stores_a_sanitized_random_name_and_serves_the_bytes() {
    let (app, _admin, c) = docs_app().await;
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/docs/records",
        None,
        &[("title", None, b"hello"), ("one", Some("My File (1).txt"), b"some text")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let name = r.json["one"].as_str().expect("name").to_string();
    let random = name.strip_prefix("my_file_1_").and_then(|s| s.strip_suffix(".txt")).expect("sanitized name");
    assert!(random.len() == 10 && random.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{name}");
    let id = r.json["id"].as_str().expect("id");
    let cid = c["id"].as_str().expect("collection id");

    // PocketBase's layout, with the fileblob sidecar
    let dir = storage(&app).join(cid).join(id);
    assert_eq!(std::fs::read(dir.join(&name)).expect("stored"), b"some text");
    let attrs: Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.attrs"))).expect("sidecar")).expect("json");
    assert_eq!(attrs["user.content_type"], "text/plain; charset=utf-8");
    assert_eq!(attrs["user.metadata"]["original-filename"], "My File (1).txt");

    for path in [format!("/api/files/{cid}/{id}/{name}"), format!("/api/files/docs/{id}/{name}")] {
        let d = fetch(&app, &path, &[]).await;
        assert_eq!(d.status, 200);
        assert_eq!(d.bytes, b"some text");
        assert_eq!(header(&d, "content-type"), "text/plain; charset=utf-8");
        assert_eq!(header(&d, "content-disposition"), format!("attachment; filename=\"{name}\""));
        assert_eq!(header(&d, "cache-control"), "max-age=2592000, stale-while-revalidate=86400");
        assert_eq!(header(&d, "accept-ranges"), "bytes");
        assert!(header(&d, "content-security-policy").contains("sandbox"));
        assert!(d.headers.get("x-frame-options").is_none(), "files may be embedded");
        assert!(!header(&d, "last-modified").is_empty());
    }
    let missing = fetch(&app, &format!("/api/files/docs/{id}/nope.txt"), &[]).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn images_are_inline_and_download_forces_attachment() {
    let (app, _admin, _c) = docs_app().await;
    let img = png(40, 30);
    let r =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("many", Some("pic.png"), &img)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (id, name) = (r.json["id"].as_str().expect("id"), r.json["many"][0].as_str().expect("name"));
    let inline = fetch(&app, &format!("/api/files/docs/{id}/{name}"), &[]).await;
    assert_eq!(header(&inline, "content-type"), "image/png");
    assert!(header(&inline, "content-disposition").starts_with("inline;"));
    assert_eq!(inline.bytes, img);
    for q in ["1", "true", "t"] {
        let d = fetch(&app, &format!("/api/files/docs/{id}/{name}?download={q}"), &[]).await;
        assert!(header(&d, "content-disposition").starts_with("attachment;"), "download={q}");
    }
    let d = fetch(&app, &format!("/api/files/docs/{id}/{name}?download=0"), &[]).await;
    assert!(header(&d, "content-disposition").starts_with("inline;"));
}

#[tokio::test]
async fn ranges_head_and_conditional_requests() {
    let (app, _admin, _c) = docs_app().await;
    let content: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
    let r =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("one", Some("r.txt"), &content)]).await;
    let path = format!("/api/files/docs/{}/{}", r.json["id"].as_str().expect("id"), r.json["one"].as_str().expect("f"));
    let part = fetch(&app, &path, &[("Range", "bytes=10-19")]).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.bytes, &content[10..20]);
    assert_eq!(header(&part, "content-range"), "bytes 10-19/100");
    let tail = fetch(&app, &path, &[("Range", "bytes=-5")]).await;
    assert_eq!(tail.bytes, &content[95..]);
    let bad = fetch(&app, &path, &[("Range", "bytes=500-")]).await;
    assert_eq!(bad.status, 416);
    assert_eq!(header(&bad, "content-range"), "bytes */100");

    let head = app.client.head(format!("{}{path}", app.base)).send().await.expect("head");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "100");
    let last_modified = head.headers()["last-modified"].to_str().expect("date").to_string();
    let again = fetch(&app, &path, &[("If-Modified-Since", &last_modified)]).await;
    assert_eq!(again.status, 304);
    assert!(again.bytes.is_empty());
}

#[tokio::test]
async fn a_plain_string_for_a_file_field_is_refused_and_never_stored() {
    let (app, _admin, _c) = docs_app().await;
    let r = app.post("/api/collections/docs/records", None, json!({"one": "x.txt"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "one"), "validation_invalid_file");
    assert_eq!(r.json["data"]["one"]["params"]["invalidFiles"], json!(["x.txt"]));
    let r = app.post("/api/collections/docs/records", None, json!({"many": ["../../data.db", "y.txt"]})).await;
    assert_eq!(code(&r, "many"), "validation_invalid_file");
    let list = app.get("/api/collections/docs/records", None).await;
    assert_eq!(list.json["totalItems"], 0);

    // an update may keep or drop existing names, never add one
    let ok =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("many", Some("a.txt"), b"a")]).await;
    let id = ok.json["id"].as_str().expect("id");
    let existing = ok.json["many"][0].as_str().expect("name").to_string();
    let invent =
        app.patch(&format!("/api/collections/docs/records/{id}"), None, json!({"many": [existing, "z.txt"]})).await;
    assert_eq!(code(&invent, "many"), "validation_invalid_file");
    let keep = app
        .patch(&format!("/api/collections/docs/records/{id}"), None, json!({"many": [existing], "title": "t"}))
        .await;
    assert_eq!(keep.status, 200, "{}", keep.text);
    assert_eq!(keep.json["many"], json!([existing]));
}

#[tokio::test]
async fn size_count_and_type_limits_use_pocketbase_codes_and_store_nothing() {
    let (app, _admin, _c) = docs_app().await;
    let big = vec![b'x'; 2000];
    let r =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("one", Some("big.txt"), &big)]).await;
    assert_eq!(code(&r, "one"), "validation_file_size_limit", "{}", r.text);
    assert_eq!(r.json["data"]["one"]["params"]["maxSize"], 1000);
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/docs/records",
        None,
        &[
            ("many", Some("a.txt"), b"1"),
            ("many", Some("b.txt"), b"2"),
            ("many", Some("c.txt"), b"3"),
            ("many", Some("d.txt"), b"4"),
        ],
    )
    .await;
    assert_eq!(code(&r, "many"), "validation_too_many_files", "{}", r.text);
    assert_eq!(r.json["data"]["many"]["params"]["maxSelect"], 3);
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/docs/records",
        None,
        &[("many", Some("doc.pdf"), b"%PDF-1.4 fake")],
    )
    .await;
    assert_eq!(code(&r, "many"), "validation_invalid_mime_type", "{}", r.text);
    // a .png name does not make text an image
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/docs/records",
        None,
        &[("many", Some("fake.png"), b"\x00\x01binary")],
    )
    .await;
    assert_eq!(code(&r, "many"), "validation_invalid_mime_type", "{}", r.text);
    assert!(files_under(&storage(&app)).is_empty(), "{:?}", files_under(&storage(&app)));
}

#[tokio::test]
async fn append_remove_and_replace_keep_storage_in_step() {
    let (app, _admin, c) = docs_app().await;
    let cid = c["id"].as_str().expect("cid");
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/docs/records",
        None,
        &[("many", Some("a.txt"), b"a"), ("many", Some("b.txt"), b"b")],
    )
    .await;
    let id = r.json["id"].as_str().expect("id").to_string();
    let (a, b) =
        (r.json["many"][0].as_str().expect("a").to_string(), r.json["many"][1].as_str().expect("b").to_string());
    let dir = storage(&app).join(cid).join(&id);

    let r = send_multipart(
        &app,
        "PATCH",
        &format!("/api/collections/docs/records/{id}"),
        None,
        &[("many+", Some("c.txt"), b"c"), ("many-", None, a.as_bytes())],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names: Vec<String> = serde_json::from_value(r.json["many"].clone()).expect("names");
    assert_eq!(names.len(), 2);
    assert_eq!(names[0], b);
    assert!(names[1].starts_with('c') && names[1].ends_with(".txt"));
    assert!(!dir.join(&a).exists() && !dir.join(format!("{a}.attrs")).exists(), "removed file deleted");
    assert!(dir.join(&names[1]).exists());

    // a plain key with an upload keeps the names listed next to it
    let r = send_multipart(
        &app,
        "PATCH",
        &format!("/api/collections/docs/records/{id}"),
        None,
        &[("many", None, b.as_bytes()), ("many", Some("d.txt"), b"d")],
    )
    .await;
    let names: Vec<String> = serde_json::from_value(r.json["many"].clone()).expect("names");
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], b);
    assert!(names[1].starts_with('d'), "{names:?}");

    // clearing with JSON removes the rest
    let r = app.patch(&format!("/api/collections/docs/records/{id}"), None, json!({"many": []})).await;
    assert_eq!(r.json["many"], json!([]));
    assert!(files_under(&dir).is_empty(), "{:?}", files_under(&dir));

    // replacing a single file deletes the old one (and its thumbs)
    let img = png(40, 30);
    let r = send_multipart(
        &app,
        "PATCH",
        &format!("/api/collections/docs/records/{id}"),
        None,
        &[("one", Some("first.png"), &img)],
    )
    .await;
    let first = r.json["one"].as_str().expect("first").to_string();
    let thumb = fetch(&app, &format!("/api/files/docs/{id}/{first}?thumb=10x10"), &[]).await;
    assert_eq!(thumb.status, 200);
    assert!(dir.join(format!("thumbs_{first}")).join(format!("10x10_{first}")).exists());
    let r = send_multipart(
        &app,
        "PATCH",
        &format!("/api/collections/docs/records/{id}"),
        None,
        &[("one", Some("second.png"), &img)],
    )
    .await;
    let second = r.json["one"].as_str().expect("second").to_string();
    assert!(second.starts_with("second_"));
    assert!(!dir.join(&first).exists());
    assert!(!dir.join(format!("thumbs_{first}")).exists(), "thumbs of a replaced file go too");
    let old = fetch(&app, &format!("/api/files/docs/{id}/{first}"), &[]).await;
    assert_eq!(old.status, 404);
}

#[tokio::test]
async fn deleting_a_record_or_collection_deletes_its_files() {
    let (app, admin, c) = docs_app().await;
    let cid = c["id"].as_str().expect("cid");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r =
            send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("one", Some("x.txt"), b"x")]).await;
        ids.push(r.json["id"].as_str().expect("id").to_string());
    }
    let r = app.delete(&format!("/api/collections/docs/records/{}", ids[0]), None).await;
    assert_eq!(r.status, 204);
    let gone = storage(&app).join(cid).join(&ids[0]);
    assert!(eventually(|| !gone.exists()).await, "record dir deleted");
    assert!(storage(&app).join(cid).join(&ids[1]).exists());
    let r = app.delete("/api/collections/docs", Some(&admin)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let col = storage(&app).join(cid);
    assert!(eventually(|| !col.exists()).await, "collection dir deleted");
}

#[tokio::test]
async fn truncating_or_cascading_deletes_remove_the_files() {
    let (app, admin, c) = docs_app().await;
    let cid = c["id"].as_str().expect("cid");
    let notes = app
        .create_collection(
            &admin,
            json!({"name": "notes", "type": "base", "createRule": "",
                   "fields": [{"name": "doc", "type": "relation", "collectionId": cid, "maxSelect": 1, "cascadeDelete": true},
                              {"name": "att", "type": "file", "maxSelect": 1}]}),
        )
        .await;
    let nid = notes["id"].as_str().expect("nid");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r =
            send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("one", Some("x.txt"), b"x")]).await;
        ids.push(r.json["id"].as_str().expect("id").to_string());
    }
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/notes/records",
        None,
        &[("doc", None, ids[0].as_bytes()), ("att", Some("n.txt"), b"n")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let note_dir = storage(&app).join(nid).join(r.json["id"].as_str().expect("note id"));
    assert_eq!(files_under(&note_dir).len(), 2, "the file and its .attrs");

    let r = app.delete(&format!("/api/collections/{cid}/truncate"), Some(&admin)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(app.get("/api/collections/notes/records", Some(&admin)).await.json["totalItems"], 0, "cascaded");
    let docs_dir = storage(&app).join(cid);
    assert!(eventually(|| files_under(&docs_dir).is_empty()).await, "{:?}", files_under(&docs_dir));
    assert!(eventually(|| !note_dir.exists()).await, "the cascaded record's files are deleted too");
}

#[tokio::test]
async fn removing_names_that_are_not_the_records_deletes_nothing() {
    let (app, _admin, c) = docs_app().await;
    let cid = c["id"].as_str().expect("cid");
    let victim =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("many", Some("v.txt"), b"v")]).await;
    let victim_name = victim.json["many"][0].as_str().expect("v").to_string();
    let victim_file = storage(&app).join(cid).join(victim.json["id"].as_str().expect("vid")).join(&victim_name);
    let r = send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("many", Some("a.txt"), b"a")]).await;
    let id = r.json["id"].as_str().expect("id");
    let own = r.json["many"][0].as_str().expect("own").to_string();
    let db = app.dir.path().join("pb_data").join("data.db");
    for bad in [
        json!({"many-": ["../../../data.db"]}),
        json!({"many-": [format!("../{}/{victim_name}", victim.json["id"].as_str().expect("vid"))]}),
        json!({"many-": [victim_name.clone()]}),
        json!({"many-": ["..\\..\\data.db"]}),
    ] {
        let r = app.patch(&format!("/api/collections/docs/records/{id}"), None, bad.clone()).await;
        assert_eq!(r.status, 200, "{bad}: {}", r.text);
        assert_eq!(r.json["many"], json!([own]), "{bad}");
    }
    assert!(db.exists() && victim_file.exists(), "nothing outside the record's own names is deleted");
    let got =
        fetch(&app, &format!("/api/files/docs/{}/{victim_name}", victim.json["id"].as_str().expect("vid")), &[]).await;
    assert_eq!(got.bytes, b"v");
    // a backslash path in an upload's name is cleaned like PocketBase does
    // (no separators, the dots of `..` end in the extension: `<random>.evil.txt`)
    let r =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("one", Some("..\\..\\evil.txt"), b"e")])
            .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let name = r.json["one"].as_str().expect("name");
    assert!(!name.contains(['/', '\\']) && !name.contains("..") && name.ends_with(".evil.txt"), "{name}");
}

#[tokio::test]
async fn a_failed_create_leaves_no_files_behind() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_collection(
        &admin,
        json!({"name": "gated", "type": "base", "createRule": "title = 'yes'",
               "fields": [{"name": "title", "type": "text"}, {"name": "f", "type": "file", "maxSelect": 1}]}),
    )
    .await;
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/gated/records",
        None,
        &[("title", None, b"no"), ("f", Some("a.txt"), b"a")],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(files_under(&storage(&app)).is_empty(), "{:?}", files_under(&storage(&app)));
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/gated/records",
        None,
        &[("title", None, b"yes"), ("f", Some("a.txt"), b"a")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(files_under(&storage(&app)).len(), 2, "file + sidecar");
}

#[tokio::test]
async fn thumbs_in_every_format_are_generated_once_and_cached() {
    let (app, _admin, c) = docs_app().await;
    let img = png(40, 30);
    let r =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("one", Some("pic.png"), &img)]).await;
    let (id, name) = (r.json["id"].as_str().expect("id").to_string(), r.json["one"].as_str().expect("f").to_string());
    let cases = [
        ("10x10", (10, 10)),
        ("20x0", (20, 15)),
        ("0x15", (20, 15)),
        ("20x10t", (20, 10)),
        ("20x10b", (20, 10)),
        ("20x20f", (20, 15)),
        ("100x100", (100, 100)),
        // not in the field's list: the original
        ("7x7", (40, 30)),
        ("garbage", (40, 30)),
    ];
    for (size, want) in cases {
        let d = fetch(&app, &format!("/api/files/docs/{id}/{name}?thumb={size}"), &[]).await;
        assert_eq!(d.status, 200, "{size}");
        assert_eq!(image_size(&d.bytes), want, "{size}");
        assert_eq!(header(&d, "content-type"), "image/png");
    }
    let thumbs = storage(&app).join(c["id"].as_str().expect("cid")).join(&id).join(format!("thumbs_{name}"));
    let cached = thumbs.join(format!("10x10_{name}"));
    assert!(cached.exists());
    // served from the cache: a marker written into the cached thumb comes back
    let marker = png(3, 3);
    std::fs::write(&cached, &marker).expect("overwrite cache");
    let d = fetch(&app, &format!("/api/files/docs/{id}/{name}?thumb=10x10"), &[]).await;
    assert_eq!(d.bytes, marker);
    assert_eq!(header(&d, "content-disposition"), format!("inline; filename=\"10x10_{name}\""));
}

#[tokio::test]
async fn broken_or_bomb_images_fall_back_to_the_original() {
    let (app, _admin, _c) = docs_app().await;
    // a PNG header claiming 60000 x 60000 pixels
    let mut bomb = png(2, 2);
    bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let r =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("one", Some("bomb.png"), &bomb)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (id, name) = (r.json["id"].as_str().expect("id"), r.json["one"].as_str().expect("f"));
    let d = fetch(&app, &format!("/api/files/docs/{id}/{name}?thumb=10x10"), &[]).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.bytes, bomb, "the original is served");
}

#[tokio::test]
async fn path_traversal_never_reaches_outside_the_storage() {
    let (app, _admin, _c) = docs_app().await;
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/docs/records",
        None,
        &[("one", Some("../../../data.db"), b"evil")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let name = r.json["one"].as_str().expect("name");
    assert!(!name.contains('/') && !name.contains(".."), "{name}");
    let id = r.json["id"].as_str().expect("id");
    let db = std::fs::read(app.dir.path().join("pb_data").join("data.db")).expect("db");
    assert_ne!(db, b"evil");
    for path in [
        format!("/api/files/docs/{id}/..%2f..%2f..%2fdata.db"),
        format!("/api/files/docs/{id}/..%5c..%5cdata.db"),
        format!("/api/files/docs/..%2f..%2f/{name}"),
        format!("/api/files/docs/{id}/%2e%2e"),
        "/api/files/docs/../../data.db".to_string(),
    ] {
        let d = fetch(&app, &path, &[]).await;
        assert_eq!(d.status, 404, "{path}");
        assert!(!d.bytes.starts_with(b"SQLite"), "{path}");
    }
}

#[tokio::test]
async fn truncated_and_malformed_multipart_bodies_are_400() {
    let (app, _admin, _c) = docs_app().await;
    let (ct, body) = multipart(&[("one", Some("a.txt"), b"hello world")]);
    let cut = body[..body.len() - 20].to_vec();
    let r = app.raw("POST", "/api/collections/docs/records", None, &ct, cut).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = app.raw("POST", "/api/collections/docs/records", None, "multipart/form-data", b"junk".to_vec()).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(files_under(&storage(&app)).is_empty());
}

#[tokio::test]
async fn an_empty_file_is_stored_like_pocketbase_does() {
    let (app, _admin, _c) = docs_app().await;
    let r =
        send_multipart(&app, "POST", "/api/collections/docs/records", None, &[("one", Some("empty.txt"), b"")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (id, name) = (r.json["id"].as_str().expect("id"), r.json["one"].as_str().expect("f"));
    let d = fetch(&app, &format!("/api/files/docs/{id}/{name}"), &[]).await;
    assert_eq!(d.status, 200);
    assert!(d.bytes.is_empty());
    assert_eq!(header(&d, "content-length"), "0");
}

async fn file_token(app: &TestApp, auth: &str) -> String {
    let r = app.post("/api/files/token", Some(auth), Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn protected_files_need_a_file_token_and_the_view_rule() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_collection(
        &admin,
        json!({"name": "secret", "type": "base",
               "listRule": "@request.auth.id != ''", "viewRule": "owner = @request.auth.id",
               "fields": [{"name": "owner", "type": "text"}, {"name": "doc", "type": "file", "maxSelect": 1, "protected": true}]}),
    )
    .await;
    let (alice, alice_token) = app.user("alice@example.com", "alice12345678").await;
    let (_bob, bob_token) = app.user("bob@example.com", "bob1234567890").await;
    let alice_id = alice["id"].as_str().expect("id");
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/secret/records",
        Some(&admin),
        &[("owner", None, alice_id.as_bytes()), ("doc", Some("nda.txt"), b"top secret")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let path =
        format!("/api/files/secret/{}/{}", r.json["id"].as_str().expect("id"), r.json["doc"].as_str().expect("doc"));

    assert_eq!(fetch(&app, &path, &[]).await.status, 404, "no token");
    let alice_file = file_token(&app, &alice_token).await;
    let ok = fetch(&app, &format!("{path}?token={alice_file}"), &[]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.bytes, b"top secret");
    let bob_file = file_token(&app, &bob_token).await;
    assert_eq!(fetch(&app, &format!("{path}?token={bob_file}"), &[]).await.status, 404, "view rule applies");
    // an auth token is not a file token, and a forged one is refused
    assert_eq!(fetch(&app, &format!("{path}?token={alice_token}"), &[]).await.status, 404);
    let mut forged = alice_file.clone();
    forged.pop();
    assert_eq!(fetch(&app, &format!("{path}?token={forged}"), &[]).await.status, 404);
    let admin_file = file_token(&app, &admin).await;
    assert_eq!(fetch(&app, &format!("{path}?token={admin_file}"), &[]).await.status, 200, "superusers see all");
    // guests get no token
    assert_eq!(app.post("/api/files/token", None, Value::Null).await.status, 401);
}

#[tokio::test]
async fn expired_or_wrongly_signed_file_tokens_are_refused() {
    use ferrobase::core::auth::tokens::{TokenType, claims, sign};
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_collection(
        &admin,
        json!({"name": "vault", "type": "base", "viewRule": "@request.auth.id != ''",
               "fields": [{"name": "doc", "type": "file", "maxSelect": 1, "protected": true}]}),
    )
    .await;
    let (user, token) = app.user("carol@example.com", "carol1234567").await;
    let r =
        send_multipart(&app, "POST", "/api/collections/vault/records", Some(&admin), &[("doc", Some("a.txt"), b"a")])
            .await;
    let path =
        format!("/api/files/vault/{}/{}", r.json["id"].as_str().expect("id"), r.json["doc"].as_str().expect("doc"));
    let issued =
        app.post("/api/files/token", Some(&token), Value::Null).await.json["token"].as_str().expect("t").to_string();
    assert_eq!(fetch(&app, &format!("{path}?token={issued}"), &[]).await.status, 200);

    // tokens signed like the server does (tokenKey + the collection's secret), with other claims
    let users = app.app.find_collection("users").expect("users");
    let uid = user["id"].as_str().expect("uid");
    let record = app.app.find_record_by_id(&users, uid).expect("user");
    let token_key = record.data["tokenKey"].as_str().expect("tokenKey").to_string();
    let opts = users.auth.as_ref().expect("auth collection");
    let file_key = format!("{token_key}{}", opts.file_token.secret);
    let auth_key = format!("{token_key}{}", opts.auth_token.secret);
    let mint =
        |kind, secs, key: &str| sign(&claims(kind, uid, &users.id, secs, Default::default()), key).expect("sign");
    let valid = mint(TokenType::File, 60, &file_key);
    assert_eq!(fetch(&app, &format!("{path}?token={valid}"), &[]).await.status, 200, "the minted token is right");
    for (why, bad) in [
        ("expired", mint(TokenType::File, -1, &file_key)),
        ("auth secret", mint(TokenType::File, 60, &auth_key)),
        ("auth type", mint(TokenType::Auth, 60, &file_key)),
        ("other key", mint(TokenType::File, 60, "not-the-key")),
    ] {
        let d = fetch(&app, &format!("{path}?token={bad}"), &[]).await;
        assert_eq!(d.status, 404, "{why}");
        assert_ne!(d.bytes, b"a", "{why}");
    }
    // a password change (new tokenKey) revokes the file tokens issued before it
    let r = app
        .patch(
            &format!("/api/collections/users/records/{uid}"),
            Some(&admin),
            json!({"password": "newpass123456", "passwordConfirm": "newpass123456"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(fetch(&app, &format!("{path}?token={issued}"), &[]).await.status, 404, "revoked");
}

#[tokio::test]
async fn view_collections_serve_their_source_files() {
    let (app, admin, _c) = docs_app().await;
    let r = send_multipart(
        &app,
        "POST",
        "/api/collections/docs/records",
        None,
        &[("title", None, b"v"), ("many", Some("a.txt"), b"from the view")],
    )
    .await;
    let name = r.json["many"][0].as_str().expect("name").to_string();
    app.create_collection(
        &admin,
        json!({"name": "docs_view", "type": "view", "listRule": "", "viewRule": "",
               "viewQuery": "SELECT id, title, many FROM docs"}),
    )
    .await;
    let list = app.get("/api/collections/docs_view/records", None).await;
    let vid = list.json["items"][0]["id"].as_str().expect("view id");
    let d = fetch(&app, &format!("/api/files/docs_view/{vid}/{name}"), &[]).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.bytes, b"from the view");
}

#[tokio::test]
async fn batch_uploads_land_in_one_transaction() {
    let (app, admin, c) = docs_app().await;
    let r = app.patch("/api/settings", Some(&admin), json!({"batch": {"enabled": true, "maxRequests": 10}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let payload = json!({"requests": [
        {"method": "POST", "url": "/api/collections/docs/records", "body": {"title": "b1"}},
        {"method": "POST", "url": "/api/collections/docs/records", "body": {"title": "b2"}},
    ]})
    .to_string();
    let r = send_multipart(
        &app,
        "POST",
        "/api/batch",
        None,
        &[
            ("@jsonPayload", None, payload.as_bytes()),
            ("requests.0.one", Some("first.txt"), b"1"),
            ("requests[1].many", Some("second.txt"), b"2"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let first = r.json[0]["body"]["one"].as_str().expect("one");
    let second = r.json[1]["body"]["many"][0].as_str().expect("many");
    assert!(first.starts_with("first_") && second.starts_with("second_"));
    let d =
        fetch(&app, &format!("/api/files/docs/{}/{second}", r.json[1]["body"]["id"].as_str().expect("id")), &[]).await;
    assert_eq!(d.bytes, b"2");

    // a failing sub-request rolls back the files of the ones before it
    let before = files_under(&storage(&app).join(c["id"].as_str().expect("cid")));
    let payload = json!({"requests": [
        {"method": "POST", "url": "/api/collections/docs/records", "body": {"title": "ok"}},
        {"method": "POST", "url": "/api/collections/docs/records", "body": {"one": "invented.txt"}},
    ]})
    .to_string();
    let r = send_multipart(
        &app,
        "POST",
        "/api/batch",
        None,
        &[("@jsonPayload", None, payload.as_bytes()), ("requests.0.one", Some("rolled.txt"), b"r")],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let after = files_under(&storage(&app).join(c["id"].as_str().expect("cid")));
    assert_eq!(before, after, "files of the rolled back sub-request are gone");
}

#[tokio::test]
async fn settings_test_s3_needs_an_enabled_config() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let r = app.post("/api/settings/test/s3", Some(&admin), json!({"filesystem": "storage"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.json["message"].as_str().unwrap_or_default().contains("not enabled"), "{}", r.text);
    let r = app.post("/api/settings/test/s3", Some(&admin), json!({"filesystem": "other"})).await;
    assert_eq!(code(&r, "filesystem"), "validation_in_invalid");
    let r = app.post("/api/settings/test/s3", Some(&admin), json!({})).await;
    assert_eq!(code(&r, "filesystem"), "validation_required");
    let r = app.post("/api/settings/test/s3", None, json!({"filesystem": "storage"})).await;
    assert_eq!(r.status, 401);
}

/// A copy of the PocketBase-written fixture data dir, storage included.
async fn pocketbase_fixture_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pb_data_0.40.6");
    let dst = dir.path().join("pb_data");
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read fixture").flatten() {
            let p = e.path();
            let target = dst.join(p.strip_prefix(&src).expect("under src"));
            if p.is_dir() {
                stack.push(p);
            } else {
                std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
                std::fs::copy(&p, &target).expect("copy");
            }
        }
    }
    crate::common::spawn_app_in(dir).await
}

#[tokio::test]
async fn files_written_by_pocketbase_serve_unchanged() {
    let app = pocketbase_fixture_app().await;
    let admin = app.admin_token().await;
    let r = app.get("/api/collections/attachments/records/fixturefile0001", Some(&admin)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cover = r.json["cover"].as_str().expect("cover").to_string();
    let docs: Vec<String> = serde_json::from_value(r.json["docs"].clone()).expect("docs");
    let private = r.json["private"].as_str().expect("private").to_string();
    assert!(cover.starts_with("cover_") && docs.len() == 2 && private.starts_with("secret_"));

    let notes = docs.iter().find(|d| d.starts_with("notes_")).expect("notes");
    let d = fetch(&app, &format!("/api/files/attachments/fixturefile0001/{notes}"), &[]).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.bytes, b"fixture notes\n");
    assert_eq!(header(&d, "content-type"), "text/plain; charset=utf-8", "content type from PocketBase's sidecar");

    let d = fetch(&app, &format!("/api/files/attachments/fixturefile0001/{cover}"), &[]).await;
    assert_eq!(image_size(&d.bytes), (40, 30));
    // the thumb PocketBase cached is served as it is
    let cid = r.json["collectionId"].as_str().expect("cid");
    let cached = std::fs::read(
        app.dir
            .path()
            .join("pb_data/storage")
            .join(cid)
            .join("fixturefile0001")
            .join(format!("thumbs_{cover}"))
            .join(format!("20x0_{cover}")),
    )
    .expect("cached thumb");
    let t = fetch(&app, &format!("/api/files/attachments/fixturefile0001/{cover}?thumb=20x0"), &[]).await;
    assert_eq!(t.bytes, cached);
    assert_eq!(image_size(&t.bytes), (20, 15));
    // and a new one is generated next to it
    let t = fetch(&app, &format!("/api/files/attachments/fixturefile0001/{cover}?thumb=100x100"), &[]).await;
    assert_eq!(image_size(&t.bytes), (100, 100));

    // the protected file needs a token from the fixture's user
    let path = format!("/api/files/attachments/fixturefile0001/{private}");
    assert_eq!(fetch(&app, &path, &[]).await.status, 404);
    let login = app
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "user@example.com", "password": "userpass123"}),
        )
        .await;
    let token = login.json["token"].as_str().expect("token");
    let ft = app.post("/api/files/token", Some(token), Value::Null).await;
    let d = fetch(&app, &format!("{path}?token={}", ft.json["token"].as_str().expect("file token")), &[]).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.bytes, b"fixture secret\n");

    // removing one of PocketBase's files deletes it and its sidecar
    let r =
        app.patch("/api/collections/attachments/records/fixturefile0001", Some(&admin), json!({"docs-": notes})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let dir = app.dir.path().join("pb_data/storage").join(cid).join("fixturefile0001");
    assert!(!dir.join(notes).exists() && !dir.join(format!("{notes}.attrs")).exists());
}
