//! The security settings PocketBase enforces: `rateLimits` (429 per rule
//! label and audience), `superuserIPs` (403), `trustedProxy` (which client
//! IP counts), `batch.timeout` and `batch.maxBodySize`; and a request log
//! that records only verified identities.

use serde_json::{Value, json};

use crate::common::{TestApp, spawn_app, spawn_app_with_hooks};

async fn patch_settings(t: &TestApp, admin: &str, body: Value) {
    let r = t.patch("/api/settings", Some(admin), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn public_posts(t: &TestApp, admin: &str) {
    t.create_collection(
        admin,
        json!({"name": "posts", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "title", "type": "text"}]}),
    )
    .await;
}

async fn get_with(t: &TestApp, path: &str, headers: &[(&str, &str)]) -> crate::common::Res {
    let mut rb = t.client.get(format!("{}{path}", t.base));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let r = rb.send().await.expect("sent");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    crate::common::Res {
        status,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        headers: Default::default(),
    }
}

#[tokio::test]
async fn rate_limit_rules_answer_429_per_label_and_audience() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    public_posts(&t, &admin).await;
    patch_settings(
        &t,
        &admin,
        json!({"rateLimits": {"enabled": true, "rules": [
            {"label": "*:create", "duration": 60, "maxRequests": 2, "audience": ""},
            {"label": "posts:list", "duration": 60, "maxRequests": 1, "audience": "@guest"},
            {"label": "/api/health", "duration": 60, "maxRequests": 3, "audience": ""}
        ]}}),
    )
    .await;
    for i in 0..2 {
        let r = t.post("/api/collections/posts/records", None, json!({"title": format!("p{i}")})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = t.post("/api/collections/posts/records", None, json!({"title": "too many"})).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.json["status"], 429);
    assert_eq!(r.json["data"], json!({}));
    // superusers are never limited
    let r = t.post("/api/collections/posts/records", Some(&admin), json!({"title": "admin"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // the guest-only rule does not count a signed-in user
    assert_eq!(t.get("/api/collections/posts/records", None).await.status, 200);
    assert_eq!(t.get("/api/collections/posts/records", None).await.status, 429);
    let (_, user) = t.user("u@example.com", "userpass12").await;
    assert_eq!(t.get("/api/collections/posts/records", Some(&user)).await.status, 200);
    assert_eq!(t.get("/api/collections/posts/records", Some(&user)).await.status, 200);
    // a path label
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(t.get("/api/health", None).await.status);
        }
        v
    };
    assert_eq!(statuses, [200, 200, 200, 429]);
    // a settings change starts every window afresh
    patch_settings(&t, &admin, json!({"rateLimits": {"enabled": false}})).await;
    assert_eq!(t.get("/api/health", None).await.status, 200);
}

#[tokio::test]
async fn batch_sub_requests_count_against_collection_rules() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    public_posts(&t, &admin).await;
    patch_settings(
        &t,
        &admin,
        json!({"batch": {"enabled": true},
               "rateLimits": {"enabled": true, "rules": [{"label": "posts:create", "duration": 60, "maxRequests": 2, "audience": ""}]}}),
    )
    .await;
    let create = json!({"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "b"}});
    let r = t.post("/api/batch", None, json!({"requests": [create.clone(), create.clone(), create]})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["data"]["requests"]["2"]["response"]["status"], 429, "{}", r.text);
    let list = t.get("/api/collections/posts/records", Some(&admin)).await;
    assert_eq!(list.json["totalItems"], 0, "the batch rolled back");
}

#[tokio::test]
async fn superuser_ips_refuse_superusers_from_elsewhere() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let app = t.app.clone();
    tokio::task::spawn_blocking(move || {
        let mut s = (*app.settings()).clone();
        s.superuser_ips = vec!["10.1.2.3".into(), "192.168.0.0/16".into()];
        app.save_settings(s).expect("settings");
    })
    .await
    .expect("join");
    let r = t.get("/api/settings", Some(&admin)).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // nor does a superuser get a token from there
    let r = t
        .post(
            "/api/collections/_superusers/auth-with-password",
            None,
            json!({"identity": crate::common::ADMIN_EMAIL, "password": crate::common::ADMIN_PASS}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    // guests and users are not affected
    assert_eq!(t.get("/api/health", None).await.status, 200);
    let (_, user) = t.user("u@example.com", "userpass12").await;
    assert_eq!(t.get("/api/collections/users/records", Some(&user)).await.status, 200);
    // 127.0.0.1 in the list lets the superuser in again
    let app = t.app.clone();
    tokio::task::spawn_blocking(move || {
        let mut s = (*app.settings()).clone();
        s.superuser_ips.push("127.0.0.0/8".into());
        app.save_settings(s).expect("settings");
    })
    .await
    .expect("join");
    assert_eq!(t.get("/api/settings", Some(&admin)).await.status, 200);
}

#[tokio::test]
async fn only_trusted_proxy_headers_change_the_client_ip() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    patch_settings(
        &t,
        &admin,
        json!({"rateLimits": {"enabled": true, "rules": [{"label": "/api/health", "duration": 60, "maxRequests": 1, "audience": ""}]}}),
    )
    .await;
    // untrusted: a spoofed header does not make a new client
    assert_eq!(get_with(&t, "/api/health", &[("X-Forwarded-For", "1.1.1.1")]).await.status, 200);
    assert_eq!(get_with(&t, "/api/health", &[("X-Forwarded-For", "2.2.2.2")]).await.status, 429);
    patch_settings(&t, &admin, json!({"trustedProxy": {"headers": ["X-Forwarded-For"], "useLeftmostIP": false}})).await;
    assert_eq!(get_with(&t, "/api/health", &[("X-Forwarded-For", "9.9.9.9, 1.1.1.1")]).await.status, 200);
    assert_eq!(get_with(&t, "/api/health", &[("X-Forwarded-For", "9.9.9.9, 1.1.1.1")]).await.status, 429);
    assert_eq!(get_with(&t, "/api/health", &[("X-Forwarded-For", "9.9.9.9, 2.2.2.2")]).await.status, 200);
    // the superuser sees the IP health computed
    let r = get_with(&t, "/api/health", &[("X-Forwarded-For", "8.8.8.8"), ("Authorization", &admin)]).await;
    assert_eq!(r.json["data"]["realIP"], "8.8.8.8", "{}", r.text);
    assert_eq!(r.json["data"]["possibleProxyHeader"], "X-Forwarded-For");
    assert_eq!(r.json["data"]["canBackup"], true);
}

#[tokio::test]
async fn batch_timeout_and_body_size_are_enforced() {
    let t = spawn_app_with_hooks(
        &[(
            "slow.pb.js",
            r#"onRecordCreateRequest((e) => { const end = Date.now() + 700; while (Date.now() < end) {} e.next(); }, "posts");"#,
        )],
        |_| {},
    )
    .await;
    let admin = t.admin_token().await;
    public_posts(&t, &admin).await;
    patch_settings(&t, &admin, json!({"batch": {"enabled": true, "timeout": 1, "maxBodySize": 2000}})).await;
    let create = json!({"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "b"}});
    let r = t.post("/api/batch", None, json!({"requests": [create.clone(), create.clone(), create.clone()]})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "Batch transaction failed.");
    assert_eq!(t.get("/api/collections/posts/records", Some(&admin)).await.json["totalItems"], 0);
    let big = json!({"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "x".repeat(3000)}});
    let r = t.post("/api/batch", None, json!({ "requests": [big] })).await;
    assert_eq!(r.status, 413, "{}", r.text);
}

#[tokio::test]
async fn request_log_auth_comes_from_verified_tokens_only() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    // a token with the superusers' collectionId and a forged signature
    let claims = ferrobase::core::auth::tokens::peek(&admin).expect("claims");
    let forged = {
        let parts: Vec<&str> = admin.split('.').collect();
        format!("{}.{}.{}", parts[0], parts[1], "AAAA".repeat(10))
    };
    assert!(!claims.collection_id.is_empty());
    get_with(&t, "/api/health?forged=1", &[("Authorization", &forged)]).await;
    get_with(&t, "/api/health?real=1", &[("Authorization", &admin)]).await;
    let find = |items: &Value, marker: &str| {
        items.as_array().and_then(|a| a.iter().find(|i| i["data"]["url"] == format!("/api/health?{marker}=1")).cloned())
    };
    let mut entries = (None, None);
    for _ in 0..100 {
        let list = t.get("/api/logs?perPage=200", Some(&admin)).await;
        entries = (find(&list.json["items"], "forged"), find(&list.json["items"], "real"));
        if entries.0.is_some() && entries.1.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (forged_entry, real_entry) = (entries.0.expect("forged logged"), entries.1.expect("real logged"));
    assert_eq!(forged_entry["data"]["auth"], "", "a forged token is a guest in the log");
    assert_eq!(real_entry["data"]["auth"], "_superusers");
}

#[tokio::test]
async fn successful_log_api_calls_are_not_logged_but_failures_are() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    assert_eq!(t.get("/api/logs?marker=ok", Some(&admin)).await.status, 200);
    assert_eq!(t.get("/api/logs?marker=denied", None).await.status, 401);
    get_with(&t, "/api/health?marker=flush", &[]).await;
    let mut urls: Vec<String> = Vec::new();
    for _ in 0..100 {
        let list = t.get("/api/logs?perPage=200", Some(&admin)).await;
        urls = list.json["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["data"]["url"].as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if urls.iter().any(|u| u.contains("marker=flush")) && urls.iter().any(|u| u.contains("marker=denied")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(urls.iter().any(|u| u.contains("marker=denied")), "a failed call is logged: {urls:?}");
    assert!(!urls.iter().any(|u| u.starts_with("/api/logs") && !u.contains("denied")), "{urls:?}");
}
