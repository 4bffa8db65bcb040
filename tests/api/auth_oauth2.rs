//! OAuth2 and OIDC against a real provider (npm oauth2-mock-server, see
//! `tests/sdk/oauth2_server.mjs`): code + PKCE, account creation and
//! linking, id_token verification, discovery, and the bad inputs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::common::{TestApp, code, spawn_app};

/// A running OAuth2/OIDC provider.
pub struct Provider {
    pub port: u16,
    child: Child,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    pub fn start() -> Provider {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk");
        if !dir.join("node_modules/oauth2-mock-server").is_dir() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent"])
                .current_dir(&dir)
                .status()
                .expect("npm must be installed");
            assert!(status.success(), "npm ci failed");
        }
        let mut child = Command::new("node")
            .arg("oauth2_server.mjs")
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must be installed");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("provider output");
        let port = line.trim().strip_prefix("READY ").and_then(|p| p.parse().ok()).expect("provider started");
        Provider { port, child }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The provider config of a collection.
    pub fn config(&self, name: &str, with_user_info: bool) -> Value {
        json!({
            "name": name, "clientId": "ferro-client", "clientSecret": "ferro-secret",
            "authURL": self.url("/authorize"), "tokenURL": self.url("/token"),
            "userInfoURL": if with_user_info { self.url("/userinfo") } else { String::new() },
            "displayName": "Mock ID",
        })
    }
}

