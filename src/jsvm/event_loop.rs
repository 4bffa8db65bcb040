//! The event loop of one handler call: promises (`async` handlers,
//! `await`), timers (`setTimeout`/`setInterval`) and `fetch()`, whose
//! requests run on their own threads through the `$http.send` client, so
//! neither the JS worker nor the server's async threads block on the
//! network. The JS side is `js_api/async.js`.
//!
//! A handler call drives the loop until nothing is left to do: no promise
//! job, no fetch in flight, no `setTimeout` pending (intervals and
//! `AbortSignal.timeout` timers count only while the handler's own promise
//! is pending), all inside the handler's time budget. Whatever is still
//! pending when the call ends is dropped.

use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::prelude::Func;
use rquickjs::promise::PromiseState;
use std::rc::Rc;

use rquickjs::class::Trace;
use rquickjs::{ArrayBuffer, Class, Ctx, Exception, Function, JsLifetime, Object, TypedArray, Value};

use super::bindings::{Budget, state};

/// Default limit of a `fetch()` response body.
pub const FETCH_MAX_BODY: u64 = 32 << 20;

/// Default timeout of a `fetch()` (capped by the handler's budget left).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// At most this many fetches in flight per runtime.
const MAX_IN_FLIGHT: usize = 64;

const JS: &str = include_str!("../../js_api/async.js");

/// A finished fetch, sent from its thread to the runtime's loop.
struct FetchDone {
    id: u32,
    result: Result<FetchResponse, String>,
}

struct FetchResponse {
    status: u16,
    status_text: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    url: String,
}

/// Per-runtime loop state: where fetch threads report.
#[derive(JsLifetime)]
struct LoopState {
    tx: Sender<FetchDone>,
    rx: Receiver<FetchDone>,
    next_id: std::cell::Cell<u32>,
}

/// Milliseconds on the loop's monotonic clock.
fn now_ms() -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// Installs the timers, `fetch` and its classes (after the bindings).
pub fn install<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<()> {
    let (tx, rx) = channel();
    if ctx.store_userdata(LoopState { tx, rx, next_id: std::cell::Cell::new(0) }).is_err() {
        return Err(rquickjs::Error::new_into_js_message("LoopState", "userdata", "cannot store the loop state"));
    }
    let native: Object = ctx.globals().get("__native")?;
    native.set("loopNow", Func::from(now_ms))?;
    native.set("fetchStart", Func::from(fetch_start))?;
    native.set("utf8Encode", Func::from(utf8_encode))?;
    native.set("utf8Decode", Func::from(utf8_decode))?;
    let mut opts = EvalOptions::default();
    opts.strict = false;
    opts.filename = Some("ferrobase:js_api/async.js".into());
    ctx.eval_with_options::<(), _>(JS, opts)
}

fn utf8_encode<'js>(ctx: Ctx<'js>, s: String) -> rquickjs::Result<ArrayBuffer<'js>> {
    ArrayBuffer::new(ctx, s.into_bytes())
}

fn utf8_decode(buf: ArrayBuffer<'_>) -> rquickjs::Result<String> {
    Ok(String::from_utf8_lossy(&buffer_bytes(buf)?).into_owned())
}

/// The bytes of a JS ArrayBuffer, read element by element (no unsafe views).
fn buffer_bytes(buf: ArrayBuffer<'_>) -> rquickjs::Result<Vec<u8>> {
    let typed = TypedArray::<u8>::from_arraybuffer(buf)?;
    let obj: &Object<'_> = typed.as_ref();
    (0..typed.len()).map(|i| obj.get::<_, u8>(i as u32)).collect()
}

/// The body of a fetched response, kept on the Rust side until read.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "FetchedBytes")]
pub struct Bytes {
    #[qjs(skip_trace)]
    data: Rc<Vec<u8>>,
}

#[rquickjs::methods]
impl Bytes {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    #[qjs(rename = "arrayBuffer")]
    pub fn array_buffer<'js>(&self, ctx: Ctx<'js>) -> rquickjs::Result<ArrayBuffer<'js>> {
        ArrayBuffer::new_copy(ctx, self.data.as_slice())
    }

    #[qjs(get)]
    pub fn length(&self) -> usize {
        self.data.len()
    }
}

