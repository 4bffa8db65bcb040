//! The JS route table: `routerAdd` patterns (Go `net/http` syntax) in one
//! matchit router per method together with the built-in API paths, so the
//! most specific pattern wins and built-in routes win ties; a JS catch-all
//! never shadows `/api/...`.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;

use crate::jsvm::registry::RouteDef;

/// Name of the catch-all param added for Go-style trailing-slash prefixes.
const REST_PARAM: &str = "__pbrest";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Builtin,
    Js(usize),
}

/// A matched JS route.
#[derive(Debug, Clone, PartialEq)]
pub struct JsRoute {
    pub index: usize,
    /// Decoded path values.
    pub params: Vec<(String, String)>,
}

/// JS routes per method, sharing a matcher with the built-in paths so the
/// most specific pattern wins and built-ins win ties.
#[derive(Default)]
pub struct RouteTable {
    by_method: HashMap<String, matchit::Router<Target>>,
}

/// Go `net/http` pattern → matchit patterns: `{name...}` is a catch-all
/// (also matching empty), a trailing `/` a prefix, `{$}` an exact end.
fn matchit_patterns(path: &str) -> Vec<String> {
    // host-bound patterns ("example.com/x") are served for any host
    let path = match path.find('/') {
        Some(0) => path,
        Some(i) => &path[i..],
        None => return Vec::new(),
    };
    if let Some(exact) = path.strip_suffix("{$}") {
        return vec![exact.to_string()];
    }
    if let Some(start) = path.rfind("/{")
        && let Some(name) = path[start + 2..].strip_suffix("...}")
    {
        let prefix = &path[..=start];
        return vec![format!("{prefix}{{*{name}}}"), prefix.to_string()];
    }
    if path.ends_with('/') {
        return vec![path.to_string(), format!("{path}{{*{REST_PARAM}}}")];
    }
    vec![path.to_string()]
}

impl RouteTable {
    /// Builds the matchers; JS routes clashing with a built-in or an
    /// earlier JS route are skipped with a warning.
    pub fn build(routes: &[RouteDef]) -> RouteTable {
        let builtin = crate::api::builtin_route_paths();
        let mut by_method: HashMap<String, matchit::Router<Target>> = HashMap::new();
        for (i, r) in routes.iter().enumerate() {
            let router = by_method.entry(r.method.clone()).or_insert_with(|| {
                let mut m = matchit::Router::new();
                for p in &builtin {
                    let _ = m.insert(*p, Target::Builtin);
                }
                m
            });
            for pattern in matchit_patterns(&r.path) {
                if let Err(e) = router.insert(pattern.as_str(), Target::Js(i)) {
                    tracing::warn!("routerAdd({} {}) is ignored: {e}", r.method, r.path);
                }
            }
        }
        RouteTable { by_method }
    }

    /// Whether no JS route exists.
    pub fn is_empty(&self) -> bool {
        self.by_method.is_empty()
    }

    /// The JS route for a request; `HEAD` falls back to `GET` routes.
    pub fn find(&self, method: &str, path: &str) -> Option<JsRoute> {
        let at =
            |m: &str| self.by_method.get(m).and_then(|r| r.at(path).ok()).map(|found| (*found.value, found.params));
        let (target, params) = match at(method) {
            Some(found) => found,
            None if method == "HEAD" => at("GET")?,
            None => return None,
        };
        let Target::Js(index) = target else {
            return None;
        };
        let params = params
            .iter()
            .filter(|(k, _)| *k != REST_PARAM)
            .map(|(k, v)| (k.to_string(), percent_decode_str(v).decode_utf8_lossy().into_owned()))
            .collect();
        Some(JsRoute { index, params })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_patterns_become_matchit_patterns() {
        assert_eq!(matchit_patterns("/hello/{name}"), ["/hello/{name}"]);
        assert_eq!(matchit_patterns("/files/{path...}"), ["/files/{*path}", "/files/"]);
        assert_eq!(matchit_patterns("/x/{$}"), ["/x/"]);
        assert_eq!(matchit_patterns("/pre/"), ["/pre/", "/pre/{*__pbrest}"]);
        assert_eq!(matchit_patterns("example.com/a"), ["/a"]);
    }

    #[test]
    fn builtins_win_and_params_are_decoded() {
        let routes = vec![
            RouteDef { method: "GET".into(), path: "/hello/{name}".into() },
            RouteDef { method: "GET".into(), path: "/{path...}".into() },
            RouteDef { method: "GET".into(), path: "/api/health".into() },
        ];
        let t = RouteTable::build(&routes);
        let hello = t.find("GET", "/hello/Zo%C3%AB").expect("hello matches");
        assert_eq!(hello.index, 0);
        assert_eq!(hello.params, [("name".to_string(), "Zoë".to_string())]);
        assert_eq!(t.find("HEAD", "/hello/x").map(|r| r.index), Some(0));
        assert_eq!(t.find("GET", "/some/page").map(|r| r.index), Some(1));
        assert_eq!(t.find("GET", "/api/health"), None, "built-in route wins");
        assert_eq!(t.find("GET", "/api/collections/x/records"), None);
        assert_eq!(t.find("POST", "/hello/x"), None);
    }
}
