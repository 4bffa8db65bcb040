//! The HTTP server loop (what `axum::serve` does, plus one thing). Every
//! connection is served by hyper's HTTP/1 (PocketBase serves no cleartext
//! HTTP/2 either), except one whose first request is `GET /api/realtime`:
//! that request still goes through the whole router (middlewares, hooks,
//! logs), but its response is written by the small streaming writer below
//! and the connection closes when the stream ends. A hyper connection keeps
//! two 8 KiB buffers for its whole life, which is most of what an idle SSE
//! client would cost; this writer keeps none, so ten thousand waiting
//! clients fit in a few tens of megabytes.
//!
//! Shutdown: `shutdown` resolving stops accepting, asks hyper connections
//! to finish gracefully and waits for every connection to end (realtime
//! streams end when the caller closes the broker).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, Version, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tower::Service;

/// How long one write to a streaming client may take before the
/// connection is given up (the client stopped reading).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for the first request's head to arrive in full before
/// leaving the connection to hyper.
const HEAD_WAIT: Duration = Duration::from_secs(2);
/// Largest first-request head looked at (larger ones go to hyper).
const MAX_HEAD: usize = 8192;
/// The path served by the streaming writer.
const REALTIME_PATH: &[u8] = b"/api/realtime";

/// Listen queue length when the kernel's limit cannot be read (Linux's
/// default `somaxconn`).
const DEFAULT_BACKLOG: u32 = 4096;

/// Binds a listener on `addr` (`host:port`) with the kernel's largest
/// listen queue, as Go's `net.Listen` does for PocketBase. tokio's `bind`
/// asks for 1024: a burst of new clients (thousands of SSE clients
/// reconnecting at once) overflows it, and every dropped SYN costs its
/// client a one-second retransmit.
pub async fn bind(addr: &str) -> io::Result<TcpListener> {
    let backlog = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_BACKLOG)
        .min(65535);
    let mut last_err = None;
    for sa in tokio::net::lookup_host(addr).await? {
        let socket = if sa.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        // what std/tokio set on Unix: a restarted server rebinds at once
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket.bind(sa).and_then(|()| socket.listen(backlog)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any address")))
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the
/// open connections finish.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) -> io::Result<()> {
    // connections watch `signal_tx` for the shutdown; `close_rx` clones
    // tell when the last one is gone (axum::serve's scheme)
    let (signal_tx, signal_rx) = watch::channel(());
    let (close_tx, close_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (sock, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let router = router.clone();
        let signal = signal_tx.clone();
        let close = close_rx.clone();
        tokio::spawn(async move {
            connection(sock, peer, router, signal).await;
            drop(close);
        });
    }
    drop(listener);
    drop(signal_rx);
    drop(close_rx);
    close_tx.closed().await;
    Ok(())
}

/// Like hyper/axum: connection errors are the peer's business; anything
/// else (too many open files) is logged and retried after a pause.
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn connection(sock: TcpStream, peer: SocketAddr, router: Router, signal: watch::Sender<()>) {
    // boxed: the futures of the two paths and the peek buffer do not stay
    // in the connection task for its whole life
    let first = Box::pin(realtime_request(&sock)).await;
    match first {
        Some((req, head_len)) => Box::pin(stream_response(sock, peer, router, req, head_len)).await,
        None => Box::pin(hyper_connection(sock, peer, router, signal)).await,
    }
}

async fn hyper_connection(sock: TcpStream, peer: SocketAddr, router: Router, signal: watch::Sender<()>) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        router.clone().call(req)
    });
    let mut conn = pin!(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(sock), service));
    let res = tokio::select! {
        res = conn.as_mut() => res,
        _ = signal.closed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = res {
        tracing::trace!("connection from {peer} failed: {e}");
    }
}

