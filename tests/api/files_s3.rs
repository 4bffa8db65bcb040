//! File storage on a real S3-compatible server: `moto_server` (PyPI
//! `moto[server]`, installed by `.ci/run`) started by the test on a free
//! loopback port. Uploads, downloads, thumbs, replace/delete cleanup and
//! `POST /api/settings/test/s3` all go through the S3 API.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::spawn_app;

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_moto() -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto[server] is installed (pip install 'moto[server]'; .ci/run does it)");
    let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(&moto.endpoint).send().await.is_ok() {
            return moto;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("moto_server did not start on {}", moto.endpoint);
}

/// Object keys of a bucket under a prefix (moto needs no signature).
async fn keys(endpoint: &str, bucket: &str, prefix: &str) -> Vec<String> {
    let xml = reqwest::get(format!("{endpoint}/{bucket}?list-type=2&prefix={prefix}"))
        .await
        .expect("list")
        .text()
        .await
        .expect("xml");
    xml.split("<Key>").skip(1).filter_map(|s| s.split("</Key>").next()).map(str::to_string).collect()
}

fn multipart(name: &str, filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----s3-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn record_files_round_trip_through_s3() {
    let moto = start_moto().await;
    let client = reqwest::Client::new();
    let created = client.put(format!("{}/ferrobase-files", moto.endpoint)).send().await.expect("bucket");
    assert!(created.status().is_success(), "create bucket: {}", created.status());

    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let s3 = json!({"enabled": true, "bucket": "ferrobase-files", "region": "us-east-1",
                    "endpoint": moto.endpoint, "accessKey": "test", "secret": "test", "forcePathStyle": true});
    let r = app.patch("/api/settings", Some(&admin), json!({"s3": s3})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.post("/api/settings/test/s3", Some(&admin), json!({"filesystem": "storage"})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(keys(&moto.endpoint, "ferrobase-files", "pb_settings_test_").await.is_empty(), "test file removed");
    // backups S3 is still off
    let r = app.post("/api/settings/test/s3", Some(&admin), json!({"filesystem": "backups"})).await;
    assert_eq!(r.status, 400);

    let c = app
        .create_collection(
            &admin,
            json!({"name": "media", "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
                   "fields": [{"name": "pic", "type": "file", "maxSelect": 1, "thumbs": ["10x0"]}]}),
        )
        .await;
    let cid = c["id"].as_str().expect("cid").to_string();
    let img = crate::files::png(40, 20);
    let (ct, body) = multipart("pic", "photo.png", &img);
    let r = app.raw("POST", "/api/collections/media/records", None, &ct, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["id"].as_str().expect("id").to_string();
    let name = r.json["pic"].as_str().expect("name").to_string();
    let stored = keys(&moto.endpoint, "ferrobase-files", &format!("{cid}/{id}/")).await;
    assert_eq!(stored, vec![format!("{cid}/{id}/{name}")], "one object, no sidecar on S3");
    assert!(!app.dir.path().join("pb_data/storage").join(&cid).exists(), "nothing stored locally");

    // the object carries PocketBase's attributes (read back with a signed HEAD)
    let fs = app.app.new_filesystem().expect("s3 filesystem");
    assert!(!fs.is_local());
    let attrs = fs.attributes(&format!("{cid}/{id}/{name}")).await.expect("head");
    assert_eq!(attrs.content_type, "image/png");
    assert_eq!(attrs.meta("original-filename"), Some("photo.png"));
    assert_eq!(attrs.size, img.len() as u64);

    let got = client.get(format!("{}/api/files/media/{id}/{name}", app.base)).send().await.expect("download");
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), img.as_slice());
    let part = client
        .get(format!("{}/api/files/media/{id}/{name}", app.base))
        .header("Range", "bytes=0-7")
        .send()
        .await
        .expect("range");
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.expect("bytes").as_ref(), &img[..8]);

    let thumb = client.get(format!("{}/api/files/media/{id}/{name}?thumb=10x0", app.base)).send().await.expect("thumb");
    let thumb = image::load_from_memory(&thumb.bytes().await.expect("bytes")).expect("image");
    assert_eq!((thumb.width(), thumb.height()), (10, 5));
    let stored = keys(&moto.endpoint, "ferrobase-files", &format!("{cid}/{id}/thumbs_{name}/")).await;
    assert_eq!(stored, vec![format!("{cid}/{id}/thumbs_{name}/10x0_{name}")]);

    // replacing removes the old object and its thumbs
    let (ct, body) = multipart("pic", "second.png", &img);
    let r = app.raw("PATCH", &format!("/api/collections/media/records/{id}"), None, &ct, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let second = r.json["pic"].as_str().expect("name").to_string();
    let stored = keys(&moto.endpoint, "ferrobase-files", &format!("{cid}/{id}/")).await;
    assert_eq!(stored, vec![format!("{cid}/{id}/{second}")]);

    // deleting the record deletes its objects
    let r = app.delete(&format!("/api/collections/media/records/{id}"), None).await;
    assert_eq!(r.status, 204);
    let mut left = Vec::new();
    for _ in 0..100 {
        left = keys(&moto.endpoint, "ferrobase-files", &format!("{cid}/")).await;
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn test_s3_reports_a_bad_bucket() {
    let moto = start_moto().await;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let s3 = json!({"enabled": true, "bucket": "missing-bucket", "region": "us-east-1",
                    "endpoint": moto.endpoint, "accessKey": "test", "secret": "test", "forcePathStyle": true});
    let r = app.patch("/api/settings", Some(&admin), json!({"backups": {"s3": s3}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.post("/api/settings/test/s3", Some(&admin), json!({"filesystem": "backups"})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let message = r.json["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("Failed to test the S3 filesystem."), "{message}");
    assert_eq!(r.json["data"], Value::Object(Default::default()));
}
