//! The commented examples in `pb_hooks_examples/` loaded together into a
//! server, checked over HTTP.

use std::time::Duration;

use axum::Json;
use axum::routing::post;
use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app_with_hooks};

async fn spawn_examples() -> TestApp {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pb_hooks_examples");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("pb_hooks_examples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".pb.js") || p.to_string_lossy().ends_with(".pb.ts"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (name, std::fs::read_to_string(&p).expect("example"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 6, "examples: {files:?}");
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    spawn_app_with_hooks(&refs, |_| {}).await
}

async fn collections(t: &TestApp, tok: &str) {
    t.create_collection(
        tok,
        json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "slug", "type": "text"},
                {"name": "body", "type": "text"}, {"name": "status", "type": "text"}]}),
    )
    .await;
    t.create_collection(
        tok,
        json!({"name": "accounts", "listRule": "", "viewRule": "",
            "fields": [{"name": "name", "type": "text"}, {"name": "balance", "type": "number"}]}),
    )
    .await;
}

#[tokio::test]
async fn route_and_auth_guard_examples() {
    let t = spawn_examples().await;
    let hello = t.get("/api/examples/hello/Ada?greeting=Hi", None).await;
    assert_eq!(hello.json, json!({"message": "Hi, Ada!"}));
    assert_eq!(t.post("/api/examples/sum", None, json!({"numbers": [1, 2, 3]})).await.json, json!({"sum": 6}));
    let bad = t.post("/api/examples/sum", None, json!({"numbers": 5})).await;
    assert_eq!((bad.status, bad.json["data"]["numbers"]["code"].as_str()), (400, Some("validation_invalid_array")));

    let admin = t.admin_token().await;
    let (user, tok) = t.user("ada@example.com", "12345678").await;
    assert_eq!(t.get("/api/examples/me", None).await.status, 401);
    assert_eq!(t.get("/api/examples/me", Some(&admin)).await.status, 403);
    let me = t.get("/api/examples/me", Some(&tok)).await;
    assert_eq!(me.json, json!({"id": user["id"], "email": "ada@example.com", "verified": false}));
    let unverified = t.get("/api/examples/verified-only", Some(&tok)).await;
    assert_eq!((unverified.status, unverified.json["message"].as_str()), (403, Some("Verify your email first.")));
    assert_eq!(t.get("/api/examples/stats", Some(&tok)).await.status, 403);
    assert_eq!(t.get("/api/examples/stats", Some(&admin)).await.json, json!({"users": 1}));
}

#[tokio::test]
async fn record_hook_and_cron_examples() {
    let t = spawn_examples().await;
    let admin = t.admin_token().await;
    collections(&t, &admin).await;
    let post = t
        .post(
            "/api/collections/posts/records",
            None,
            json!({"title": "Hello, Rust World!", "body": "word ".repeat(450)}),
        )
        .await;
    assert_eq!(post.status, 200, "{}", post.text);
    assert_eq!(post.json["readingMinutes"], 3);
    assert!(post.json.get("slug").is_none(), "hidden from guests by the enrich hook: {}", post.json);
    let id = post.json["id"].as_str().unwrap_or_default();
    let seen = t.get(&format!("/api/collections/posts/records/{id}"), Some(&admin)).await;
    assert_eq!((seen.json["slug"].as_str(), seen.json["readingMinutes"].as_i64()), (Some("hello-rust-world"), Some(3)));
    let trash = t.post("/api/collections/posts/records", None, json!({"title": "old", "status": "trash"})).await;
    assert_eq!(trash.status, 200);

    let crons = t.get("/api/crons", Some(&admin)).await;
    assert_eq!(crons.json[0], json!({"id": "examples_empty_trash", "expression": "*/10 * * * *"}));
    assert_eq!(t.post("/api/crons/examples_empty_trash", Some(&admin), Value::Null).await.status, 204);
    let path = format!("/api/collections/posts/records/{}", trash.json["id"].as_str().unwrap_or_default());
    let mut status = 200;
    for _ in 0..100 {
        status = t.get(&path, None).await.status;
        if status == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 404, "the cron job emptied the trash");
    assert_eq!(t.get("/api/collections/posts/records", None).await.json["totalItems"], 1);
}