/// A request body from JS: a string, an ArrayBuffer, fetched bytes.
fn body_bytes(v: Value<'_>) -> rquickjs::Result<Option<Vec<u8>>> {
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    if let Some(s) = v.as_string() {
        return Ok(Some(s.to_string()?.into_bytes()));
    }
    if let Some(buf) = ArrayBuffer::from_value(v.clone()) {
        return buffer_bytes(buf).map(Some);
    }
    if let Ok(bytes) = Class::<Bytes>::from_value(&v) {
        return Ok(Some(bytes.borrow().data.as_ref().clone()));
    }
    Err(Exception::throw_type(v.ctx(), "unsupported request body"))
}

fn fetch_start<'js>(
    ctx: Ctx<'js>,
    url: String,
    method: String,
    headers: Vec<Vec<String>>,
    body: Value<'js>,
    timeout_ms: f64,
    max_bytes: f64,
) -> rquickjs::Result<u32> {
    let fail = |msg: String| Exception::throw_type(&ctx, &msg);
    let lp = ctx.userdata::<LoopState>().ok_or_else(|| fail("fetch is not available here".into()))?;
    let fetching: usize = ctx
        .globals()
        .get::<_, Object>("__pb")
        .and_then(|pb| pb.get::<_, Object>("loop"))
        .and_then(|l| l.get::<_, Function>("fetching"))
        .and_then(|f| f.call(()))
        .unwrap_or(0);
    if fetching >= MAX_IN_FLIGHT {
        return Err(fail(format!("more than {MAX_IN_FLIGHT} fetches in flight")));
    }
    let parsed = reqwest::Url::parse(&url).map_err(|e| fail(format!("invalid URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(fail(format!("fetch supports http and https URLs, not {:?}", parsed.scheme())));
    }
    let method =
        reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| fail(format!("invalid method {method:?}")))?;
    let wanted = Duration::try_from_secs_f64(timeout_ms / 1000.0)
        .ok()
        .filter(|d| timeout_ms >= 0.0 && !d.is_zero())
        .unwrap_or(FETCH_TIMEOUT);
    let budget: Budget = state(&ctx)?.budget.clone();
    let timeout = budget.remaining().map_or(wanted, |left| left.min(wanted)).max(Duration::from_millis(1));
    let limit = if max_bytes >= 0.0 { max_bytes as u64 } else { FETCH_MAX_BODY };
    let body = body_bytes(body)?;
    let headers: Vec<(String, String)> = headers
        .into_iter()
        .filter_map(|kv| match kv.as_slice() {
            [k, v] => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    let id = lp.next_id.get().wrapping_add(1);
    lp.next_id.set(id);
    let tx = lp.tx.clone();
    let spawned = std::thread::Builder::new().name("js-fetch".into()).spawn(move || {
        let result = fetch_blocking(parsed, method, headers, body, timeout, limit);
        let _ = tx.send(FetchDone { id, result });
    });
    spawned.map_err(|e| fail(format!("cannot start the request: {e}")))?;
    Ok(id)
}

/// One request on the `$http.send` client (run on a fetch thread).
fn fetch_blocking(
    url: reqwest::Url,
    method: reqwest::Method,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    timeout: Duration,
    limit: u64,
) -> Result<FetchResponse, String> {
    let client = super::bindings::http_client::client()?;
    let mut req = client.request(method, url.clone()).timeout(timeout);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    if let Some(body) = body {
        req = req.body(body);
    }
    let res = req.send().map_err(|e| {
        if e.is_timeout() { format!("no response within {timeout:?}") } else { e.without_url().to_string() }
    })?;
    let status = res.status();
    let final_url = res.url().to_string();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    if res.content_length().is_some_and(|n| n > limit) {
        return Err(format!("the response body is larger than the {limit} bytes limit"));
    }
    let mut body = Vec::new();
    use std::io::Read;
    res.take(limit.saturating_add(1)).read_to_end(&mut body).map_err(|e| {
        if e.to_string().contains("timed out") {
            format!("no complete response within {timeout:?}")
        } else {
            format!("reading the body: {e}")
        }
    })?;
    if body.len() as u64 > limit {
        return Err(format!("the response body is larger than the {limit} bytes limit"));
    }
    Ok(FetchResponse {
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or("").to_string(),
        headers,
        body,
        url: final_url,
    })
}

fn loop_fn<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Function<'js>> {
    let pb: Object = ctx.globals().get("__pb")?;
    let lp: Object = pb.get("loop")?;
    lp.get(name)
}

fn settle<'js>(ctx: &Ctx<'js>, done: FetchDone) -> rquickjs::Result<()> {
    let f = loop_fn(ctx, "settle")?;
    match done.result {
        Ok(r) => {
            let headers: Vec<Vec<String>> = r.headers.into_iter().map(|(k, v)| vec![k, v]).collect();
            let body = Class::instance(ctx.clone(), Bytes { data: Rc::new(r.body) })?;
            f.call::<_, ()>((done.id, Value::new_null(ctx.clone()), r.status, r.status_text, headers, body, r.url))
        }
        Err(e) => f.call::<_, ()>((done.id, e, 0, "", Vec::<Vec<String>>::new(), Value::new_null(ctx.clone()), "")),
    }
}

/// Throws the error a handler gets when its budget ran out while the loop
/// waited (the caller's error mapping reports the timeout).
fn interrupted(ctx: &Ctx<'_>) -> rquickjs::Error {
    Exception::throw_internal(ctx, "interrupted")
}

/// Drives the loop until nothing is left to do (see the module doc).
/// `waiting` says whether the handler's own promise is still pending.
/// An error thrown by a timer callback ends the drive with that error.
pub fn drive<'js>(ctx: &Ctx<'js>, waiting: impl Fn() -> bool) -> rquickjs::Result<()> {
    let budget = state(ctx)?.budget.clone();
    loop {
        while ctx.execute_pending_job() {}
        if budget.exceeded() {
            return Err(interrupted(ctx));
        }
        // finished fetches first, then one due timer, then wait
        if let Some(lp) = ctx.userdata::<LoopState>()
            && let Ok(done) = lp.rx.try_recv()
        {
            drop(lp);
            settle(ctx, done)?;
            continue;
        }
        if loop_fn(ctx, "runDue")?.call::<_, bool>((now_ms(),))? {
            continue;
        }
        let pending = waiting();
        let next_due: f64 = loop_fn(ctx, "nextDue")?.call((pending,))?;
        let fetching: usize = loop_fn(ctx, "fetching")?.call(())?;
        if fetching == 0 && next_due < 0.0 {
            return Ok(());
        }
        let mut wait = budget.remaining().unwrap_or(Duration::from_secs(3600));
        if next_due >= 0.0 {
            wait = wait.min(Duration::from_secs_f64(((next_due - now_ms()) / 1000.0).max(0.0)));
        }
        let Some(lp) = ctx.userdata::<LoopState>() else {
            return Ok(());
        };
        let got = if fetching > 0 {
            // a fetch may call this server's own JS routes: while this
            // worker waits, new jobs get a temporary runtime instead of
            // queueing behind it
            let _parked = super::pool::HttpParkGuard::enter();
            lp.rx.recv_timeout(wait)
        } else {
            std::thread::sleep(wait);
            Err(RecvTimeoutError::Timeout)
        };
        drop(lp);
        if let Ok(done) = got {
            settle(ctx, done)?;
        }
    }
}

