//! `/api/realtime`: the SSE stream (`GET`) and the subscriptions form
//! (`POST`). A stream is the client's queue read from inside the HTTP
//! connection's own task (no task or thread per client), framed as
//! PocketBase frames it (`id:<clientId>` / `event:<name>` / `data:<json>`),
//! ended by the idle and max timeouts, by a discard (shutdown, a newer
//! client) or cut when the client fell too far behind.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{BufMut, Bytes, BytesMut};
use futures_core::Stream;
use serde_json::{Map, Value};
use tokio::time::{Instant, Sleep};

use super::context::{AppState, BodyData, Ctx, inline_if};
use super::error::ApiResult;
use crate::core::realtime::requests::{Connected, SubscribeForm};
use crate::core::realtime::{Broker, Client};
use crate::core::request::RequestInfo;

/// `GET /api/realtime`
pub async fn connect(State(st): State<AppState>, ctx: Ctx) -> ApiResult<Response> {
    let app = st.app.clone();
    let hooks = app.hooks();
    // hooks may run JS and want `e.auth` (a database read): off the async threads then
    let with_hooks = !hooks.on_realtime_connect_request.is_empty() || !hooks.on_realtime_message_send.is_empty();
    let client = Client::new();
    client.set_ip(&ctx.remote_ip);
    let connected = inline_if(!with_hooks, move || {
        let req = if with_hooks {
            ctx.request_info(&app, Map::new())
        } else {
            RequestInfo { method: "GET".into(), ..RequestInfo::default() }
        };
        Ok(app.realtime_connect_request(client, req)?)
    })
    .await?;
    let body = match connected {
        Some(c) => Body::from_stream(EventStream::new(st.app.realtime().clone(), c)),
        None => Body::empty(),
    };
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx must not buffer the stream
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(res)
}

/// `POST /api/realtime`
pub async fn subscribe(State(st): State<AppState>, ctx: Ctx, body: BodyData) -> ApiResult<Response> {
    let cheap = ctx.token.is_none() && st.app.hooks().on_realtime_subscribe_request.is_empty();
    inline_if(cheap, move || {
        let app = &st.app;
        let content_type = ctx.headers.get("content_type").and_then(Value::as_str).unwrap_or_default();
        let form_encoded =
            content_type.starts_with("application/x-www-form-urlencoded") || content_type.starts_with("multipart/");
        let form = SubscribeForm::parse(&body.fields, form_encoded)?;
        let req = ctx.request_info(app, Map::new());
        if !app.realtime_subscribe_request(form, &req, &ctx.remote_ip)? {
            return Ok(StatusCode::OK.into_response());
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

/// One client's SSE body. Dropping it (the connection closed, the
/// response ended) unregisters the client.
struct EventStream {
    broker: Arc<Broker>,
    client: Arc<Client>,
    /// Ends the stream at the idle or max timeout, whichever is first.
    timer: Pin<Box<Sleep>>,
    idle: Duration,
    max_at: Instant,
}

impl EventStream {
    fn new(broker: Arc<Broker>, c: Connected) -> Self {
        let now = Instant::now();
        let max_at = now + c.max_timeout;
        let idle = c.idle_timeout;
        EventStream {
            broker,
            client: c.client,
            timer: Box::pin(tokio::time::sleep_until((now + idle).min(max_at))),
            idle,
            max_at,
        }
    }

    fn frame(&self, name: &str, data: &[u8]) -> Bytes {
        let id = self.client.id();
        let mut b = BytesMut::with_capacity(id.len() + name.len() + data.len() + 20);
        b.put_slice(b"id:");
        b.put_slice(id.as_bytes());
        b.put_slice(b"\nevent:");
        b.put_slice(name.as_bytes());
        b.put_slice(b"\ndata:");
        b.put_slice(data);
        b.put_slice(b"\n\n");
        b.freeze()
    }
}

impl Stream for EventStream {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.client.queue().poll_next(cx) {
            Poll::Ready(Some(Ok(m))) => {
                let frame = self.frame(&m.name, &m.data);
                let next = (Instant::now() + self.idle).min(self.max_at);
                self.timer.as_mut().reset(next);
                return Poll::Ready(Some(Ok(frame)));
            }
            // cut the connection at once: a stuck client would not take the end either
            Poll::Ready(Some(Err(_))) => {
                return Poll::Ready(Some(Err(std::io::Error::other("realtime client too slow"))));
            }
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.broker.unregister_client(&self.client);
    }
}
