//! PocketBase's rate limiter (`settings.rateLimits`): rules matched by
//! label (`collection:tag`, `*:tag`, `METHOD /path`, `/path`, or a `/path/`
//! prefix) and audience (everyone, `@guest`, `@auth`), each a fixed window
//! of `maxRequests` per `duration` seconds per client IP. Also the IP list
//! checks (`excludedIPs`, `superuserIPs`) and the client IP behind a
//! trusted proxy. Knows nothing of HTTP: the API layer supplies the labels.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use super::settings::{RateLimitRule, RateLimitsConfig, TrustedProxyConfig};

/// Forgotten clients are dropped once their window ended this long ago
/// (PocketBase's 30 minutes).
const FORGET_AFTER_SECS: i64 = 1800;
/// How many windows a limiter keeps before it sweeps forgotten ones.
const SWEEP_EVERY: usize = 10_000;

/// The audience a request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Guest,
    Auth,
}

impl Audience {
    fn accepts(self, rule_audience: &str) -> bool {
        match rule_audience {
            "" => true,
            "@guest" => self == Audience::Guest,
            "@auth" => self == Audience::Auth,
            _ => false,
        }
    }
}

/// The rule that applies to the first of `labels` that any rule matches
/// (in the order given, most specific first), as PocketBase picks it: an
/// exact label wins; otherwise a rule ending in `/` matches as a prefix of
/// a path label.
pub fn find_rule<'a>(config: &'a RateLimitsConfig, labels: &[String], audience: Audience) -> Option<&'a RateLimitRule> {
    let prefix_rules: Vec<&RateLimitRule> = config.rules.iter().filter(|r| r.label.ends_with('/')).collect();
    for label in labels {
        if let Some(rule) = config.rules.iter().find(|r| &r.label == label && audience.accepts(&r.audience)) {
            return Some(rule);
        }
        let with_slash = format!("{label}/");
        if let Some(rule) =
            prefix_rules.iter().find(|r| with_slash.starts_with(r.label.as_str()) && audience.accepts(&r.audience))
        {
            return Some(rule);
        }
    }
    None
}

/// Whether `ip` is in a list of IPs and CIDR subnets.
pub fn ip_in_list(list: &[String], ip: &str) -> bool {
    let Ok(addr) = ip.parse::<IpAddr>() else {
        return false;
    };
    list.iter().any(|item| match item.split_once('/') {
        Some((net, bits)) => match (net.parse::<IpAddr>(), bits.parse::<u8>()) {
            (Ok(net), Ok(bits)) => in_subnet(addr, net, bits),
            _ => false,
        },
        None => item.parse::<IpAddr>().is_ok_and(|a| a == addr),
    })
}

fn in_subnet(addr: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The client IP: from the trusted proxy headers when configured (the last
/// value of the first header present; its rightmost valid IP, or leftmost
/// with `useLeftmostIP`), otherwise the peer address. Headers are
/// `(lower-case name, value)` pairs in arrival order.
pub fn real_ip(proxy: &TrustedProxyConfig, headers: &[(String, String)], remote_ip: &str) -> String {
    for name in &proxy.headers {
        let Some((_, list)) = headers.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(name)) else {
            continue;
        };
        let ips: Vec<IpAddr> = list.split(',').filter_map(|p| p.trim().parse().ok()).collect();
        let pick = if proxy.use_leftmost_ip { ips.first() } else { ips.last() };
        if let Some(ip) = pick {
            return ip.to_string();
        }
    }
    remote_ip.to_string()
}

/// One client's window.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    available: i64,
}