/// Drops the timers and fetches a finished call left pending. Runs with
/// no budget: it calls no user code.
pub fn reset(ctx: &Ctx<'_>) {
    if let Ok(f) = loop_fn(ctx, "reset") {
        let _ = f.call::<_, ()>(());
    }
    if let Some(lp) = ctx.userdata::<LoopState>() {
        while lp.rx.try_recv().is_ok() {}
    }
}

/// Drives the loop for what a handler returned: a promise must settle,
/// and its rejection is returned as the thrown error (what a throw gives).
pub fn await_value<'js>(ctx: &Ctx<'js>, ret: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let Some(promise) = ret.as_promise().cloned() else {
        drive(ctx, || false)?;
        return Ok(ret);
    };
    drive(ctx, || promise.state() == PromiseState::Pending)?;
    match promise.result::<Value>() {
        Some(r) => r,
        None => Err(never_settled(ctx)),
    }
}

/// The error of a handler whose promise can no longer settle (a 500: the
/// handler is broken, nothing was thrown).
pub fn never_settled(_ctx: &Ctx<'_>) -> rquickjs::Error {
    rquickjs::Error::new_from_js_message(
        "promise",
        "settled value",
        "the handler's promise never settled: nothing it waits for is pending (a promise nobody resolves?)",
    )
}
