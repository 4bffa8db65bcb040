//! The W0 yardstick: one axum route answering `/api/health` with the same
//! JSON as Ferrobase, no middleware, same allocator and runtime flavour.
//! `bench/w0.sh` compares `ferrobase serve` against it on the same box.
//!
//! usage: cargo run --release --example bare_axum -- 127.0.0.1:8099

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::Json;
use axum::routing::get;
use serde_json::{Value, json};

async fn health() -> Json<Value> {
    Json(json!({"message": "API is healthy.", "code": 200, "data": {}}))
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8099".into());
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        let app = axum::Router::new().route("/api/health", get(health));
        axum::serve(listener, app).await
    })
}
