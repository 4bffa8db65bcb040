//! Test harness: `spawn_app()` starts the real server in-process on an
//! ephemeral port with a temporary data dir, and offers typed helpers.
#![allow(dead_code)]

use ferrobase::api::{AppState, DEFAULT_BODY_LIMIT, HttpOptions, router};
use ferrobase::core::{App, AppConfig};
use ferrobase::jsvm::{JsConfig, JsEngine};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASS: &str = "1234567890ab";

/// A running server.
pub struct TestApp {
    pub base: String,
    pub app: App,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// The JS engine, when started with hooks.
    pub js: Option<JsEngine>,
}

/// A response reduced to what tests assert on.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub json: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

/// How to start a test server.
pub struct Options {
    /// Create the default superuser.
    pub superuser: bool,
    /// Serve static files from `<tmp>/pb_public` (created by the test).
    pub public_dir: bool,
    /// CORS origins.
    pub origins: Vec<String>,
    /// Start the JS engine with this config.
    pub hooks: Option<JsConfig>,
    /// Apply the JS migrations of `<tmp>/pb_migrations` before serving.
    pub migrations: bool,
    /// Write automigrate files into `<tmp>/pb_migrations`.
    pub automigrate: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            superuser: true,
            public_dir: false,
            origins: vec!["*".into()],
            hooks: None,
            migrations: false,
            automigrate: false,
        }
    }
}

/// Starts a server on a fresh data dir with one superuser.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_in(dir).await
}

/// Starts a server on the given data dir (which may hold existing data).
pub async fn spawn_app_in(dir: tempfile::TempDir) -> TestApp {
    spawn_with(dir, Options::default()).await
}

/// The migrations dir of a test app's temp dir.
pub fn migrations_dir(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("pb_migrations")
}

/// The hooks dir of a test app's temp dir.
pub fn hooks_dir(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("pb_hooks")
}

/// Starts a server with the JS engine on `files` (name, source) written to
/// a temp `pb_hooks`; `tune` adjusts the engine config (pool size, budget,
/// watching; watching is off unless turned on).
pub async fn spawn_app_with_hooks(files: &[(&str, &str)], tune: impl FnOnce(&mut JsConfig)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let hooks = hooks_dir(dir.path());
    std::fs::create_dir_all(&hooks).expect("hooks dir");
    for (name, src) in files {
        let path = hooks.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("hook file dir");
        }
        std::fs::write(path, src).expect("hook file");
    }
    let mut config = JsConfig::new(&hooks);
    config.pool_size = 2;
    config.watch = false;
    tune(&mut config);
    spawn_with(dir, Options { hooks: Some(config), ..Options::default() }).await
}

/// Starts a server with options.
pub async fn spawn_with(dir: tempfile::TempDir, options: Options) -> TestApp {
    let data_dir = dir.path().join("pb_data");
    let superuser = options.superuser;
    let app = tokio::task::spawn_blocking(move || {
        let app = App::open(AppConfig::new(data_dir)).expect("app opens");
        if superuser && app.count_real_superusers().expect("count") == 0 {
            app.upsert_superuser(ADMIN_EMAIL, ADMIN_PASS, None).expect("superuser");
        }
        app
    })
    .await
    .expect("join");
    let js = match options.hooks {
        Some(config) => {
            let app = app.clone();
            let engine = tokio::task::spawn_blocking(move || JsEngine::start(&app, config))
                .await
                .expect("join")
                .expect("hooks load");
            Some(engine)
        }
        None => None,
    };
    let migrations = ferrobase::migrations::MigrationsConfig::new(migrations_dir(dir.path()));
    if options.migrations {
        let (app, migrations) = (app.clone(), migrations.clone());
        tokio::task::spawn_blocking(move || ferrobase::migrations::up(&app, &migrations))
            .await
            .expect("join")
            .expect("migrations apply");
    }
    if options.automigrate {
        ferrobase::migrations::automigrate::register(&app, migrations.dir.clone());
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState { app: app.clone(), body_limit: DEFAULT_BODY_LIMIT };
    let public_dir = options.public_dir.then(|| dir.path().join("pb_public"));
    let opts = HttpOptions { origins: options.origins, public_dir, index_fallback: true, js: js.clone() };
    let service = router(state, &opts);
    tokio::spawn(async move {
        let _ = ferrobase::api::server::serve(listener, service, std::future::pending()).await;
    });
    TestApp { base: format!("http://{addr}"), app, client: reqwest::Client::new(), dir, js }
}

impl TestApp {
    /// Sends a request; `body` is sent as JSON when it is not `Null`.
    pub async fn req(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Res {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self.client.request(m, format!("{}{}", self.base, path));
        if let Some(t) = token {
            rb = rb.header("Authorization", t);
        }
        if !body.is_null() {
            rb = rb.json(&body);
        }
        Self::finish(rb.send().await.expect("request sent")).await
    }

    /// Sends a raw body with a content type.
    pub async fn raw(&self, method: &str, path: &str, token: Option<&str>, content_type: &str, body: Vec<u8>) -> Res {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb =
            self.client.request(m, format!("{}{}", self.base, path)).header("Content-Type", content_type).body(body);
        if let Some(t) = token {
            rb = rb.header("Authorization", t);
        }
        Self::finish(rb.send().await.expect("request sent")).await
    }

    async fn finish(r: reqwest::Response) -> Res {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res { status, json, text, headers }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        self.req("GET", path, token, Value::Null).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.req("POST", path, token, body).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.req("PATCH", path, token, body).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Res {
        self.req("DELETE", path, token, Value::Null).await
    }

    /// A superuser token.
    pub async fn admin_token(&self) -> String {
        let r = self
            .post(
                "/api/collections/_superusers/auth-with-password",
                None,
                json!({"identity": ADMIN_EMAIL, "password": ADMIN_PASS}),
            )
            .await;
        assert_eq!(r.status, 200, "superuser login: {}", r.text);
        r.json["token"].as_str().expect("token").to_string()
    }

    /// Creates a collection as superuser and returns its JSON.
    pub async fn create_collection(&self, token: &str, def: Value) -> Value {
        let r = self.post("/api/collections", Some(token), def).await;
        assert_eq!(r.status, 200, "create collection: {}", r.text);
        r.json
    }

    /// Creates a user in `users` and returns (record, token).
    pub async fn user(&self, email: &str, password: &str) -> (Value, String) {
        let r = self
            .post(
                "/api/collections/users/records",
                None,
                json!({"email": email, "password": password, "passwordConfirm": password}),
            )
            .await;
        assert_eq!(r.status, 200, "signup: {}", r.text);
        let a = self
            .post("/api/collections/users/auth-with-password", None, json!({"identity": email, "password": password}))
            .await;
        assert_eq!(a.status, 200, "login: {}", a.text);
        (r.json, a.json["token"].as_str().expect("token").to_string())
    }
}

/// The error `data.<key>.code` of a response.
pub fn code(r: &Res, key: &str) -> String {
    r.json["data"][key]["code"].as_str().unwrap_or_default().to_string()
}