#[tokio::test]
async fn http_send_example_calls_a_local_server() {
    let upstream = axum::Router::new()
        .route("/hook", post(|Json(body): Json<Value>| async move { Json(json!({"received": body["from"]})) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, upstream).await;
    });
    let t = spawn_examples().await;
    let admin = t.admin_token().await;
    assert_eq!(t.post("/api/examples/ping", None, json!({"url": url})).await.status, 401);
    let r = t.post("/api/examples/ping", Some(&admin), json!({"url": url})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json, json!({"status": 200, "contentType": "application/json", "answer": {"received": "ferrobase"}}));
}

#[tokio::test]
async fn fetch_example_awaits_two_requests_at_once() {
    let upstream = axum::Router::new()
        .route("/a", axum::routing::get(|| async { "from a" }))
        .route("/b", axum::routing::get(|| async { (axum::http::StatusCode::NOT_FOUND, "no b") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, upstream).await;
    });
    let t = spawn_examples().await;
    let admin = t.admin_token().await;
    let body = json!({"a": format!("{base}/a"), "b": format!("{base}/b")});
    assert_eq!(t.post("/api/examples/fetch-both", None, body.clone()).await.status, 401);
    let r = t.post("/api/examples/fetch-both", Some(&admin), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"a": {"status": 200, "ok": true, "body": "from a"}, "b": {"status": 404, "ok": false, "body": "no b"}})
    );
}

#[tokio::test]
async fn transaction_example_moves_money_or_nothing() {
    let t = spawn_examples().await;
    let admin = t.admin_token().await;
    collections(&t, &admin).await;
    let mut ids = Vec::new();
    for (name, balance) in [("a", 100), ("b", 0)] {
        let r =
            t.post("/api/collections/accounts/records", Some(&admin), json!({"name": name, "balance": balance})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        ids.push(r.json["id"].as_str().unwrap_or_default().to_string());
    }
    let balances = || async {
        let mut out = Vec::new();
        for id in &ids {
            out.push(t.get(&format!("/api/collections/accounts/records/{id}"), None).await.json["balance"].clone());
        }
        out
    };
    let ok = t.post("/api/examples/transfer", Some(&admin), json!({"from": ids[0], "to": ids[1], "amount": 30})).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(balances().await, [json!(70), json!(30)]);
    let too_much =
        t.post("/api/examples/transfer", Some(&admin), json!({"from": ids[0], "to": ids[1], "amount": 500})).await;
    assert_eq!((too_much.status, too_much.json["message"].as_str()), (400, Some("Insufficient funds.")));
    assert_eq!(balances().await, [json!(70), json!(30)], "the credit was rolled back");
}

#[tokio::test]
async fn serve_and_preview_examples() {
    let t = spawn_examples().await;
    let clock = t.get("/examples/clock/Asia/Tokyo", None).await;
    assert_eq!((clock.status, clock.json["offset"].clone()), (200, json!(32400)), "{}", clock.text);
    assert!(clock.json["now"].as_str().is_some_and(|n| n.ends_with(" JST")), "{}", clock.text);
    assert_eq!(clock.headers["x-example"], "serve");
    let admin = t.admin_token().await;
    collections(&t, &admin).await;
    let preview = t.post("/api/collections/posts/records?preview=1", None, json!({"title": "Draft"})).await;
    assert_eq!(preview.json, json!({"preview": true, "title": "Draft"}));
    let list = t.get("/api/collections/posts/records", Some(&admin)).await;
    assert_eq!(list.json["totalItems"], 0, "a preview saves nothing");
}