async fn enable_oauth2(t: &TestApp, admin: &str, providers: Value) {
    let r = t
        .patch(
            "/api/collections/users",
            Some(admin),
            json!({"oauth2": {"enabled": true, "providers": providers, "mappedFields": {"name": "name"}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

const REDIRECT: &str = "http://app.test/oauth2-callback";

/// Plays the browser: follows the provider's consent URL as `who` and
/// returns (code, state) from the redirect back to the app.
async fn consent(t: &TestApp, provider_name: &str, who: &str) -> (String, String, Value) {
    let m = t.get("/api/collections/users/auth-methods", None).await;
    let p = m.json["oauth2"]["providers"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == provider_name))
        .cloned()
        .unwrap_or_else(|| panic!("{provider_name} in {}", m.text));
    let url = format!("{}{}&login_hint={who}", p["authURL"].as_str().expect("authURL"), urlencode(REDIRECT));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let res = client.get(&url).send().await.expect("consent page");
    let location = res.headers()["location"].to_str().expect("location").to_string();
    assert!(location.starts_with(REDIRECT), "{location}");
    let params: Vec<(String, String)> = reqwest::Url::parse(&location)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(get("state"), p["state"].as_str().unwrap_or_default(), "the provider echoes the state");
    (get("code"), p["codeVerifier"].as_str().unwrap_or_default().to_string(), p)
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn sign_in(t: &TestApp, provider: &str, code: &str, verifier: &str) -> crate::common::Res {
    t.post(
        "/api/collections/users/auth-with-oauth2",
        None,
        json!({"provider": provider, "code": code, "codeVerifier": verifier, "redirectURL": REDIRECT,
               "createData": {"name": "ignored?"}}),
    )
    .await
}

#[tokio::test]
async fn oauth2_code_flow_creates_then_links_the_account() {
    let idp = Provider::start();
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    enable_oauth2(&t, &admin, json!([idp.config("oidc", true)])).await;
    let m = t.get("/api/collections/users/auth-methods", None).await;
    let p = &m.json["oauth2"]["providers"][0];
    assert_eq!(m.json["oauth2"]["enabled"], true);
    assert_eq!(p["displayName"], "Mock ID");
    assert_eq!(p["codeChallengeMethod"], "S256");
    assert!(p["authURL"].as_str().is_some_and(|u| u.ends_with("&redirect_uri=")));
    assert!(p["logo"].as_str().is_some_and(|l| l.starts_with("<svg")));

    let (c, verifier, _) = consent(&t, "oidc", "alice").await;
    let r = sign_in(&t, "oidc", &c, &verifier).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["record"]["email"], "alice@example.com");
    assert_eq!(r.json["record"]["verified"], true);
    assert_eq!(r.json["record"]["name"], "ignored?", "createData wins over the mapped name");
    assert_eq!(r.json["meta"]["isNew"], true);
    assert_eq!(r.json["meta"]["id"], "alice");
    assert_eq!(r.json["meta"]["email"], "alice@example.com");
    assert!(r.json["meta"]["accessToken"].is_string());
    let user_id = r.json["record"]["id"].as_str().expect("id").to_string();

    // the same provider account signs in to the same record
    let (c2, verifier2, _) = consent(&t, "oidc", "alice").await;
    let r = sign_in(&t, "oidc", &c2, &verifier2).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["record"]["id"], user_id);
    assert_eq!(r.json["meta"]["isNew"], false);
    let links = t.get("/api/collections/_externalAuths/records", Some(&admin)).await;
    assert_eq!(links.json["totalItems"], 1);
    assert_eq!(links.json["items"][0]["providerId"], "alice");

    // a replayed code is refused by the provider, and so by us
    let r = sign_in(&t, "oidc", &c2, &verifier2).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["message"], "Failed to fetch OAuth2 token.");
}

#[tokio::test]
async fn oauth2_bad_inputs_get_pocketbase_answers() {
    let idp = Provider::start();
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let r = sign_in(&t, "oidc", "x", "y").await;
    assert_eq!(r.status, 403, "OAuth2 is off: {}", r.text);
    enable_oauth2(&t, &admin, json!([idp.config("oidc", true)])).await;

    let r = sign_in(&t, "github", "x", "y").await;
    assert_eq!(r.status, 400);
    assert_eq!(code(&r, "provider"), "validation_invalid_provider");
    let r = t.post("/api/collections/users/auth-with-oauth2", None, json!({"provider": "oidc"})).await;
    assert_eq!(code(&r, "code"), "validation_required");

    // a wrong PKCE verifier
    let (c, _, _) = consent(&t, "oidc", "bob").await;
    let r = sign_in(&t, "oidc", &c, "wrong-verifier-wrong-verifier-wrong-verifier-0").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["message"], "Failed to fetch OAuth2 token.");

    // the user refused consent: the provider sends an error and no code
    let m = t.get("/api/collections/users/auth-methods", None).await;
    let url = format!(
        "{}{}&login_hint=deny",
        m.json["oauth2"]["providers"][0]["authURL"].as_str().expect("u"),
        urlencode(REDIRECT)
    );
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let location = client.get(&url).send().await.expect("sent").headers()["location"].to_str().expect("l").to_string();
    assert!(location.contains("error=access_denied") && !location.contains("code="), "{location}");
    let r = sign_in(&t, "oidc", "", "").await;
    assert_eq!(code(&r, "code"), "validation_required");

    // a made-up code
    let r = sign_in(&t, "oidc", "made-up-code", "").await;
    assert_eq!(r.status, 400);

    // the provider answers with an error page instead of a token
    let mut broken = idp.config("oidc", true);
    broken["tokenURL"] = json!(idp.url("/no-such-page"));
    enable_oauth2(&t, &admin, json!([broken])).await;
    let (c, verifier, _) = consent(&t, "oidc", "bob").await;
    let r = sign_in(&t, "oidc", &c, &verifier).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "Failed to fetch OAuth2 token.");
    // and a userinfo endpoint that fails
    let mut broken = idp.config("oidc", true);
    broken["userInfoURL"] = json!(idp.url("/no-such-page"));
    enable_oauth2(&t, &admin, json!([broken])).await;
    let (c, verifier, _) = consent(&t, "oidc", "bob").await;
    let r = sign_in(&t, "oidc", &c, &verifier).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "Failed to fetch OAuth2 user.");
    enable_oauth2(&t, &admin, json!([idp.config("oidc", true)])).await;

    // superusers never sign up through OAuth2
    let r = t
        .patch(
            "/api/collections/_superusers",
            Some(&admin),
            json!({"oauth2": {"enabled": true, "providers": [idp.config("oidc", true)]}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let m = t.get("/api/collections/_superusers/auth-methods", None).await;
    let p = &m.json["oauth2"]["providers"][0];
    let url = format!("{}{}&login_hint=mallory", p["authURL"].as_str().expect("u"), urlencode(REDIRECT));
    let location = client.get(&url).send().await.expect("sent").headers()["location"].to_str().expect("l").to_string();
    let c = reqwest::Url::parse(&location)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned());
    let r = t
        .post(
            "/api/collections/_superusers/auth-with-oauth2",
            None,
            json!({"provider": "oidc", "code": c, "codeVerifier": p["codeVerifier"], "redirectURL": REDIRECT}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "Failed to authenticate.");
}

#[tokio::test]
async fn oidc_id_tokens_are_verified_against_the_jwks_found_by_discovery() {
    let idp = Provider::start();
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    // only the issuer: endpoints and JWKS come from discovery
    let issuer = format!("http://localhost:{}", idp.port);
    let cfg = json!({"name": "oidc2", "clientId": "ferro-client", "clientSecret": "s", "extra": {"issuer": issuer}});
    enable_oauth2(&t, &admin, json!([cfg])).await;
    let (c, verifier, p) = consent(&t, "oidc2", "carol").await;
    assert!(p["authURL"].as_str().is_some_and(|u| u.starts_with(&format!("{issuer}/authorize"))), "{p}");
    let r = sign_in(&t, "oidc2", &c, &verifier).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["meta"]["email"], "carol@example.com");
    assert_eq!(r.json["meta"]["rawUser"]["iss"], issuer);

    // an id_token minted for another client (audience) is refused
    let (c, verifier, _) = consent(&t, "oidc2", "wrongaud").await;
    let r = sign_in(&t, "oidc2", &c, &verifier).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "Failed to fetch OAuth2 user.");
    // a token whose signature does not match the JWKS (another
    // provider's keys) is refused
    let other_idp = Provider::start();
    let bad_jwks = json!({"name": "oidc3", "clientId": "someone-else", "clientSecret": "s",
                          "authURL": idp.url("/authorize"), "tokenURL": idp.url("/token"),
                          "extra": {"jwksURL": other_idp.url("/jwks")}});
    enable_oauth2(&t, &admin, json!([bad_jwks])).await;
    let (c, verifier, _) = consent(&t, "oidc3", "erin").await;
    let r = sign_in(&t, "oidc3", &c, &verifier).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json["message"], "Failed to fetch OAuth2 user.");
    // and an issuer that is not the expected one
    let wrong_iss = json!({"name": "oidc3", "clientId": "someone-else", "clientSecret": "s",
                           "authURL": idp.url("/authorize"), "tokenURL": idp.url("/token"),
                           "extra": {"jwksURL": idp.url("/jwks"), "issuers": ["https://evil.example"]}});
    enable_oauth2(&t, &admin, json!([wrong_iss])).await;
    let (c, verifier, _) = consent(&t, "oidc3", "frank").await;
    let r = sign_in(&t, "oidc3", &c, &verifier).await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[tokio::test]
