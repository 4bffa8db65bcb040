//! Health, superuser auth, tokens and the superuser-only guard.

use serde_json::json;

use crate::common::{ADMIN_EMAIL, ADMIN_PASS, spawn_app};

#[tokio::test]
async fn health_answers_with_code_message_data() {
    let t = spawn_app().await;
    let r = t.get("/api/health", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["code"], 200);
    assert_eq!(r.json["message"], "API is healthy.");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn superuser_login_returns_token_and_record_without_secrets() {
    let t = spawn_app().await;
    let r = t
        .post(
            "/api/collections/_superusers/auth-with-password",
            None,
            json!({"identity": ADMIN_EMAIL, "password": ADMIN_PASS}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["record"]["email"], ADMIN_EMAIL);
    assert_eq!(r.json["record"]["collectionName"], "_superusers");
    assert!(r.json["record"].get("password").is_none());
    assert!(r.json["record"].get("tokenKey").is_none());
    assert_eq!(r.json["token"].as_str().map(|t| t.split('.').count()), Some(3));
}

#[tokio::test]
async fn wrong_password_and_unknown_identity_get_the_same_400() {
    let t = spawn_app().await;
    let a = t
        .post(
            "/api/collections/_superusers/auth-with-password",
            None,
            json!({"identity": ADMIN_EMAIL, "password": "wrong-password"}),
        )
        .await;
    let b = t
        .post(
            "/api/collections/_superusers/auth-with-password",
            None,
            json!({"identity": "nobody@example.com", "password": ADMIN_PASS}),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json, b.json);
    assert_eq!(a.json["message"], "Failed to authenticate.");
}

#[tokio::test]
async fn bearer_prefix_and_raw_token_both_work() {
    let t = spawn_app().await;
    let token = t.admin_token().await;
    assert_eq!(t.get("/api/collections", Some(&token)).await.status, 200);
    assert_eq!(t.get("/api/collections", Some(&format!("Bearer {token}"))).await.status, 200);
}

#[tokio::test]
async fn superuser_routes_reject_guests_forged_tokens_and_users() {
    let t = spawn_app().await;
    assert_eq!(t.get("/api/collections", None).await.status, 401);
    let token = t.admin_token().await;
    // flip a character of the signature
    let mut forged = token.clone();
    let last = forged.pop().expect("non-empty");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(t.get("/api/collections", Some(&forged)).await.status, 401);
    let (_, user_token) = t.user("u@example.com", "password123").await;
    let r = t.get("/api/collections", Some(&user_token)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json["status"], 403);
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let t = spawn_app().await;
    let app = t.app.clone();
    let token = tokio::task::spawn_blocking(move || {
        let su = app.superusers().expect("superusers");
        let rec = app.find_auth_record_by_field(&su, "email", ADMIN_EMAIL).expect("admin");
        app.new_record_token(&rec, ferrobase::core::auth::tokens::TokenType::Auth, Some(-5), Default::default())
            .expect("token")
    })
    .await
    .expect("join");
    assert_eq!(t.get("/api/collections", Some(&token)).await.status, 401);
}

#[tokio::test]
async fn auth_refresh_issues_a_new_token_and_needs_auth() {
    let t = spawn_app().await;
    let token = t.admin_token().await;
    let r = t.post("/api/collections/_superusers/auth-refresh", Some(&token), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["record"]["email"], ADMIN_EMAIL);
    let fresh = r.json["token"].as_str().expect("token");
    assert_eq!(t.get("/api/collections", Some(fresh)).await.status, 200);
    assert_eq!(t.post("/api/collections/_superusers/auth-refresh", None, json!({})).await.status, 401);
}

#[tokio::test]
async fn password_change_invalidates_old_tokens() {
    let t = spawn_app().await;
    let (user, token) = t.user("jane@example.com", "janepass123").await;
    let id = user["id"].as_str().expect("id");
    let r = t
        .patch(
            &format!("/api/collections/users/records/{id}"),
            Some(&token),
            json!({"oldPassword": "janepass123", "password": "newpass1234", "passwordConfirm": "newpass1234"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(t.post("/api/collections/users/auth-refresh", Some(&token), json!({})).await.status, 401);
}

#[tokio::test]
async fn unknown_api_route_is_a_json_404() {
    let t = spawn_app().await;
    let r = t.get("/api/nope", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["message"], "File not found.");
    assert_eq!(r.json["data"], json!({}));
}