/// The connection's first request when it is a plain `GET /api/realtime`
/// (HTTP/1.1, no body, nothing pipelined behind it), read from the socket
/// without consuming it, with the length of its head. Anything else is
/// left to hyper untouched.
async fn realtime_request(sock: &TcpStream) -> Option<(Request<Body>, usize)> {
    // no buffer while a connection waits for its first bytes
    sock.readable().await.ok()?;
    let mut buf = vec![0u8; 1024];
    let deadline = tokio::time::Instant::now() + HEAD_WAIT;
    loop {
        let n = sock.peek(&mut buf).await.ok().filter(|n| *n > 0)?;
        let seen = &buf[..n];
        let start = b"GET ";
        let wanted = [start.as_slice(), REALTIME_PATH].concat();
        let common = seen.len().min(wanted.len());
        if seen[..common] != wanted[..common] {
            return None;
        }
        if let Some(head) = parse_head(seen)? {
            return Some(head);
        }
        // the head is not all there yet (or longer than the buffer)
        if n == buf.len() {
            if buf.len() >= MAX_HEAD {
                return None;
            }
            buf.resize(MAX_HEAD, 0);
            continue;
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `Some(Some(_))`: a complete realtime request; `Some(None)`: incomplete
/// so far; `None`: not one for the streaming writer.
fn parse_head(seen: &[u8]) -> Option<Option<(Request<Body>, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    let len = match parsed.parse(seen).ok()? {
        httparse::Status::Partial => return Some(None),
        httparse::Status::Complete(len) => len,
    };
    let path = parsed.path?;
    let ours = path.as_bytes() == REALTIME_PATH
        || path.as_bytes().strip_prefix(REALTIME_PATH).is_some_and(|rest| rest.starts_with(b"?"));
    if parsed.method != Some("GET") || parsed.version != Some(1) || !ours || len != seen.len() {
        return None;
    }
    let mut req = Request::builder().method(Method::GET).uri(path).version(Version::HTTP_11);
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        // a body, an upgrade or an expectation: hyper's business
        if [header::CONTENT_LENGTH, header::TRANSFER_ENCODING, header::UPGRADE, header::EXPECT].contains(&name) {
            return None;
        }
        req = req.header(name, HeaderValue::from_bytes(h.value).ok()?);
    }
    Some(Some((req.body(Body::empty()).ok()?, len)))
}

/// Runs the request through the router and writes its response, streaming
/// the body until it ends or the client goes away; then closes.
async fn stream_response(
    mut sock: TcpStream,
    peer: SocketAddr,
    mut router: Router,
    mut req: Request<Body>,
    head_len: usize,
) {
    let mut head = vec![0u8; head_len];
    if sock.read_exact(&mut head).await.is_err() {
        return;
    }
    drop(head);
    let _ = sock.set_nodelay(true);
    req.extensions_mut().insert(ConnectInfo(peer));
    let res: Response<Body> = match router.call(req).await {
        Ok(res) => res,
        Err(e) => match e {},
    };
    let (parts, mut body) = res.into_parts();
    let length = http_body::Body::size_hint(&body).exact();
    if write(&mut sock, &response_head(&parts, length)).await.is_err() {
        return;
    }
    let mut probe = [0u8; 16];
    loop {
        tokio::select! {
            frame = body.frame() => match frame {
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else { continue };
                    if data.is_empty() {
                        continue;
                    }
                    let out = if length.is_some() { data.to_vec() } else { chunk(&data) };
                    if write(&mut sock, &out).await.is_err() {
                        return;
                    }
                }
                // the stream failed (a client too slow): cut without an end
                Some(Err(_)) => return,
                None => break,
            },
            // the client may only close its side; whatever it sends is ignored
            ready = sock.readable() => {
                if ready.is_err() {
                    return;
                }
                match sock.try_read(&mut probe) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return,
                }
            }
        }
    }
    if length.is_none() && write(&mut sock, b"0\r\n\r\n").await.is_err() {
        return;
    }
    let _ = sock.shutdown().await;
}

async fn write(sock: &mut TcpStream, bytes: &[u8]) -> io::Result<()> {
    match tokio::time::timeout(WRITE_TIMEOUT, sock.write_all(bytes)).await {
        Ok(res) => res,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "client stopped reading")),
    }
}

