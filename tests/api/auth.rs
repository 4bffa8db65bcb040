//! Password login, refresh, authRule, MFA and auth-methods: each attack
//! tried and PocketBase's answer asserted.

use ferrobase::core::auth::login::PasswordForm;
use ferrobase::core::auth::password::verifications_on_this_thread;
use ferrobase::core::request::RequestInfo;
use serde_json::{Value, json};

use crate::common::{TestApp, code, spawn_app};

/// Adds a `role` text field and sets the users' authRule.
async fn users_with_rule(t: &TestApp, admin: &str, auth_rule: Value) {
    let r = t
        .patch(
            "/api/collections/users",
            Some(admin),
            json!({"fields": [{"name": "role", "type": "text"}], "authRule": auth_rule}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn login(t: &TestApp, email: &str, password: &str) -> crate::common::Res {
    t.post("/api/collections/users/auth-with-password", None, json!({"identity": email, "password": password})).await
}

#[tokio::test]
async fn refresh_checks_the_auth_rule_again_so_a_banned_user_gets_403() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let (user, _) = t.user("u1@example.com", "pass123456").await;
    users_with_rule(&t, &admin, json!("verified = true && role != 'banned'")).await;
    let id = user["id"].as_str().expect("id");
    let r = t.patch(&format!("/api/collections/users/records/{id}"), Some(&admin), json!({"verified": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let a = login(&t, "u1@example.com", "pass123456").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let token = a.json["token"].as_str().expect("token").to_string();
    let r = t.post("/api/collections/users/auth-refresh", Some(&token), Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // banned after login: the old token must not refresh any more
    let r = t.patch(&format!("/api/collections/users/records/{id}"), Some(&admin), json!({"role": "banned"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = t.post("/api/collections/users/auth-refresh", Some(&token), Value::Null).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.json["message"], "The request doesn't satisfy the collection requirements to authenticate.");
    let r = login(&t, "u1@example.com", "pass123456").await;
    assert_eq!(r.status, 403, "{}", r.text);
}

#[tokio::test]
async fn unverified_users_cannot_log_in_when_the_auth_rule_requires_it() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    t.user("u2@example.com", "pass123456").await;
    users_with_rule(&t, &admin, json!("verified = true")).await;
    let r = login(&t, "u2@example.com", "pass123456").await;
    assert_eq!(r.status, 403, "{}", r.text);
    // a wrong password still gets the generic 400, not the rule's 403
    let r = login(&t, "u2@example.com", "wrong-pass").await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[tokio::test]
async fn a_null_auth_rule_lets_nobody_authenticate() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let (_, token) = t.user("u3@example.com", "pass123456").await;
    users_with_rule(&t, &admin, Value::Null).await;
    assert_eq!(login(&t, "u3@example.com", "pass123456").await.status, 403);
    let r = t.post("/api/collections/users/auth-refresh", Some(&token), Value::Null).await;
    assert_eq!(r.status, 403, "{}", r.text);
}

#[tokio::test]
async fn refresh_needs_a_token_of_the_same_collection() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let r = t.post("/api/collections/users/auth-refresh", None, Value::Null).await;
    assert_eq!(r.status, 401);
    let r = t.post("/api/collections/users/auth-refresh", Some(&admin), Value::Null).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json["message"], "The request requires auth record from _superusers collection.");
    let r = t.post("/api/collections/_superusers/auth-refresh", Some("garbage.token.here"), Value::Null).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn unknown_identities_pay_for_a_password_verification_too() {
    let t = spawn_app().await;
    t.user("u4@example.com", "pass123456").await;
    let app = t.app.clone();
    let counts = tokio::task::spawn_blocking(move || {
        let c = app.find_collection("users").expect("users");
        let req = RequestInfo { method: "POST".into(), ..Default::default() };
        let mut counts = Vec::new();
        for identity in ["u4@example.com", "nobody@example.com", "not-an-email"] {
            let form = PasswordForm { identity: identity.into(), password: "wrong-pass".into(), ..Default::default() };
            let before = verifications_on_this_thread();
            let res = app.auth_with_password_request(&c, &req, &form);
            assert_eq!(res.err().map(|e| e.status()), Some(400), "{identity}");
            counts.push(verifications_on_this_thread() - before);
        }
        counts
    })
    .await
    .expect("join");
    // a known identity with a wrong password, an unknown email and a
    // non-email identity each run exactly one verification
    assert_eq!(counts, [1, 1, 1]);
}

#[tokio::test]
async fn identity_or_password_over_255_chars_is_a_400_on_that_field() {
    let t = spawn_app().await;
    t.user("u5@example.com", "pass123456").await;
    let long = "a".repeat(256);
    let r = login(&t, &long, "pass123456").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "identity"), "validation_length_out_of_range");
    assert!(r.json["data"].get("password").is_none());
    // a 30 MiB password is refused the same way (and never hashed)
    let huge = "p".repeat(30 << 20);
    let r = login(&t, "u5@example.com", &huge).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(code(&r, "password"), "validation_length_out_of_range");
    let r = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "u5@example.com", "password": "pass123456", "identityField": "name"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "identityField"), "validation_in_invalid");
}

#[tokio::test]
async fn auth_endpoints_answer_404_for_unknown_and_non_auth_collections() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    t.create_collection(
        &admin,
        json!({"name": "posts", "type": "base", "fields": [{"name": "title", "type": "text"}]}),
    )
    .await;
    let r = t.post("/api/collections/nope/auth-with-password", None, json!({"identity": "a", "password": "b"})).await;
    assert_eq!(r.status, 404);
    let r = t.post("/api/collections/posts/auth-with-password", None, json!({"identity": "a", "password": "b"})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["message"], "Missing or invalid auth collection context.");
    assert_eq!(t.get("/api/collections/posts/auth-methods", None).await.status, 404);
}

#[tokio::test]
async fn disabled_password_auth_is_a_403() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    t.user("u6@example.com", "pass123456").await;
    let r = t.patch("/api/collections/users", Some(&admin), json!({"passwordAuth": {"enabled": false}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = login(&t, "u6@example.com", "pass123456").await;
    assert_eq!(r.status, 403);
    let m = t.get("/api/collections/users/auth-methods", None).await;
    assert_eq!(m.json["password"], json!({"enabled": false, "identityFields": []}));
    assert_eq!(m.json["emailPassword"], false);
}

#[tokio::test]
async fn auth_methods_reports_only_methods_that_work() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let m = t.get("/api/collections/users/auth-methods", None).await;
    assert_eq!(m.status, 200);
    assert_eq!(m.json["password"], json!({"enabled": true, "identityFields": ["email"]}));
    assert_eq!(m.json["emailPassword"], true);
    assert_eq!(m.json["mfa"], json!({"enabled": false, "duration": 0}));
    let r = t
        .patch(
            "/api/collections/users",
            Some(&admin),
            json!({"mfa": {"enabled": true, "duration": 300}, "otp": {"enabled": true}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let m = t.get("/api/collections/users/auth-methods", None).await;
    assert_eq!(m.json["mfa"], json!({"enabled": true, "duration": 300}));
}

#[tokio::test]
async fn mfa_turns_the_first_factor_into_an_mfa_id_and_refuses_the_same_method_twice() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    t.user("u7@example.com", "pass123456").await;
    let r = t
        .patch("/api/collections/users", Some(&admin), json!({"mfa": {"enabled": true}, "otp": {"enabled": true}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = login(&t, "u7@example.com", "pass123456").await;
    assert_eq!(r.status, 401, "{}", r.text);
    let mfa_id = r.json["mfaId"].as_str().expect("mfaId").to_string();
    assert!(r.json.get("token").is_none());

    let body = json!({"identity": "u7@example.com", "password": "pass123456", "mfaId": mfa_id});
    let r = t.post("/api/collections/users/auth-with-password", None, body).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "A different authentication method is required.");

    let body = json!({"identity": "u7@example.com", "password": "pass123456", "mfaId": "nonexistingmfa1"});
    let r = t.post("/api/collections/users/auth-with-password", None, body).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "Invalid or expired MFA session.");

    // another user's MFA session cannot be borrowed
    t.patch("/api/collections/users", Some(&admin), json!({"mfa": {"enabled": false}})).await;
    t.user("u8@example.com", "pass123456").await;
    t.patch("/api/collections/users", Some(&admin), json!({"mfa": {"enabled": true}})).await;
    let body = json!({"identity": "u8@example.com", "password": "pass123456", "mfaId": mfa_id});
    let r = t.post("/api/collections/users/auth-with-password", None, body).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "Invalid MFA session.");
}

#[tokio::test]
async fn an_email_change_invalidates_outstanding_tokens() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let (user, token) = t.user("u9@example.com", "pass123456").await;
    let id = user["id"].as_str().expect("id");
    let r = t.post("/api/collections/users/auth-refresh", Some(&token), Value::Null).await;
    assert_eq!(r.status, 200);
    let r = t
        .patch(&format!("/api/collections/users/records/{id}"), Some(&admin), json!({"email": "u9b@example.com"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = t.post("/api/collections/users/auth-refresh", Some(&token), Value::Null).await;
    assert_eq!(r.status, 401, "{}", r.text);
}

#[tokio::test]
async fn deleting_an_auth_record_deletes_its_mfa_sessions() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let (user, _) = t.user("u10@example.com", "pass123456").await;
    t.patch("/api/collections/users", Some(&admin), json!({"mfa": {"enabled": true}, "otp": {"enabled": true}})).await;
    let r = login(&t, "u10@example.com", "pass123456").await;
    assert_eq!(r.status, 401);
    let mfa_id = r.json["mfaId"].as_str().expect("mfaId").to_string();
    let path = format!("/api/collections/_mfas/records/{mfa_id}");
    assert_eq!(t.get(&path, Some(&admin)).await.status, 200);
    let id = user["id"].as_str().expect("id");
    assert_eq!(t.delete(&format!("/api/collections/users/records/{id}"), Some(&admin)).await.status, 204);
    assert_eq!(t.get(&path, Some(&admin)).await.status, 404);
}

#[tokio::test]
async fn tampered_and_other_collection_tokens_are_refused() {
    let t = spawn_app().await;
    let (_, token) = t.user("u11@example.com", "pass123456").await;
    // another collection's token does not open this one
    let r = t.post("/api/collections/_superusers/auth-refresh", Some(&token), Value::Null).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // a payload edited to claim another type or record breaks the signature
    let parts: Vec<&str> = token.split('.').collect();
    let claims = ferrobase::core::auth::tokens::peek(&token).expect("claims");
    let forged = serde_json::json!({"id": claims.id, "type": "auth", "collectionId": "pbc_3142635823", "exp": claims.exp, "refreshable": true});
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
    assert_eq!(t.post("/api/collections/_superusers/auth-refresh", Some(&tampered), Value::Null).await.status, 401);
    assert_eq!(t.post("/api/collections/users/auth-refresh", Some(&tampered), Value::Null).await.status, 401);
    // an auth token is not a verification or reset token
    let r = t
        .post(
            "/api/collections/users/confirm-password-reset",
            None,
            json!({"token": token, "password": "x1234567", "passwordConfirm": "x1234567"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "token"), "validation_invalid_token");
}

#[tokio::test]
async fn auth_options_are_validated_like_pocketbase() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let r = t.patch("/api/collections/users", Some(&admin), json!({"mfa": {"enabled": true}})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["data"]["mfa"]["enabled"]["code"], "validation_mfa_not_enough_auths");
    let r = t.patch("/api/collections/users", Some(&admin), json!({"otp": {"enabled": true, "length": 2}})).await;
    assert_eq!(r.json["data"]["otp"]["length"]["code"], "validation_min_greater_equal_than_required");
    let r = t.patch("/api/collections/users", Some(&admin), json!({"authToken": {"duration": 5}})).await;
    assert_eq!(r.json["data"]["authToken"]["duration"]["code"], "validation_min_greater_equal_than_required");
    let r = t
        .patch(
            "/api/collections/users",
            Some(&admin),
            json!({"oauth2": {"enabled": true, "providers": [{"name": "nope", "clientId": "a", "clientSecret": "b"}, {"name": "google"}]}}),
        )
        .await;
    assert_eq!(r.json["data"]["oauth2"]["providers"]["0"]["name"]["code"], "validation_missing_provider");
    assert_eq!(r.json["data"]["oauth2"]["providers"]["1"]["clientId"]["code"], "validation_required");
    let r =
        t.patch("/api/collections/users", Some(&admin), json!({"passwordAuth": {"identityFields": ["name"]}})).await;
    assert_eq!(r.json["data"]["passwordAuth"]["identityFields"]["code"], "validation_missing_unique_constraint");
}