async fn an_unverified_password_account_is_taken_over_safely() {
    let idp = Provider::start();
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    // someone registered grace@example.com first, with a password they know
    t.user("grace@example.com", "attacker-pass").await;
    enable_oauth2(&t, &admin, json!([idp.config("oidc", true)])).await;
    let (c, verifier, _) = consent(&t, "oidc", "grace").await;
    let r = sign_in(&t, "oidc", &c, &verifier).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["record"]["verified"], true);
    assert_eq!(r.json["meta"]["isNew"], false);
    let r = t
        .post(
            "/api/collections/users/auth-with-password",
            None,
            json!({"identity": "grace@example.com", "password": "attacker-pass"}),
        )
        .await;
    assert_eq!(r.status, 400, "the pre-registered password no longer works");
}

#[tokio::test]
async fn provider_listing_has_every_pocketbase_provider() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    assert_eq!(t.get("/api/collections/meta/oauth2-providers", None).await.status, 401);
    let (_, user) = t.user("l1@example.com", "pass123456").await;
    assert_eq!(t.get("/api/collections/meta/oauth2-providers", Some(&user)).await.status, 403);
    let r = t.get("/api/collections/meta/oauth2-providers", Some(&admin)).await;
    assert_eq!(r.status, 200);
    let list = r.json.as_array().expect("array");
    assert_eq!(list.len(), 32);
    assert_eq!(list[0]["name"], "apple");
    assert_eq!(list[31], json!({"name": "oidc3", "displayName": "OIDC", "logo": list[31]["logo"]}));
    assert!(list.iter().all(|p| p.as_object().is_some_and(|o| o.len() == 3)));
}

