//! Downloads of URLs a third party chose (an OAuth2 provider's avatar URL),
//! PocketBase's `safeFileFromURL`: only public addresses (checked on the
//! addresses a name resolves to, so a name pointing at a private address or
//! rebinding to one is refused, and on every redirect), at most 32 MiB, a
//! timeout, no proxy.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::File;

/// The most bytes a download keeps (PocketBase's `DefaultMaxBodySize`).
pub const MAX_BODY: u64 = 32 << 20;

/// Whether an address is one a server may fetch for a third party: not
/// loopback, unspecified, private, link-local or multicast (Go's `net.IP`
/// checks PocketBase uses), IPv4-mapped IPv6 judged as its IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_private()
                || a.is_link_local()
                || a.is_multicast()
                || a.is_broadcast())
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = a.segments()[0];
            let unique_local = first & 0xfe00 == 0xfc00;
            let link_local = first & 0xffc0 == 0xfe80;
            !(a.is_loopback() || a.is_unspecified() || a.is_multicast() || unique_local || link_local)
        }
    }
}

/// Resolves names with the system resolver and keeps only allowed addresses.
struct Filtered(fn(IpAddr) -> bool);

impl Resolve for Filtered {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.0;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|a| allow(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} does not resolve to an allowed (public) address").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// An IP-literal host that `allow` refuses (names go through [`Filtered`]).
fn refused_literal(url: &reqwest::Url, allow: fn(IpAddr) -> bool) -> Option<String> {
    let host = url.host_str()?;
    let ip: IpAddr = host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    (!allow(ip)).then(|| format!("address {ip} is not a public address"))
}

/// Downloads `url` (http or https, public addresses only) into a [`File`]
/// named after the URL's last path segment.
pub fn download_public(url: &str, timeout: Duration) -> Result<File, String> {
    download(url, timeout, MAX_BODY, is_public)
}

fn download(url: &str, timeout: Duration, max: u64, allow: fn(IpAddr) -> bool) -> Result<File, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid url {url}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("unsupported url scheme {}", parsed.scheme()));
    }
    if let Some(why) = refused_literal(&parsed, allow) {
        return Err(why);
    }
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error("stopped after 10 redirects");
        }
        match refused_literal(attempt.url(), allow) {
            Some(why) => attempt.error(why),
            None => attempt.follow(),
        }
    });
    let client = reqwest::blocking::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .redirect(redirects)
        .dns_resolver(Arc::new(Filtered(allow)))
        .build()
        .map_err(|e| e.to_string())?;
    let res = client.get(parsed.clone()).send().map_err(|e| format!("failed to download url {url}: {}", chain(&e)))?;
    let status = res.status().as_u16();
    if !(200..=399).contains(&status) {
        return Err(format!("failed to download url {url} ({status})"));
    }
    let mut buf = Vec::new();
    res.take(max).read_to_end(&mut buf).map_err(|e| format!("failed to download url {url}: {e}"))?;
    let name = parsed
        .path_segments()
        .and_then(|mut s| s.rfind(|seg| !seg.is_empty()).map(str::to_string))
        .or_else(|| parsed.host_str().map(str::to_string))
        .unwrap_or_else(|| "file".into());
    File::from_bytes(Bytes::from(buf), &name)
}

/// An error with its causes (reqwest's own message hides why a name did
/// not resolve).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;

    use super::*;

    /// A one-connection-per-request HTTP server answering `body` to every
    /// request, or a redirect to `location` when given.
    fn serve(ip: &str, body: &'static [u8], location: Option<String>) -> String {
        let listener = TcpListener::bind((ip, 0)).expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let mut req = [0u8; 4096];
                let _ = std::io::Read::read(&mut stream, &mut req);
                let head = match &location {
                    Some(l) => format!("HTTP/1.1 302 Found\r\nLocation: {l}\r\nContent-Length: 0\r\n\r\n"),
                    None => {
                        format!("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n", body.len())
                    }
                };
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body);
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn public_means_what_go_means() {
        for private in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "224.0.0.1"]
        {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for private in ["::1", "::", "fc00::1", "fd12::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"]
        {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn downloads_into_a_file_named_after_the_url() {
        let base = serve("127.0.0.1", b"\x89PNG\r\n\x1a\nrest", None);
        let f = download(&format!("{base}/u/avatar.png?size=200"), Duration::from_secs(5), MAX_BODY, |_| true)
            .expect("downloaded");
        assert_eq!(f.original_name, "avatar.png");
        assert!(f.name.starts_with("avatar_") && f.name.ends_with(".png"), "{}", f.name);
        assert_eq!(&f.bytes().expect("bytes")[..], b"\x89PNG\r\n\x1a\nrest");
        let capped = download(&format!("{base}/a.png"), Duration::from_secs(5), 4, |_| true).expect("downloaded");
        assert_eq!(capped.size, 4, "the body is cut at the limit");
    }

    #[test]
    fn private_addresses_are_refused_by_literal_by_name_and_after_a_redirect() {
        let base = serve("127.0.0.1", b"secret", None);
        let port = base.rsplit(':').next().expect("port").to_string();
        let literal = download_public(&format!("{base}/a.png"), Duration::from_secs(5));
        assert!(literal.is_err_and(|e| e.contains("not a public address")));
        let by_name = download_public(&format!("http://localhost:{port}/a.png"), Duration::from_secs(5));
        assert!(by_name.as_ref().is_err_and(|e| e.contains("public")), "{:?}", by_name.map(|f| f.name));
        // a redirect to a refused address: the redirecting server (127.0.0.1)
        // is allowed here, its target (127.0.0.2) is not
        let target = serve("127.0.0.2", b"secret", None);
        let redirect = serve("127.0.0.1", b"", Some(format!("{target}/a.png")));
        let only_first = |ip: IpAddr| ip == IpAddr::from([127, 0, 0, 1]);
        let refused = download(&format!("{redirect}/x"), Duration::from_secs(5), MAX_BODY, only_first);
        assert!(refused.as_ref().is_err_and(|e| e.contains("127.0.0.2")), "{:?}", refused.map(|f| f.name));
        let both = |ip: IpAddr| ip.is_loopback();
        let followed = download(&format!("{redirect}/x"), Duration::from_secs(5), MAX_BODY, both).expect("followed");
        assert_eq!(&followed.bytes().expect("bytes")[..], b"secret");
    }
}
