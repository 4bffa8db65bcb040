//! The one OAuth2 code flow every provider definition runs: the consent
//! URL (state, scopes, PKCE S256), the code exchange, the profile fetch
//! (userinfo GET, GraphQL POST, or a JWKS-verified `id_token`), OIDC
//! discovery, and the mapping of the profile onto PocketBase's `AuthUser`.

use std::time::Duration;

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::providers::{self, AvatarSpec, EmailSpec, NameSpec, ProviderDef, UserInfo};
use crate::core::collections::auth_options::OAuth2Provider;

/// How long a call to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Allowed clock skew for id_token times (PocketBase's default, 5 minutes).
const ID_TOKEN_LEEWAY: u64 = 300;

/// The user as PocketBase's `auth.AuthUser` (the `meta` of the answer).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthUser {
    pub id: String,
    pub name: String,
    pub username: String,
    pub email: String,
    pub avatar_url: String,
    pub raw_user: Map<String, Value>,
    pub access_token: String,
    pub refresh_token: String,
    pub expiry: String,
}

impl AuthUser {
    /// PocketBase's JSON (with the legacy `avatarUrl` too).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "username": self.username, "email": self.email,
            "avatarURL": self.avatar_url, "avatarUrl": self.avatar_url, "rawUser": self.raw_user,
            "accessToken": self.access_token, "refreshToken": self.refresh_token, "expiry": self.expiry,
        })
    }
}

/// The token endpoint's answer.
#[derive(Debug, Clone, Default)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub expiry: String,
    pub raw: Map<String, Value>,
}

/// A provider configured for one collection.
#[derive(Debug, Clone)]
pub struct Provider {
    pub def: &'static ProviderDef,
    pub name: String,
    pub display_name: String,
    pub client_id: String,
    pub client_secret: String,
    pub auth_url: String,
    pub token_url: String,
    pub user_info_url: String,
    pub pkce: bool,
    pub scopes: Vec<String>,
    pub extra: Map<String, Value>,
    pub redirect_url: String,
}

/// A failure talking to the provider (the message is for logs).
#[derive(Debug, Clone)]
pub struct FlowError(pub String);

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn http() -> Result<&'static reqwest::blocking::Client, FlowError> {
    static CLIENT: std::sync::OnceLock<reqwest::blocking::Client> = std::sync::OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let built = reqwest::blocking::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .user_agent("ferrobase")
        .build()
        .map_err(|e| FlowError(e.to_string()))?;
    Ok(CLIENT.get_or_init(|| built))
}

