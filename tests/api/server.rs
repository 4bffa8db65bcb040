//! Server-wide behaviour: installer link, static files, CORS, request logs,
//! settings.

use serde_json::json;

use crate::common::{Options, spawn_with};

#[tokio::test]
async fn installer_token_creates_the_first_superuser_and_retires() {
    let t = spawn_with(tempfile::tempdir().expect("tmp"), Options { superuser: false, ..Options::default() }).await;
    let app = t.app.clone();
    let token = tokio::task::spawn_blocking(move || app.installer_token().expect("token"))
        .await
        .expect("join")
        .expect("no superuser yet");
    let claims = ferrobase::core::auth::tokens::peek(&token).expect("jwt");
    assert_eq!(claims.collection_id, "pbc_3142635823");
    assert_eq!(claims.extra["refreshable"], false);
    let r = t
        .post(
            "/api/collections/_superusers/records",
            Some(&token),
            json!({"email": "first@example.com", "password": "firstpass123", "passwordConfirm": "firstpass123"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // the installer account is gone, so its token no longer works
    assert_eq!(t.get("/api/collections", Some(&token)).await.status, 401);
    let login = t
        .post(
            "/api/collections/_superusers/auth-with-password",
            None,
            json!({"identity": "first@example.com", "password": "firstpass123"}),
        )
        .await;
    assert_eq!(login.status, 200);
    let app = t.app.clone();
    assert!(tokio::task::spawn_blocking(move || app.installer_token().expect("token")).await.expect("join").is_none());
}

#[tokio::test]
async fn static_files_with_index_fallback() {
    let dir = tempfile::tempdir().expect("tmp");
    let public = dir.path().join("pb_public");
    std::fs::create_dir_all(public.join("css")).expect("mkdir");
    std::fs::write(public.join("index.html"), "<h1>home</h1>").expect("write");
    std::fs::write(public.join("css/app.css"), "body{}").expect("write");
    let t = spawn_with(dir, Options { public_dir: true, ..Options::default() }).await;
    assert_eq!(t.get("/css/app.css", None).await.text, "body{}");
    assert_eq!(t.get("/", None).await.text, "<h1>home</h1>");
    assert_eq!(t.get("/some/spa/route", None).await.text, "<h1>home</h1>");
    let api = t.get("/api/unknown", None).await;
    assert_eq!(api.status, 404);
    assert_eq!(api.json["message"], "File not found.");
}

#[tokio::test]
async fn cors_follows_origins() {
    let t = spawn_with(
        tempfile::tempdir().expect("tmp"),
        Options { origins: vec!["https://good.test".into()], ..Options::default() },
    )
    .await;
    let ok = t
        .client
        .get(format!("{}/api/health", t.base))
        .header("Origin", "https://good.test")
        .send()
        .await
        .expect("send");
    assert_eq!(
        ok.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap_or_default()),
        Some("https://good.test")
    );
    let bad = t
        .client
        .get(format!("{}/api/health", t.base))
        .header("Origin", "https://evil.test")
        .send()
        .await
        .expect("send");
    assert!(bad.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn requests_are_logged_and_listed_for_superusers() {
    let t = spawn_with(tempfile::tempdir().expect("tmp"), Options::default()).await;
    let tok = t.admin_token().await;
    t.get("/api/health?marker=1", None).await;
    let mut found = None;
    for _ in 0..100 {
        let list = t.get("/api/logs?perPage=100", Some(&tok)).await;
        assert_eq!(list.status, 200, "{}", list.text);
        found = list.json["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["data"]["url"] == "/api/health?marker=1").cloned());
        if found.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let entry = found.expect("request logged");
    assert_eq!(entry["data"]["method"], "GET");
    assert_eq!(entry["data"]["status"], 200);
    assert_eq!(entry["data"]["type"], "request");
    let one = t.get(&format!("/api/logs/{}", entry["id"].as_str().expect("id")), Some(&tok)).await;
    assert_eq!(one.json["id"], entry["id"]);
    let stats = t.get("/api/logs/stats", Some(&tok)).await;
    assert!(stats.json.as_array().is_some_and(|s| !s.is_empty() && s[0]["total"].is_number()));
    assert_eq!(t.get("/api/logs", None).await.status, 401);
}

#[tokio::test]
async fn settings_are_patched_validated_and_secret_free() {
    let t = spawn_with(tempfile::tempdir().expect("tmp"), Options::default()).await;
    let tok = t.admin_token().await;
    let s = t.get("/api/settings", Some(&tok)).await;
    assert_eq!(s.json["meta"]["appName"], "Acme");
    assert_eq!(s.json["batch"]["enabled"], false);
    let u = t
        .patch("/api/settings", Some(&tok), json!({"meta": {"appName": "Mine"}, "smtp": {"password": "hunter2"}}))
        .await;
    assert_eq!(u.json["meta"]["appName"], "Mine");
    assert!(u.json["smtp"].get("password").is_none(), "secrets are left out like PocketBase: {}", u.text);
    assert_eq!(u.json["meta"]["senderAddress"], "support@example.com");
    let bad = t.patch("/api/settings", Some(&tok), json!({"meta": {"appName": ""}})).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json["data"]["meta"]["appName"]["code"], "validation_required");
    assert_eq!(t.app.settings().smtp.password, "hunter2");
}