/// All limiters, keyed by limiter id then client IP. Reset when the
/// settings change (as PocketBase drops its limiters on settings reload).
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(String, String), Window>>,
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl RateLimiter {
    /// Takes one request from `client`'s window of limiter `id` under
    /// `rule`; `false` when the window is used up.
    pub fn allow(&self, id: &str, client: &str, rule: &RateLimitRule) -> bool {
        let now = now_secs();
        let mut windows = self.windows.lock();
        if windows.len() >= SWEEP_EVERY {
            windows.retain(|_, w| now - w.start <= FORGET_AFTER_SECS + rule.duration.max(0));
        }
        // a new client's window starts full
        let w = windows.entry((id.to_string(), client.to_string())).or_insert(Window { start: 0, available: 0 });
        if now - w.start >= rule.duration {
            w.start = now;
            w.available = rule.max_requests;
        }
        if w.available > 0 {
            w.available -= 1;
            true
        } else {
            false
        }
    }

    /// Forgets every window (after a settings change).
    pub fn reset(&self) {
        self.windows.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(label: &str, audience: &str, duration: i64, max: i64) -> RateLimitRule {
        RateLimitRule { label: label.into(), audience: audience.into(), duration, max_requests: max }
    }

    fn config(rules: Vec<RateLimitRule>) -> RateLimitsConfig {
        RateLimitsConfig { rules, excluded_ips: vec![], enabled: true }
    }

    fn labels(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_first_label_with_a_rule_wins_and_prefixes_match_paths() {
        let c = config(vec![
            rule("*:auth", "", 3, 2),
            rule("*:create", "", 5, 20),
            rule("/api/batch", "", 1, 3),
            rule("/api/", "", 10, 300),
        ]);
        let auth = labels(&[
            "users:authWithPassword",
            "users:auth",
            "*:authWithPassword",
            "*:auth",
            "POST /api/collections/users/auth-with-password",
            "/api/collections/users/auth-with-password",
        ]);
        assert_eq!(find_rule(&c, &auth, Audience::Guest).map(|r| r.label.as_str()), Some("*:auth"));
        let other = labels(&["GET /api/health", "/api/health"]);
        assert_eq!(find_rule(&c, &other, Audience::Guest).map(|r| r.label.as_str()), Some("/api/"));
        let batch = labels(&["POST /api/batch", "/api/batch"]);
        assert_eq!(find_rule(&c, &batch, Audience::Guest).map(|r| r.label.as_str()), Some("/api/batch"));
        let outside = labels(&["GET /index.html", "/index.html"]);
        assert!(find_rule(&c, &outside, Audience::Guest).is_none());
    }

    #[test]
    fn audience_filters_rules() {
        let c = config(vec![rule("/api/", "@auth", 10, 1), rule("/api/", "@guest", 10, 5)]);
        let l = labels(&["GET /api/x", "/api/x"]);
        assert_eq!(find_rule(&c, &l, Audience::Guest).map(|r| r.max_requests), Some(5));
        assert_eq!(find_rule(&c, &l, Audience::Auth).map(|r| r.max_requests), Some(1));
    }

    #[test]
    fn a_window_allows_max_requests_per_client() {
        let limiter = RateLimiter::default();
        let r = rule("x", "", 60, 2);
        assert!(limiter.allow("x", "1.1.1.1", &r));
        assert!(limiter.allow("x", "1.1.1.1", &r));
        assert!(!limiter.allow("x", "1.1.1.1", &r));
        assert!(limiter.allow("x", "2.2.2.2", &r), "clients are counted apart");
        assert!(limiter.allow("y", "1.1.1.1", &r), "limiters are counted apart");
        limiter.reset();
        assert!(limiter.allow("x", "1.1.1.1", &r));
    }

    #[test]
    fn ip_lists_take_addresses_and_subnets() {
        let list = vec!["10.0.0.0/8".to_string(), "192.168.1.7".to_string(), "::1".to_string()];
        assert!(ip_in_list(&list, "10.2.3.4"));
        assert!(ip_in_list(&list, "192.168.1.7"));
        assert!(!ip_in_list(&list, "192.168.1.8"));
        assert!(ip_in_list(&list, "::1"));
        assert!(!ip_in_list(&list, "not an ip"));
    }

    #[test]
    fn real_ip_trusts_only_configured_headers() {
        let headers = vec![("x-forwarded-for".to_string(), "1.1.1.1, 2.2.2.2".to_string())];
        let none = TrustedProxyConfig { headers: vec![], use_leftmost_ip: false };
        assert_eq!(real_ip(&none, &headers, "9.9.9.9"), "9.9.9.9");
        let right = TrustedProxyConfig { headers: vec!["X-Forwarded-For".into()], use_leftmost_ip: false };
        assert_eq!(real_ip(&right, &headers, "9.9.9.9"), "2.2.2.2");
        let left = TrustedProxyConfig { headers: vec!["X-Forwarded-For".into()], use_leftmost_ip: true };
        assert_eq!(real_ip(&left, &headers, "9.9.9.9"), "1.1.1.1");
        let garbage = vec![("x-forwarded-for".to_string(), "nope".to_string())];
        assert_eq!(real_ip(&right, &garbage, "9.9.9.9"), "9.9.9.9");
    }
}