/// A value at a dotted path (`data.0.id`); numbers index arrays.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return None;
    }
    path.split('.').try_fold(v, |cur, key| match cur {
        Value::Object(m) => m.get(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// A value as PocketBase's `cast.ToString` (numeric ids included).
fn text(v: &Value, path: &str) -> String {
    match at(v, path) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// `cast.ToBool`: true, "true", "1", non-zero.
fn truthy(v: &Value, path: &str) -> bool {
    let (negate, path) = match path.strip_prefix('!') {
        Some(p) => (true, p),
        None => (false, path),
    };
    let t = match at(v, path) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "t"),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    };
    t != negate
}

/// S256 PKCE challenge of a verifier.
pub fn s256_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Provider {
    /// Builds a provider from a collection's config: the named definition
    /// with the config's non-empty values on top.
    pub fn from_config(cfg: &OAuth2Provider) -> Result<Provider, FlowError> {
        let def = providers::find(&cfg.name).ok_or_else(|| FlowError(format!("missing provider {}", cfg.name)))?;
        let pick = |configured: &str, default: &str| {
            if configured.is_empty() { default.to_string() } else { configured.to_string() }
        };
        Ok(Provider {
            def,
            name: cfg.name.clone(),
            display_name: pick(&cfg.display_name, def.display_name),
            client_id: cfg.client_id.clone(),
            client_secret: cfg.client_secret.clone(),
            auth_url: pick(&cfg.auth_url, def.auth_url),
            token_url: pick(&cfg.token_url, def.token_url),
            user_info_url: pick(&cfg.user_info_url, def.user_info_url),
            pkce: cfg.pkce.unwrap_or(def.pkce),
            scopes: def.scopes.iter().map(|s| s.to_string()).collect(),
            extra: cfg.extra.clone().unwrap_or_default(),
            redirect_url: String::new(),
        })
    }

    fn extra_str(&self, key: &str) -> String {
        self.extra.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
    }

    /// OIDC discovery: with `extra.issuer` (or `extra.discoveryURL`), the
    /// endpoints left empty and the JWKS come from
    /// `.well-known/openid-configuration`.
    pub fn discover(&mut self) -> Result<(), FlowError> {
        let is_oidc = matches!(self.def.user_info, UserInfo::IdToken { jwks: "", .. });
        let issuer = self.extra_str("issuer");
        let mut url = self.extra_str("discoveryURL");
        if url.is_empty() && !issuer.is_empty() {
            url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        }
        if !is_oidc || url.is_empty() {
            return Ok(());
        }
        let doc: Value = http()?
            .get(&url)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .map_err(|e| FlowError(format!("OIDC discovery at {url} failed: {e}")))?;
        let s = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        if self.auth_url.is_empty() {
            self.auth_url = s("authorization_endpoint");
        }
        if self.token_url.is_empty() {
            self.token_url = s("token_endpoint");
        }
        if self.extra_str("jwksURL").is_empty() && !s("jwks_uri").is_empty() {
            self.extra.insert("jwksURL".into(), json!(s("jwks_uri")));
        }
        if !self.extra.contains_key("issuers") && !s("issuer").is_empty() {
            self.extra.insert("issuers".into(), json!([s("issuer")]));
        }
        Ok(())
    }

    /// The consent page URL (PocketBase appends `&redirect_uri=` for the
    /// client to complete).
    pub fn build_auth_url(&self, state: &str, code_challenge: Option<&str>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &self.client_id);
        q.append_pair("response_type", "code");
        if !self.scopes.is_empty() {
            q.append_pair("scope", &self.scopes.join(" "));
        }
        q.append_pair("state", state);
        for (k, v) in self.def.auth_params {
            q.append_pair(k, v);
        }
        if let Some(challenge) = code_challenge {
            q.append_pair("code_challenge", challenge);
            q.append_pair("code_challenge_method", "S256");
        }
        let sep = if self.auth_url.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}", self.auth_url, q.finish())
    }

    /// Exchanges the code (client credentials as HTTP Basic first, then in
    /// the form, as Go's oauth2 does).
    pub fn exchange(&self, code: &str, code_verifier: &str) -> Result<TokenResponse, FlowError> {
        let mut form: Vec<(&str, &str)> =
            vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &self.redirect_url)];
        if self.pkce && !code_verifier.is_empty() {
            form.push(("code_verifier", code_verifier));
        }
        let encode = |pairs: &[(&str, &str)]| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                s.append_pair(k, v);
            }
            s.finish()
        };
        let first = http()?
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(encode(&form))
            .send()
            .map_err(|e| FlowError(format!("token request failed: {e}")))?;
        let res = if first.status().as_u16() == 401 || first.status().as_u16() == 400 {
            let mut with_params = form.clone();
            with_params.push(("client_id", &self.client_id));
            with_params.push(("client_secret", &self.client_secret));
            http()?
                .post(&self.token_url)
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(encode(&with_params))
                .send()
                .map_err(|e| FlowError(format!("token request failed: {e}")))?
        } else {
            first
        };
        let status = res.status();
        let body = res.text().map_err(|e| FlowError(e.to_string()))?;
        let raw: Map<String, Value> = serde_json::from_str(&body).unwrap_or_else(|_| {
            form_urlencoded::parse(body.as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect()
        });
        if !status.is_success() || raw.contains_key("error") {
            return Err(FlowError(format!(
                "token endpoint answered {status}: {}",
                body.chars().take(500).collect::<String>()
            )));
        }
        let access_token = raw.get("access_token").and_then(Value::as_str).unwrap_or_default().to_string();
        if access_token.is_empty() {
            return Err(FlowError("the token endpoint returned no access_token".into()));
        }
        let expiry = raw
            .get("expires_in")
            .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            .filter(|s| *s > 0)
            .map(|s| crate::core::datetime::format(chrono::Utc::now() + chrono::Duration::seconds(s)))
            .unwrap_or_default();
        Ok(TokenResponse {
            access_token,
            refresh_token: raw.get("refresh_token").and_then(Value::as_str).unwrap_or_default().to_string(),
            expiry,
            raw,
        })
    }

    fn profile_request(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &TokenResponse,
    ) -> reqwest::blocking::RequestBuilder {
        let Ok(client) = http() else {
            return reqwest::blocking::Client::new().request(method, url);
        };
        let mut rb = client.request(method, url).bearer_auth(&token.access_token).header("Accept", "application/json");
        for (k, v) in self.def.headers {
            rb = rb.header(*k, v.replace("{clientId}", &self.client_id));
        }
        rb
    }

    fn get_json(&self, url: &str, token: &TokenResponse) -> Result<(u16, Value), FlowError> {
        let res = self
            .profile_request(reqwest::Method::GET, url, token)
            .send()
            .map_err(|e| FlowError(format!("profile request failed: {e}")))?;
        let status = res.status().as_u16();
        let body = res.text().map_err(|e| FlowError(e.to_string()))?;
        Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
    }

    /// The raw profile.
    pub fn fetch_raw_user(&self, token: &TokenResponse) -> Result<Value, FlowError> {
        match self.def.user_info {
            UserInfo::IdToken { jwks, issuer } if self.user_info_url.is_empty() || !jwks.is_empty() => {
                self.verified_id_token_claims(token, jwks, issuer)
            }
            UserInfo::GraphQl(query) => {
                let res = self
                    .profile_request(reqwest::Method::POST, &self.user_info_url, token)
                    .json(&json!({"query": query}))
                    .send()
                    .map_err(|e| FlowError(format!("profile request failed: {e}")))?;
                let status = res.status().as_u16();
                let v: Value = res.json().unwrap_or(Value::Null);
                if status >= 400 {
                    return Err(FlowError(format!("profile request answered {status}")));
                }
                Ok(v)
            }
            _ => {
                let (status, v) = self.get_json(&self.user_info_url, token)?;
                if status >= 400 {
                    return Err(FlowError(format!("profile request to {} answered {status}", self.user_info_url)));
                }
                Ok(v)
            }
        }
    }

    /// The claims of the token response's `id_token`: audience = client id,
    /// unexpired (5 min leeway), issuer among `extra.issuers` (or the
    /// provider's), signature checked against the JWKS when there is one.
    fn verified_id_token_claims(&self, token: &TokenResponse, jwks: &str, issuer: &str) -> Result<Value, FlowError> {
        let id_token = token.raw.get("id_token").and_then(Value::as_str).unwrap_or_default();
        if id_token.is_empty() {
            return Err(FlowError("empty id_token".into()));
        }
        let mut issuers: Vec<String> = match self.extra.get("issuers") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            _ => vec![],
        };
        if !issuer.is_empty() {
            issuers = vec![issuer.to_string()];
        }
        let jwks_url = if jwks.is_empty() { self.extra_str("jwksURL") } else { jwks.to_string() };
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| FlowError(format!("invalid id_token: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = ID_TOKEN_LEEWAY;
        validation.set_audience(&[self.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        if !issuers.is_empty() {
            validation.set_issuer(&issuers);
        }
        let claims: Map<String, Value> = if jwks_url.is_empty() {
            // like PocketBase: without a JWKS the token is trusted for having
            // come straight from the token endpoint; the claims are still checked
            let claims: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode_claims(id_token)
                .map_err(|e| FlowError(format!("invalid id_token: {e}")))?;
            check_claims(&claims, &self.client_id, &issuers)?;
            claims
        } else {
            let set: JwkSet = http()?
                .get(&jwks_url)
                .send()
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.json())
                .map_err(|e| FlowError(format!("failed to fetch the JWKS at {jwks_url}: {e}")))?;
            let jwk = match &header.kid {
                Some(kid) => set.find(kid),
                None if set.keys.len() == 1 => set.keys.first(),
                None => None,
            }
            .ok_or_else(|| FlowError("no JWKS key matches the id_token".into()))?;
            let key = DecodingKey::from_jwk(jwk).map_err(|e| FlowError(format!("unusable JWKS key: {e}")))?;
            jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &validation)
                .map_err(|e| FlowError(format!("id_token validation failed: {e}")))?
                .claims
        };
        if let Some(iat) = claims.get("iat").and_then(Value::as_i64)
            && iat > chrono::Utc::now().timestamp() + ID_TOKEN_LEEWAY as i64
        {
            return Err(FlowError("id_token issued in the future".into()));
        }
        Ok(Value::Object(claims))
    }

    /// The user behind the token, mapped by the provider definition.
    pub fn fetch_auth_user(&self, token: &TokenResponse) -> Result<AuthUser, FlowError> {
        let raw = self.fetch_raw_user(token)?;
        self.map_user(raw, token)
    }

    /// Maps a fetched profile onto an `AuthUser` (only the emails-list
    /// providers call the provider again).
    pub fn map_user(&self, raw: Value, token: &TokenResponse) -> Result<AuthUser, FlowError> {
        let d = self.def;
        if let Some((path, expected)) = d.active {
            let ok = if expected == "true" { truthy(&raw, path) } else { text(&raw, path) == expected };
            if !ok {
                return Err(FlowError(format!("the {} account is not active", self.name)));
            }
        }
        let name = match d.name_of {
            NameSpec::Path(p) => text(&raw, p),
            NameSpec::FirstOf(paths) => paths.iter().map(|p| text(&raw, p)).find(|s| !s.is_empty()).unwrap_or_default(),
            NameSpec::Join(paths) => {
                paths.iter().map(|p| text(&raw, p)).collect::<Vec<_>>().join(" ").trim().to_string()
            }
        };
        let avatar_url = match d.avatar {
            AvatarSpec::None => String::new(),
            AvatarSpec::Path(p) => text(&raw, p),
            AvatarSpec::If { path, flag } => {
                if truthy(&raw, flag) {
                    text(&raw, path)
                } else {
                    String::new()
                }
            }
            AvatarSpec::Template { url, when } => {
                if truthy(&raw, when) || (!when.starts_with('!') && !text(&raw, when).is_empty()) {
                    fill_template(url, &raw)
                } else {
                    String::new()
                }
            }
        };
        let email = match d.email {
            EmailSpec::None => String::new(),
            EmailSpec::Trusted(p) => text(&raw, p),
            EmailSpec::VerifiedBy { path, flags } => {
                if flags.iter().all(|f| truthy(&raw, f)) {
                    text(&raw, path)
                } else {
                    String::new()
                }
            }
            EmailSpec::ConfirmedAt { path, at: when } => {
                if crate::core::datetime::parse(&text(&raw, when)).is_some() {
                    text(&raw, path)
                } else {
                    String::new()
                }
            }
            EmailSpec::EmailsList { url, list, email, flags } => {
                let url = if url.is_empty() { format!("{}/emails", self.user_info_url) } else { url.to_string() };
                self.primary_email(&url, list, email, flags, token)?
            }
            EmailSpec::ProfileOrList { path, url } => {
                let e = text(&raw, path);
                if crate::core::records::validate::is_email(&e) { e } else { self.gitee_email(url, token)? }
            }
            EmailSpec::TokenExtra(key) => {
                token.raw.get(key).map(crate::core::records::values::to_string).unwrap_or_default()
            }
        };
        Ok(AuthUser {
            id: text(&raw, d.id),
            name,
            username: match d.username {
                "" => String::new(),
                p => text(&raw, p),
            },
            email,
            avatar_url,
            raw_user: raw.as_object().cloned().unwrap_or_default(),
            access_token: token.access_token.clone(),
            refresh_token: token.refresh_token.clone(),
            expiry: token.expiry.clone(),
        })
        .map(|mut u| {
            if self.name == "mailcow"
                && let Some((local, _)) = u.username.split_once('@')
            {
                u.username = local.to_string();
            }
            u
        })
    }

    fn primary_email(
        &self,
        url: &str,
        list: &str,
        email: &str,
        flags: &[&str],
        token: &TokenResponse,
    ) -> Result<String, FlowError> {
        let (status, v) = self.get_json(url, token)?;
        if status >= 400 {
            return Ok(String::new());
        }
        let items = if list.is_empty() { Some(&v) } else { at(&v, list) };
        let Some(Value::Array(items)) = items else { return Ok(String::new()) };
        Ok(items
            .iter()
            .find(|item| flags.iter().all(|f| truthy(item, f)))
            .map(|item| text(item, email))
            .unwrap_or_default())
    }

    fn gitee_email(&self, url: &str, token: &TokenResponse) -> Result<String, FlowError> {
        let (status, v) = self.get_json(url, token)?;
        if status >= 400 {
            return Ok(String::new());
        }
        let Value::Array(items) = v else { return Ok(String::new()) };
        Ok(items
            .iter()
            .find(|i| {
                text(i, "state") == "confirmed"
                    && at(i, "scope").and_then(Value::as_array).is_some_and(|s| s.iter().any(|x| x == "primary"))
                    && crate::core::records::validate::is_email(&text(i, "email"))
            })
            .map(|i| text(i, "email"))
            .unwrap_or_default())
    }
}

