//! `serve [domains…]`: opens the app, applies pending JS migrations (and
//! turns on automigrate), prints the installer link on first run and
//! serves HTTP until SIGINT/SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::GlobalFlags;
use crate::api::{AppState, DEFAULT_BODY_LIMIT, HttpOptions, router};

/// Threads for blocking core calls. Bounded so a flood does not make
/// hundreds of threads, yet large enough that requests waiting on the
/// writer lock or on JS handlers do not starve quick reads.
const BLOCKING_THREADS: usize = 64;

/// After SIGINT/SIGTERM, how long in-flight requests may finish normally.
const GRACE: Duration = Duration::from_secs(1);
/// Then their queries are interrupted; this long after the signal the
/// process stops waiting for connections (streams, stuck clients) at all.
const HARD_STOP: Duration = Duration::from_secs(3);

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
    let result = runtime.block_on(async move {
        let listener = crate::api::server::bind(&addr).await.map_err(|e| {
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
            // the dashboard's installer page is not built yet: say how to
            // create the first superuser instead of printing a dead link
            println!("(!) No superuser exists yet. Create the first one with:");
            println!("      ferrobase superuser upsert EMAIL PASS");
            println!("    or over the API with this one-time installer token (valid for 30 minutes):");
            println!(
                "      curl -X POST {base}/api/collections/_superusers/records -H 'Authorization: {token}' \\\n           -H 'Content-Type: application/json' -d '{{\"email\":\"you@example.com\",\"password\":\"PASS\",\"passwordConfirm\":\"PASS\"}}'\n"
            );
        }
        println!("Server started at {base}\n└─ REST API:  {base}/api/");
        let state = AppState { app: app.clone(), body_limit: DEFAULT_BODY_LIMIT };
        let opts = HttpOptions { origins: args.origins, public_dir: Some(flags.public_dir.clone()), index_fallback: flags.index_fallback, js };
        let service = router(state, &opts);
        let hooks_app = app.clone();
        tokio::task::spawn_blocking(move || hooks_app.trigger_serve()).await??;
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = stop.clone();
        let realtime = app.realtime().clone();
        let mut server = tokio::spawn(crate::api::server::serve(listener, service, async move {
            stopped.notified().await;
            // open SSE streams would keep the graceful shutdown waiting
            realtime.close();
        }));
        tokio::select! {
            res = &mut server => return res?.map_err(anyhow::Error::from),
            () = shutdown_signal() => {}
        }
        stop.notify_one();
        drain(&app, &mut server).await;
        tokio::task::spawn_blocking(move || {
            app.terminate(false)?;
            app.close()
        })
        .await??;
        anyhow::Ok(())
    });
    // blocking work still running (a stuck script) must not keep the process
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

/// Waits for in-flight requests: normally for [`GRACE`], then with their
/// queries interrupted, and gives up on what remains at [`HARD_STOP`].
async fn drain(app: &crate::core::App, server: &mut tokio::task::JoinHandle<std::io::Result<()>>) {
    if tokio::time::timeout(GRACE, &mut *server).await.is_ok() {
        return;
    }
    tracing::warn!("requests still running {GRACE:?} after the stop signal: interrupting their queries");
    app.interrupt_queries();
    if tokio::time::timeout(HARD_STOP - GRACE, &mut *server).await.is_err() {
        tracing::warn!("connections still open {HARD_STOP:?} after the stop signal: closing them");
        server.abort();
    }
    app.resume_queries();
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
