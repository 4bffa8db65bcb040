//! `/api/realtime`: the SSE stream (`GET`) and the subscriptions form
//! (`POST`). A stream is the client's queue read from inside the HTTP
//! connection's own task (no task or thread per client), framed as
//! PocketBase frames it (`id:<clientId>` / `event:<name>` / `data:<json>`),
//! ended by the idle and max timeouts, by a discard (shutdown, a newer
//! client) or cut when the client fell too far behind. Also
//! `/api/oauth2-redirect`, which hands a provider's redirect to the
//! realtime client waiting for it.

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
use super::error::{ApiError, ApiResult};
use crate::core::realtime::oauth2::RedirectData;
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

/// Where the browser goes after an OAuth2 redirect (relative to
/// `/api/oauth2-redirect`, so it works under a path prefix too).
const OAUTH2_SUCCESS_PATH: &str = "../_/#/auth/oauth2-redirect-success";
const OAUTH2_FAILURE_PATH: &str = "../_/#/auth/oauth2-redirect-failure";
/// How long Apple's first-login user name waits for `auth-with-oauth2`.
const APPLE_NAME_TTL: Duration = Duration::from_secs(60);

/// `GET|POST /api/oauth2-redirect`: the provider's redirect (a query, or
/// a `response_mode=form_post` body) goes to the realtime client named by
/// `state` as an `@oauth2` message; the browser is then sent to the
/// dashboard's success or failure page (307 for GET, 303 for POST).
pub async fn oauth2_redirect(State(st): State<AppState>, ctx: Ctx, body: Result<BodyData, ApiError>) -> Response {
    // like PocketBase, only GET reads the query (a HEAD reads the body and gets a 303)
    let is_get = ctx.method == axum::http::Method::GET;
    let data = if is_get {
        Some(redirect_data_from_query(&ctx.raw_query))
    } else {
        let content_type = ctx.headers.get("content_type").and_then(Value::as_str).unwrap_or_default();
        let form = !content_type.to_ascii_lowercase().starts_with("application/json");
        body.ok().and_then(|b| redirect_data_from_body(&b.fields, form))
    };
    let status = if is_get { StatusCode::TEMPORARY_REDIRECT } else { StatusCode::SEE_OTHER };
    let success = match data {
        None => {
            tracing::debug!("unreadable OAuth2 redirect data");
            false
        }
        Some(data) => {
            let app = st.app.clone();
            let ip = ctx.remote_ip.clone();
            // message hooks may run JS: off the async threads then
            let cheap = app.hooks().on_realtime_message_send.is_empty();
            let outcome = inline_if(cheap, move || Ok(app.realtime_oauth2_redirect(&data, &ip))).await;
            match outcome {
                Ok(o) => {
                    if let Some(key) = o.stored_name_key {
                        let weak = st.app.downgrade();
                        tokio::spawn(async move {
                            tokio::time::sleep(APPLE_NAME_TTL).await;
                            if let Some(app) = weak.upgrade() {
                                app.store().lock().remove(&key);
                            }
                        });
                    }
                    o.success
                }
                Err(_) => false,
            }
        }
    };
    let location = if success { OAUTH2_SUCCESS_PATH } else { OAUTH2_FAILURE_PATH };
    // (the log layer leaves successful redirects out: the URL carries the code)
    (status, [(header::LOCATION, location)]).into_response()
}

/// `state`, `code` and `error` of a redirect query, each its first value.
fn redirect_data_from_query(raw: &str) -> RedirectData {
    let first = |name: &str| {
        form_urlencoded::parse(raw.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    RedirectData { state: first("state"), code: first("code"), error: first("error"), apple_user: String::new() }
}

/// The same fields (and Apple's `user`, a form field only) from a form
/// or JSON body; a value that is not a string (a repeated form field:
/// its first value) makes the body unreadable.
fn redirect_data_from_body(fields: &Map<String, Value>, form: bool) -> Option<RedirectData> {
    let get = |k: &str| -> Option<String> {
        match fields.get(k) {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Array(items)) if form => items.first().and_then(Value::as_str).map(str::to_string),
            Some(_) => None,
        }
    };
    let apple_user = if form { get("user")? } else { String::new() };
    Some(RedirectData { state: get("state")?, code: get("code")?, error: get("error")?, apple_user })
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