/// One chunk of a `Transfer-Encoding: chunked` body.
fn chunk(data: &[u8]) -> Vec<u8> {
    let size = format!("{:x}\r\n", data.len());
    let mut out = Vec::with_capacity(size.len() + data.len() + 2);
    out.extend_from_slice(size.as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// The status line and headers, with the framing this writer uses and
/// `Connection: close` (the connection ends with the response).
fn response_head(parts: &axum::http::response::Parts, length: Option<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let reason = parts.status.canonical_reason().unwrap_or("");
    out.extend_from_slice(format!("HTTP/1.1 {} {reason}\r\n", parts.status.as_u16()).as_bytes());
    for (name, value) in &parts.headers {
        if [header::CONNECTION, header::TRANSFER_ENCODING, header::CONTENT_LENGTH].contains(name) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !parts.headers.contains_key(header::DATE) {
        let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
        out.extend_from_slice(format!("date: {date}\r\n").as_bytes());
    }
    match length {
        Some(n) => out.extend_from_slice(format!("content-length: {n}\r\n").as_bytes()),
        None => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Option<Option<(Request<Body>, usize)>> {
        parse_head(raw.as_bytes())
    }

    #[test]
    fn only_a_complete_bodiless_realtime_get_is_taken() {
        let ok = "GET /api/realtime HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
        let (req, len) = parse(ok).flatten().expect("taken");
        assert_eq!(len, ok.len());
        assert_eq!(req.uri(), "/api/realtime");
        assert_eq!(req.headers()["accept"], "text/event-stream");
        assert!(parse("GET /api/realtime?x=1 HTTP/1.1\r\nHost: x\r\n\r\n").flatten().is_some());
        assert!(matches!(parse("GET /api/realtime HTTP/1.1\r\nHost: x\r\n"), Some(None)), "incomplete");
        for other in [
            "GET /api/realtimes HTTP/1.1\r\n\r\n",
            "POST /api/realtime HTTP/1.1\r\n\r\n",
            "GET /api/realtime HTTP/1.0\r\n\r\n",
            "GET /api/realtime HTTP/1.1\r\nContent-Length: 2\r\n\r\nab",
            "GET /api/realtime HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
            "GET /api/realtime HTTP/1.1\r\n\r\nGET /api/health HTTP/1.1\r\n\r\n",
        ] {
            assert!(parse(other).flatten().is_none(), "{other:?}");
        }
    }

    #[test]
    fn chunks_and_heads_are_framed() {
        assert_eq!(chunk(b"hello"), b"5\r\nhello\r\n");
        let res = Response::builder().status(200).header("content-type", "text/event-stream").body(()).expect("res");
        let (parts, _) = res.into_parts();
        let head = String::from_utf8(response_head(&parts, None)).expect("utf8");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ndate: "));
        assert!(head.ends_with("transfer-encoding: chunked\r\nconnection: close\r\n\r\n"));
    }

    #[tokio::test]
    async fn bind_listens_with_the_kernel_backlog_and_reports_a_taken_port() {
        let listener = bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // the listen queue length is the Send-Q of a listening socket in ss/proc
        let taken = bind(&addr.to_string()).await.expect_err("port in use");
        assert_eq!(taken.kind(), io::ErrorKind::AddrInUse);
        let out = std::process::Command::new("ss").args(["-ltnH", &format!("sport = :{}", addr.port())]).output();
        if let Some(out) = out.ok().filter(|o| o.status.success()) {
            let text = String::from_utf8_lossy(&out.stdout);
            let send_q: Option<u32> = text.split_whitespace().nth(2).and_then(|v| v.parse().ok());
            let want = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
                .ok()
                .and_then(|v| v.trim().parse::<u32>().ok())
                .unwrap_or(DEFAULT_BACKLOG)
                .min(65535);
            assert_eq!(send_q, Some(want), "{text}");
        }
        let _ = bind("no-such-host.invalid:80").await.expect_err("unresolvable");
    }
}