#[tokio::test]
async fn apple_client_secret_is_an_es256_jwt() {
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWwYUBC8iKLxC9lJC\nz+BpXrxlM6RFTkKBAw6iUiqT4LyhRANCAAQ/vMMvL4s64M01m5W3LINEz2Zi2sBA\nvtvjiipsQBffeog8iOxsJ+wm2KFGKcYFpbMoNM2CFZjzzw4blbyNodju\n-----END PRIVATE KEY-----";
    let body = json!({"clientId": "com.example.app", "teamId": "ABCDEFGHIJ", "keyId": "KEY1234567", "privateKey": pem, "duration": 3600});
    assert_eq!(t.post("/api/settings/apple/generate-client-secret", None, body.clone()).await.status, 401);
    let r = t.post("/api/settings/apple/generate-client-secret", Some(&admin), body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let secret = r.json["secret"].as_str().expect("secret");
    let header = jsonwebtoken::decode_header(secret).expect("header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.kid.as_deref(), Some("KEY1234567"));
    let claims = ferrobase::core::auth::tokens::peek(secret).map(|c| c.extra).expect("claims");
    assert_eq!(claims["iss"], "ABCDEFGHIJ");
    assert_eq!(claims["sub"], "com.example.app");
    let r = t
        .post(
            "/api/settings/apple/generate-client-secret",
            Some(&admin),
            json!({"clientId": "x", "teamId": "short", "keyId": "", "privateKey": "nope", "duration": 0}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["message"], "Invalid client secret data.");
    for key in ["teamId", "keyId", "privateKey", "duration"] {
        assert!(r.json["data"][key].is_object(), "{key}: {}", r.text);
    }
}

#[tokio::test]
async fn oauth2_avatars_are_fetched_only_from_public_addresses() {
    let idp = Provider::start();
    let t = spawn_app().await;
    let admin = t.admin_token().await;
    let r = t
        .patch(
            "/api/collections/users",
            Some(&admin),
            json!({"oauth2": {"enabled": true, "providers": [idp.config("oidc", true)],
                   "mappedFields": {"name": "name", "avatarURL": "avatar"}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // the provider hands out an avatar URL on its own loopback address: the
    // account is created, nothing is fetched from inside the network
    let (c, verifier, _) = consent(&t, "oidc", "insidecarol").await;
    let r = sign_in(&t, "oidc", &c, &verifier).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let url = r.json["meta"]["avatarURL"].as_str().unwrap_or_default();
    assert!(url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:"), "{url}");
    assert_eq!(r.json["record"]["avatar"], "", "a loopback avatar URL is not downloaded");
    let mut logged = Value::Null;
    for _ in 0..100 {
        let list = t.get("/api/logs?perPage=200", Some(&admin)).await;
        if let Some(entry) = list.json["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["message"] == "Failed to retrieve OAuth2 avatar"))
        {
            logged = entry.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(logged["level"], 4, "a warning: {logged}");
    assert!(logged["data"]["error"].as_str().is_some_and(|e| e.contains("public")), "{logged}");
}
