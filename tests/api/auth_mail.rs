//! The mailed flows end to end through a real SMTP server: verification,
//! password reset, email change, OTP (+ MFA), login alerts, test emails,
//! impersonation; each bad input with PocketBase's answer.

use serde_json::{Value, json};

use crate::common::{TestApp, code, spawn_app};
use crate::mailbox::{Mailbox, make_test_ca, token_in};

async fn app_with_mail(mailbox: &Mailbox) -> (TestApp, String) {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let r = t.patch("/api/settings", Some(&admin), mailbox.settings()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    (t, admin)
}

async fn enable(t: &TestApp, admin: &str, patch: Value) {
    let r = t.patch("/api/collections/users", Some(admin), patch).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

fn sleep_ms(ms: u64) -> tokio::time::Sleep {
    tokio::time::sleep(std::time::Duration::from_millis(ms))
}

#[tokio::test]
async fn verification_mail_confirms_the_email() {
    let mb = Mailbox::plain();
    let (t, admin) = app_with_mail(&mb).await;
    let (user, _) = t.user("v1@example.com", "pass123456").await;
    assert_eq!(user["verified"], false);

    let r = t.post("/api/collections/users/request-verification", None, json!({"email": "v1@example.com"})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let mail = mb.wait_for("v1@example.com").await;
    assert_eq!(mail["subject"], "Verify your Ferrotest email");
    assert!(mail["from"].as_str().is_some_and(|f| f.contains("support@app.test") && f.contains("Ferro Support")));
    assert!(mail["text"].as_str().is_some_and(|t| t.contains("http://app.test/_/#/auth/confirm-verification/")));
    let token = token_in(&mail, "/_/#/auth/confirm-verification/");

    // the wrong kind of token is refused
    let (_, auth_token) = t.user("v1b@example.com", "pass123456").await;
    let r = t.post("/api/collections/users/confirm-verification", None, json!({"token": auth_token})).await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "token"), "validation_invalid_token_claims");
    let r = t.post("/api/collections/users/confirm-verification", None, json!({"token": "garbage"})).await;
    assert_eq!(r.status, 400);
    assert!(r.json["data"]["token"].is_object());
    let r = t.post("/api/collections/users/confirm-verification", None, json!({})).await;
    assert_eq!(code(&r, "token"), "validation_required");

    let r = t.post("/api/collections/users/confirm-verification", None, json!({"token": token})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let id = user["id"].as_str().expect("id");
    let r = t.get(&format!("/api/collections/users/records/{id}"), Some(&admin)).await;
    assert_eq!(r.json["verified"], true);

    // a verified account gets no more verification mails
    let r = t.post("/api/collections/users/request-verification", None, json!({"email": "v1@example.com"})).await;
    assert_eq!(r.status, 204);
    sleep_ms(500).await;
    assert_eq!(mb.count_to("v1@example.com"), 1);
}

#[tokio::test]
async fn request_endpoints_do_not_reveal_accounts() {
    let mb = Mailbox::plain();
    let (t, admin) = app_with_mail(&mb).await;
    t.user("v2@example.com", "pass123456").await;
    for path in ["request-verification", "request-password-reset"] {
        let known = t.post(&format!("/api/collections/users/{path}"), None, json!({"email": "v2@example.com"})).await;
        let unknown =
            t.post(&format!("/api/collections/users/{path}"), None, json!({"email": "nobody@example.com"})).await;
        assert_eq!((known.status, unknown.status), (204, 204), "{path}");
        assert_eq!(known.text, unknown.text);
    }
    enable(&t, &admin, json!({"otp": {"enabled": true}})).await;
    let known = t.post("/api/collections/users/request-otp", None, json!({"email": "v2@example.com"})).await;
    let unknown = t.post("/api/collections/users/request-otp", None, json!({"email": "nobody@example.com"})).await;
    assert_eq!((known.status, unknown.status), (200, 200));
    assert_eq!(known.json["otpId"].as_str().map(str::len), Some(15));
    assert_eq!(unknown.json["otpId"].as_str().map(str::len), Some(15));
    sleep_ms(800).await;
    assert_eq!(mb.count_to("nobody@example.com"), 0);
    assert_eq!(mb.count_to("v2@example.com"), 3);
    let r = t.post("/api/collections/users/request-verification", None, json!({"email": "not-an-email"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "email"), "validation_is_email");
    let r = t.post("/api/collections/_superusers/request-verification", None, json!({"email": "a@b.co"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["message"], "All superusers are verified by default.");
}

#[tokio::test]
async fn password_reset_sets_a_new_password_and_invalidates_old_tokens() {
    let mb = Mailbox::plain();
    let (t, _) = app_with_mail(&mb).await;
    let (_, old_token) = t.user("r1@example.com", "pass123456").await;
    let r = t.post("/api/collections/users/request-password-reset", None, json!({"email": "r1@example.com"})).await;
    assert_eq!(r.status, 204);
    let mail = mb.wait_for("r1@example.com").await;
    assert_eq!(mail["subject"], "Reset your Ferrotest password");
    let token = token_in(&mail, "/_/#/auth/confirm-password-reset/");

    let r = t
        .post(
            "/api/collections/users/confirm-password-reset",
            None,
            json!({"token": token, "password": "newpass123", "passwordConfirm": "different1"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "passwordConfirm"), "validation_values_mismatch");
    let r = t
        .post(
            "/api/collections/users/confirm-password-reset",
            None,
            json!({"token": token, "password": "short", "passwordConfirm": "short"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.json["data"]["password"].is_object(), "{}", r.text);

    let body = json!({"token": token, "password": "newpass123", "passwordConfirm": "newpass123"});
    let r = t.post("/api/collections/users/confirm-password-reset", None, body.clone()).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let login = |p: &'static str| {
        t.post("/api/collections/users/auth-with-password", None, json!({"identity": "r1@example.com", "password": p}))
    };
    assert_eq!(login("pass123456").await.status, 400);
    let ok = login("newpass123").await;
    assert_eq!(ok.status, 200);
    // the reset verified the email it was sent to
    assert_eq!(ok.json["record"]["verified"], true);
    // the token is single-use and the old session is gone
    let r = t.post("/api/collections/users/confirm-password-reset", None, body).await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "token"), "validation_invalid_token");
    assert_eq!(t.post("/api/collections/users/auth-refresh", Some(&old_token), Value::Null).await.status, 401);
}

#[tokio::test]
async fn email_change_needs_the_mailed_token_and_the_password() {
    let mb = Mailbox::plain();
    let (t, admin) = app_with_mail(&mb).await;
    let (user, token) = t.user("e1@example.com", "pass123456").await;
    t.user("taken@example.com", "pass123456").await;

    let r = t.post("/api/collections/users/request-email-change", None, json!({"newEmail": "e2@example.com"})).await;
    assert_eq!(r.status, 401);
    let r =
        t.post("/api/collections/users/request-email-change", Some(&admin), json!({"newEmail": "x@example.com"})).await;
    assert_eq!(r.status, 403);
    let r = t
        .post("/api/collections/users/request-email-change", Some(&token), json!({"newEmail": "taken@example.com"}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "newEmail"), "validation_invalid_new_email");
    let r = t
        .post("/api/collections/users/request-email-change", Some(&token), json!({"newEmail": "e1@example.com"}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "newEmail"), "validation_not_in_invalid");

    let r = t
        .post("/api/collections/users/request-email-change", Some(&token), json!({"newEmail": "e2@example.com"}))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let mail = mb.wait_for("e2@example.com").await;
    assert_eq!(mb.count_to("e1@example.com"), 0);
    let change = token_in(&mail, "/_/#/auth/confirm-email-change/");

    let r = t
        .post("/api/collections/users/confirm-email-change", None, json!({"token": change, "password": "wrong-pass"}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "password"), "validation_invalid_password");
    let body = json!({"token": change, "password": "pass123456"});
    let r = t.post("/api/collections/users/confirm-email-change", None, body.clone()).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let id = user["id"].as_str().expect("id");
    let r = t.get(&format!("/api/collections/users/records/{id}"), Some(&admin)).await;
    assert_eq!(r.json["email"], "e2@example.com");
    assert_eq!(r.json["verified"], true);
    // used token, old session: both dead
    let r = t.post("/api/collections/users/confirm-email-change", None, body).await;
    assert_eq!(r.status, 400);
    assert_eq!(t.post("/api/collections/users/auth-refresh", Some(&token), Value::Null).await.status, 401);
}

#[tokio::test]
async fn otp_login_is_single_use_and_verifies_the_email() {
    let mb = Mailbox::plain();
    let (t, admin) = app_with_mail(&mb).await;
    t.user("o1@example.com", "pass123456").await;
    let r = t.post("/api/collections/users/request-otp", None, json!({"email": "o1@example.com"})).await;
    assert_eq!(r.status, 403, "OTP is off by default");
    enable(&t, &admin, json!({"otp": {"enabled": true, "length": 6}})).await;
    let m = t.get("/api/collections/users/auth-methods", None).await;
    assert_eq!(m.json["otp"], json!({"enabled": true, "duration": 180}));

    let r = t.post("/api/collections/users/request-otp", None, json!({"email": "o1@example.com"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let otp_id = r.json["otpId"].as_str().expect("otpId").to_string();
    let mail = mb.wait_for("o1@example.com").await;
    assert_eq!(mail["subject"], "OTP for Ferrotest");
    let text = mail["text"].as_str().expect("text");
    let pass: String = text.split(|c: char| !c.is_ascii_digit()).find(|s| s.len() == 6).expect("6 digits").into();

    let r = t.post("/api/collections/users/auth-with-otp", None, json!({"otpId": otp_id, "password": "000000x"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["message"], "Invalid or expired OTP.");
    let r = t.post("/api/collections/users/auth-with-otp", None, json!({"otpId": otp_id})).await;
    assert_eq!(code(&r, "password"), "validation_required");

    let r = t.post("/api/collections/users/auth-with-otp", None, json!({"otpId": otp_id, "password": pass})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["record"]["email"], "o1@example.com");
    assert_eq!(r.json["record"]["verified"], true);
    let r = t.post("/api/collections/users/auth-with-otp", None, json!({"otpId": otp_id, "password": pass})).await;
    assert_eq!(r.status, 400, "an OTP works once");
}

#[tokio::test]
async fn an_otp_is_burnt_after_five_wrong_passwords_and_expires() {
    let mb = Mailbox::plain();
    let (t, admin) = app_with_mail(&mb).await;
    t.user("o2@example.com", "pass123456").await;
    enable(&t, &admin, json!({"otp": {"enabled": true}})).await;
    let r = t.post("/api/collections/users/request-otp", None, json!({"email": "o2@example.com"})).await;
    let otp_id = r.json["otpId"].as_str().expect("otpId").to_string();
    let mail = mb.wait_for("o2@example.com").await;
    let pass: String = mail["text"]
        .as_str()
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| s.len() == 8)
        .expect("8 digits")
        .into();
    for _ in 0..5 {
        let r = t
            .post("/api/collections/users/auth-with-otp", None, json!({"otpId": otp_id, "password": "12345678"}))
            .await;
        assert_eq!(r.status, 400);
    }
    // the right password no longer helps
    let r = t.post("/api/collections/users/auth-with-otp", None, json!({"otpId": otp_id, "password": pass})).await;
    assert!(matches!(r.status, 400 | 429), "{}", r.text);

    // an expired OTP is refused
    let r = t.post("/api/collections/users/request-otp", None, json!({"email": "o2@example.com"})).await;
    let otp_id = r.json["otpId"].as_str().expect("otpId").to_string();
    let mail = mb.wait_nth("o2@example.com", 2).await;
    let pass: String = mail["text"]
        .as_str()
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| s.len() == 8)
        .expect("8 digits")
        .into();
    let app = t.app.clone();
    let id = otp_id.clone();
    tokio::task::spawn_blocking(move || {
        let mut otp = app.find_ref_by_id("_otps", &id).expect("query").expect("otp");
        otp.set_raw("created", json!("2020-01-01 00:00:00.000Z"));
        app.save_record_no_validate(&mut otp).expect("save");
    })
    .await
    .expect("join");
    let r = t.post("/api/collections/users/auth-with-otp", None, json!({"otpId": otp_id, "password": pass})).await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[tokio::test]
async fn otp_attempts_per_client_are_limited_like_pocketbase() {
    let mb = Mailbox::plain();
    let (t, admin) = app_with_mail(&mb).await;
    t.user("o3@example.com", "pass123456").await;
    enable(&t, &admin, json!({"otp": {"enabled": true}})).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = t.post("/api/collections/users/request-otp", None, json!({"email": "o3@example.com"})).await;
        ids.push(r.json["otpId"].as_str().expect("otpId").to_string());
    }
    let mut statuses = Vec::new();
    for i in 0..6 {
        let r = t
            .post("/api/collections/users/auth-with-otp", None, json!({"otpId": ids[i % 2], "password": "99999999"}))
            .await;
        statuses.push(r.status);
    }
    assert_eq!(statuses, [400, 400, 400, 400, 400, 429]);
}

#[tokio::test]
async fn mfa_completes_with_password_then_otp() {
    let mb = Mailbox::plain();
    let (t, admin) = app_with_mail(&mb).await;
    t.user("m1@example.com", "pass123456").await;
    enable(&t, &admin, json!({"otp": {"enabled": true}, "mfa": {"enabled": true}})).await;
    let r = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "m1@example.com", "password": "pass123456"}),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let mfa_id = r.json["mfaId"].as_str().expect("mfaId").to_string();
    let r = t.post("/api/collections/users/request-otp", None, json!({"email": "m1@example.com"})).await;
    let otp_id = r.json["otpId"].as_str().expect("otpId").to_string();
    let mail = mb.wait_for("m1@example.com").await;
    let pass: String = mail["text"]
        .as_str()
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| s.len() == 8)
        .expect("8 digits")
        .into();
    let r = t
        .post("/api/collections/users/auth-with-otp", None, json!({"otpId": otp_id, "password": pass, "mfaId": mfa_id}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["token"].is_string());
    // the MFA session is consumed
    let r = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "m1@example.com", "password": "pass123456", "mfaId": mfa_id}),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_login_from_a_new_place_sends_an_alert() {
    let mb = Mailbox::plain();
    let (t, _) = app_with_mail(&mb).await;
    t.user("a1@example.com", "pass123456").await;
    let login = |ua: &'static str| {
        t.client
            .post(format!("{}/api/collections/users/auth-with-password", t.base))
            .header("User-Agent", ua)
            .json(&json!({"identity": "a1@example.com", "password": "pass123456"}))
            .send()
    };
    // the sign-up helper's login was the first one: no alert for it
    sleep_ms(300).await;
    assert_eq!(mb.count_to("a1@example.com"), 0, "no alert for the first login");
    assert_eq!(login("agent-one").await.expect("sent").status(), 200);
    let mail = mb.wait_for("a1@example.com").await;
    assert_eq!(mail["subject"], "Login from a new location");
    assert!(mail["text"].as_str().is_some_and(|s| s.contains("agent-one")), "{mail}");
    // a known origin is quiet, another new one is reported
    assert_eq!(login("agent-one").await.expect("sent").status(), 200);
    assert_eq!(login("agent-two").await.expect("sent").status(), 200);
    let mail = mb.wait_nth("a1@example.com", 2).await;
    assert!(mail["text"].as_str().is_some_and(|s| s.contains("agent-two")), "{mail}");
    sleep_ms(300).await;
    assert_eq!(mb.count_to("a1@example.com"), 2);
    let origins = t
        .get(
            "/api/collections/_authOrigins/records?filter=collectionRef%3D%27_pb_users_auth_%27",
            Some(&t.admin_token().await),
        )
        .await;
    assert_eq!(origins.json["totalItems"], 3, "{}", origins.text);
}

#[tokio::test]
async fn test_email_renders_each_template() {
    let mb = Mailbox::plain();
    let (t, admin) = app_with_mail(&mb).await;
    let r = t.post("/api/settings/test/email", None, json!({"email": "x@example.com", "template": "otp"})).await;
    assert_eq!(r.status, 401);
    let r =
        t.post("/api/settings/test/email", Some(&admin), json!({"email": "x@example.com", "template": "nope"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "template"), "validation_in_invalid");
    let r = t
        .post(
            "/api/settings/test/email",
            Some(&admin),
            json!({"email": "x@example.com", "template": "verification", "collection": "users"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let mail = mb.wait_for("x@example.com").await;
    assert_eq!(mail["subject"], "Verify your Ferrotest email");
    let r =
        t.post("/api/settings/test/email", Some(&admin), json!({"email": "x@example.com", "template": "otp"})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let mail = mb.wait_nth("x@example.com", 2).await;
    assert!(mail["text"].as_str().is_some_and(|s| s.contains("123456")));
}

#[tokio::test]
async fn smtp_auth_is_used_and_a_wrong_password_fails_clearly() {
    let mb = Mailbox::start(&["--auth", "mailer:s3cret"]);
    let (t, admin) = app_with_mail(&mb).await;
    let r =
        t.post("/api/settings/test/email", Some(&admin), json!({"email": "y@example.com", "template": "otp"})).await;
    assert_eq!(r.status, 400, "no credentials: {}", r.text);
    for method in ["PLAIN", "LOGIN"] {
        let r = t
            .patch(
                "/api/settings",
                Some(&admin),
                json!({"smtp": {"username": "mailer", "password": "s3cret", "authMethod": method}}),
            )
            .await;
        assert_eq!(r.status, 200);
        let r = t
            .post("/api/settings/test/email", Some(&admin), json!({"email": "y@example.com", "template": "otp"}))
            .await;
        assert_eq!(r.status, 204, "{method}: {}", r.text);
    }
    let mail = mb.wait_nth("y@example.com", 2).await;
    assert_eq!(mail["authenticated"], true);
    let r = t.patch("/api/settings", Some(&admin), json!({"smtp": {"password": "wrong"}})).await;
    assert_eq!(r.status, 200);
    let r =
        t.post("/api/settings/test/email", Some(&admin), json!({"email": "y@example.com", "template": "otp"})).await;
    assert_eq!(r.status, 400);
    assert!(r.json["message"].as_str().is_some_and(|m| m.starts_with("Failed to send the test email.")));
}

#[tokio::test]
async fn impersonate_gives_superusers_a_static_token() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let (user, user_token) = t.user("i1@example.com", "pass123456").await;
    let id = user["id"].as_str().expect("id");
    let path = format!("/api/collections/users/impersonate/{id}");
    assert_eq!(t.post(&path, None, json!({})).await.status, 401);
    assert_eq!(t.post(&path, Some(&user_token), json!({})).await.status, 403);
    assert_eq!(t.post("/api/collections/users/impersonate/missing", Some(&admin), json!({})).await.status, 404);
    let r = t.post(&path, Some(&admin), json!({"duration": -1})).await;
    assert_eq!(r.status, 400);
    assert!(r.json["data"]["duration"].is_object());

    let r = t.post(&path, Some(&admin), json!({"duration": 100})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.json["token"].as_str().expect("token").to_string();
    assert_eq!(r.json["record"]["id"], id);
    let claims = ferrobase::core::auth::tokens::peek(&token).expect("claims");
    assert_eq!(claims.extra["refreshable"], false);
    let left = claims.exp - chrono::Utc::now().timestamp();
    assert!((90..=100).contains(&left), "{left}");
    // usable, but refresh hands back the same token
    let r = t.post("/api/collections/users/auth-refresh", Some(&token), Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token"], token);
}

#[tokio::test]
async fn js_mailer_hooks_client_and_mails_helpers() {
    let mb = Mailbox::plain();
    let t = crate::common::spawn_app_with_hooks(
        &[(
            "mail.pb.js",
            r#"
            onMailerSend((e) => {
                e.message.subject = "[hooked] " + e.message.subject;
                e.message.headers = Object.assign({}, e.message.headers, {"X-Hooked": "yes"});
                e.next();
            });
            onMailerRecordOTPSend((e) => {
                $app.store().set("otpSeen", e.meta.password.length + ":" + e.record.email());
                e.next();
            });
            onRecordRequestOTPRequest((e) => {
                $app.store().set("otpRequestFor", e.record ? e.record.email() : "none");
                e.next();
            });
            routerAdd("POST", "/send", (e) => {
                const msg = new MailerMessage({
                    from: {address: "robot@app.test", name: "Robot"},
                    to: [{address: "js@example.com"}],
                    subject: "From JS",
                    html: "<p>Hello <b>there</b></p>",
                });
                $app.newMailClient().send(msg);
                return e.json(200, {ok: true});
            });
            routerAdd("POST", "/verify/{email}", (e) => {
                const r = $app.findAuthRecordByEmail("users", e.request.pathValue("email"));
                $mails.sendRecordVerification($app, r);
                return e.json(200, {ok: true});
            });
            routerAdd("GET", "/store/{key}", (e) => e.json(200, {v: $app.store().get(e.request.pathValue("key"))}));
            "#,
        )],
        |_| {},
    )
    .await;
    let admin = t.admin_token().await;
    assert_eq!(t.patch("/api/settings", Some(&admin), mb.settings()).await.status, 200);
    let r = t.post("/send", None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mail = mb.wait_for("js@example.com").await;
    assert_eq!(mail["subject"], "[hooked] From JS");
    assert_eq!(mail["headers"]["X-Hooked"], "yes");
    assert!(mail["text"].as_str().is_some_and(|s| s.contains("Hello there")), "{mail}");

    t.user("jsu@example.com", "pass123456").await;
    let r = t.post("/verify/jsu@example.com", None, json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mail = mb.wait_for("jsu@example.com").await;
    assert_eq!(mail["subject"], "[hooked] Verify your Ferrotest email");

    let r = t.patch("/api/collections/users", Some(&admin), json!({"otp": {"enabled": true}})).await;
    assert_eq!(r.status, 200);
    let r = t.post("/api/collections/users/request-otp", None, json!({"email": "jsu@example.com"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    mb.wait_nth("jsu@example.com", 2).await;
    assert_eq!(t.get("/store/otpRequestFor", None).await.json["v"], "jsu@example.com");
    assert_eq!(t.get("/store/otpSeen", None).await.json["v"], "8:jsu@example.com");
}

/// The release binary serving a fresh data dir with `envs` (killed on drop).
struct Served(std::process::Child, String);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_binary(dir: &std::path::Path, envs: &[(&str, &std::path::Path)]) -> Served {
    let bin = env!("CARGO_BIN_EXE_ferrobase");
    let data = dir.join("pb_data");
    let out = std::process::Command::new(bin)
        .args(["superuser", "upsert", crate::common::ADMIN_EMAIL, crate::common::ADMIN_PASS, "--dir"])
        .arg(&data)
        .output()
        .expect("ferrobase runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let mut cmd = std::process::Command::new(bin);
    cmd.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--dir"]).arg(&data);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().expect("serve");
    let served = Served(child, format!("http://127.0.0.1:{port}"));
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return served;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("ferrobase did not start");
}

async fn send_test_mail(base: &str, smtp: Value) -> u16 {
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/collections/_superusers/auth-with-password"))
        .json(&json!({"identity": crate::common::ADMIN_EMAIL, "password": crate::common::ADMIN_PASS}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["token"].as_str().expect("token").to_string();
    let r = client
        .patch(format!("{base}/api/settings"))
        .header("Authorization", &token)
        .json(&json!({"smtp": smtp}))
        .send()
        .await;
    assert_eq!(r.expect("settings").status(), 200);
    client
        .post(format!("{base}/api/settings/test/email"))
        .header("Authorization", &token)
        .json(&json!({"email": "tls@example.com", "template": "verification"}))
        .send()
        .await
        .expect("test email")
        .status()
        .as_u16()
}

#[tokio::test]
async fn smtp_starttls_and_implicit_tls_check_the_server_certificate() {
    let certs = tempfile::tempdir().expect("temp dir");
    make_test_ca(certs.path());
    let cert = certs.path().join("server.pem");
    let key = certs.path().join("server.key");
    let (cert, key) = (cert.to_str().expect("path"), key.to_str().expect("path"));
    let trusting = tempfile::tempdir().expect("temp dir");
    let served = serve_binary(trusting.path(), &[("SSL_CERT_FILE", &certs.path().join("ca.pem"))]);
    for (args, implicit) in [(["--starttls", cert, key], false), (["--implicit-tls", cert, key], true)] {
        let mb = Mailbox::start(&args);
        let smtp = json!({"enabled": true, "host": "127.0.0.1", "port": mb.port, "tls": implicit});
        assert_eq!(send_test_mail(&served.1, smtp).await, 204, "implicit TLS: {implicit}");
        let mail = mb.wait_for("tls@example.com").await;
        assert_eq!(mail["tls"], true);
        assert_eq!(mail["subject"], "Verify your Acme email");
    }
    // a server whose certificate the client does not trust gets nothing
    let other = tempfile::tempdir().expect("temp dir");
    let untrusting = serve_binary(other.path(), &[]);
    let mb = Mailbox::start(&["--implicit-tls", cert, key]);
    let smtp = json!({"enabled": true, "host": "127.0.0.1", "port": mb.port, "tls": true});
    assert_eq!(send_test_mail(&untrusting.1, smtp).await, 400);
    assert_eq!(mb.count_to("tls@example.com"), 0);
}
