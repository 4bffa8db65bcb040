//! `serve [domains…]`: opens the app, applies pending JS migrations (and
//! turns on automigrate), prints the installer link on first run and
//! serves HTTP until SIGINT/SIGTERM.

use anyhow::Context;
use clap::Args;

use super::GlobalFlags;
use crate::api::{AppState, DEFAULT_BODY_LIMIT, HttpOptions, router};

/// Threads for blocking core calls. Bounded so a flood does not make
/// hundreds of threads, yet large enough that requests waiting on the
/// writer lock or on JS handlers do not starve quick reads.
const BLOCKING_THREADS: usize = 64;

/// `serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// domain(s) for automatic TLS (not yet implemented: serving plain HTTP, a warning is printed)
    pub domains: Vec<String>,
    /// TCP address to listen for the HTTP server (default 127.0.0.1:8090; 0.0.0.0:80 with domains)
    #[arg(long = "http")]
    pub http: Option<String>,
    /// TCP address to listen for the HTTPS server (not yet implemented: a warning is printed)
    #[arg(long = "https")]
    pub https: Option<String>,
    /// CORS allowed domain origins list
    #[arg(long = "origins", value_delimiter = ',', default_value = "*")]
    pub origins: Vec<String>,
}

/// Runs the server.
pub fn run(flags: &GlobalFlags, args: ServeArgs) -> anyhow::Result<()> {
    if !args.domains.is_empty() || args.https.is_some() {
        tracing::warn!("automatic TLS (domains/--https) is not implemented yet: serving plain HTTP only");
    }
    let app = flags.open_app().context("failed to open the data dir")?;
    let js = flags.start_hooks(&app)?;
    let migrations = flags.migrations_config();
    crate::migrations::up(&app, &migrations)?;
    if flags.automigrate {
        crate::migrations::automigrate::register(&app, migrations.dir);
    }
    let addr = args
        .http
        .clone()
        .unwrap_or_else(|| if args.domains.is_empty() { "127.0.0.1:8090".into() } else { "0.0.0.0:80".into() });
    let runtime =
        tokio::runtime::Builder::new_multi_thread().max_blocking_threads(BLOCKING_THREADS).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
            let cause = if e.kind() == std::io::ErrorKind::AddrInUse {
                anyhow::anyhow!("the port is already in use by another program ({e})")
            } else {
                anyhow::Error::new(e)
            };
            cause.context(format!("failed to listen on {addr}"))
        })?;
        let local = listener.local_addr()?;
        let base = format!("http://{local}");
        if let Some(token) = app.installer_token()? {
            println!("(!) Launch the URL below in the browser if it hasn't been open already to create your first superuser account:");
            println!("{base}/_/#/pbinstall/{token}");
            println!("(you can also create your first superuser by running: ferrobase superuser upsert EMAIL PASS)\n");
        }
        println!("Server started at {base}\n├─ REST API:  {base}/api/\n└─ Dashboard: {base}/_/");
        let state = AppState { app: app.clone(), body_limit: DEFAULT_BODY_LIMIT };
        let opts = HttpOptions { origins: args.origins, public_dir: Some(flags.public_dir.clone()), index_fallback: flags.index_fallback, js };
        let service = router(state, &opts);
        let hooks_app = app.clone();
        tokio::task::spawn_blocking(move || hooks_app.trigger_serve()).await??;
        let realtime = app.realtime().clone();
        let shutdown = async move {
            shutdown_signal().await;
            // open SSE streams would keep the graceful shutdown waiting forever
            realtime.close();
        };
        crate::api::server::serve(listener, service, shutdown).await?;
        tokio::task::spawn_blocking(move || app.terminate(false)).await??;
        anyhow::Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