/// The checks `Validation` does, for an id_token whose signature is not
/// verified: audience, expiry (with leeway), issuer.
fn check_claims(claims: &Map<String, Value>, client_id: &str, issuers: &[String]) -> Result<(), FlowError> {
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a == client_id),
        _ => false,
    };
    if !aud_ok {
        return Err(FlowError("id_token audience mismatch".into()));
    }
    let now = chrono::Utc::now().timestamp();
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + ID_TOKEN_LEEWAY as i64 >= now => {}
        _ => return Err(FlowError("id_token expired or without exp".into())),
    }
    if !issuers.is_empty() {
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
        if !issuers.iter().any(|i| i == iss) {
            return Err(FlowError(format!("id_token issuer {iss:?} is not one of {issuers:?}")));
        }
    }
    Ok(())
}

fn fill_template(url: &str, raw: &Value) -> String {
    let mut out = String::new();
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push_str(&text(raw, &rest[start + 1..start + end]));
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Signs Apple's client secret: an ES256 JWT (`kid` = key id) from the
/// team to Apple about the client, valid `duration` seconds.
pub fn apple_client_secret(
    client_id: &str,
    team_id: &str,
    key_id: &str,
    private_key_pem: &str,
    duration: i64,
) -> Result<String, FlowError> {
    let b64: String =
        private_key_pem.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| FlowError(format!("invalid private key: {e}")))?;
    let key = jsonwebtoken::EncodingKey::from_ec_der(&der);
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"aud": ["https://appleid.apple.com"], "sub": client_id, "iss": team_id, "iat": now, "exp": now + duration});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key_id.to_string());
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| FlowError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(name: &str) -> Provider {
        Provider::from_config(&OAuth2Provider {
            name: name.into(),
            client_id: "cid".into(),
            client_secret: "secret".into(),
            ..Default::default()
        })
        .expect("known provider")
    }

    #[test]
    fn auth_url_carries_state_scopes_and_pkce() {
        let p = provider("google");
        let url = p.build_auth_url("st4te", Some("chal"));
        assert!(url.starts_with("https://accounts.google.com/o/oauth2/v2/auth?client_id=cid&response_type=code"));
        assert!(
            url.contains("state=st4te")
                && url.contains("code_challenge=chal")
                && url.contains("code_challenge_method=S256")
        );
        assert!(provider("apple").build_auth_url("s", None).contains("response_mode=form_post"));
    }

    #[test]
    fn pkce_challenge_matches_rfc7636() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn profiles_map_by_definition() {
        let token = TokenResponse { access_token: "a".into(), ..Default::default() };
        let p = provider("discord");
        let raw = json!({"id": "80351110224678912", "username": "nelly", "global_name": "", "avatar": "8342729096ea3675442027381ff50dfe", "verified": true, "email": "nelly@discord.com"});
        let user = p.map_user(raw, &token).expect("maps");
        assert_eq!(user.name, "nelly");
        assert_eq!(user.email, "nelly@discord.com");
        assert_eq!(
            user.avatar_url,
            "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"
        );
        let user =
            p.map_user(json!({"id": "1", "username": "x", "verified": false, "email": "x@y.z"}), &token).expect("maps");
        assert_eq!(user.email, "");
        assert_eq!(user.avatar_url, "");
        let user = provider("strava")
            .map_user(json!({"id": 42, "firstname": "A", "lastname": "B", "profile": "u"}), &token)
            .expect("maps");
        assert_eq!((user.id.as_str(), user.name.as_str(), user.avatar_url.as_str()), ("42", "A B", "u"));
        let user = provider("yandex")
            .map_user(json!({"id": "1", "is_avatar_empty": false, "default_avatar_id": "av"}), &token)
            .expect("maps");
        assert_eq!(user.avatar_url, "https://avatars.yandex.net/get-yapic/av/islands-200");
        let user = provider("yandex")
            .map_user(json!({"id": "1", "is_avatar_empty": true, "default_avatar_id": "av"}), &token)
            .expect("maps");
        assert_eq!(user.avatar_url, "");
        assert!(provider("box").map_user(json!({"id": "1", "status": "inactive"}), &token).is_err());
    }
}
