//! `?fields=`: keeps only the listed JSON keys of a response (`*` for all
//! at a level, dotted paths into `expand`, `:excerpt(max, ellipsis?)`).

use serde_json::{Map, Value};

/// One requested key with its optional excerpt modifier.
#[derive(Debug, Clone, PartialEq)]
struct Pick {
    path: Vec<String>,
    excerpt: Option<(usize, bool)>,
}

fn parse(fields: &str) -> Vec<Pick> {
    let mut out = Vec::new();
    for raw in split_top(fields) {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let (path, modifier) = match raw.split_once(':') {
            Some((p, m)) => (p, Some(m)),
            None => (raw, None),
        };
        let excerpt = modifier.and_then(parse_excerpt);
        out.push(Pick { path: path.split('.').map(|s| s.trim().to_string()).collect(), excerpt });
    }
    out
}

/// Splits on commas outside parentheses (`a:excerpt(3,true),b`).
fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    out.push(cur);
    out
}

fn parse_excerpt(m: &str) -> Option<(usize, bool)> {
    let args = m.trim().strip_prefix("excerpt(")?.strip_suffix(')')?;
    let mut parts = args.split(',').map(str::trim);
    let max: usize = parts.next()?.parse().ok()?;
    let ellipsis = parts.next().is_some_and(|p| p == "true" || p == "1");
    Some((max, ellipsis))
}

/// Strips HTML tags and collapses whitespace, then truncates.
pub fn excerpt(s: &str, max: usize, ellipsis: bool) -> String {
    let mut text = String::with_capacity(s.len());
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(ch),
            _ => {}
        }
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(max).collect();
    cut = cut.trim_end().to_string();
    if ellipsis {
        cut.push_str("...");
    }
    cut
}

fn apply(v: &Value, picks: &[Pick]) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| apply(i, picks)).collect()),
        Value::Object(obj) => {
            let mut out = Map::new();
            for p in picks {
                let Some(head) = p.path.first() else { continue };
                let rest = &p.path[1..];
                let keys: Vec<&String> =
                    if head == "*" { obj.keys().collect() } else { obj.keys().filter(|k| *k == head).collect() };
                for k in keys {
                    let val = &obj[k];
                    let picked = if rest.is_empty() {
                        match (p.excerpt, val) {
                            (Some((max, ell)), Value::String(s)) => Value::String(excerpt(s, max, ell)),
                            _ => val.clone(),
                        }
                    } else {
                        let sub = Pick { path: rest.to_vec(), excerpt: p.excerpt };
                        let child = apply(val, std::slice::from_ref(&sub));
                        match (out.get_mut(k), child) {
                            (Some(Value::Object(existing)), Value::Object(new)) => {
                                existing.extend(new);
                                continue;
                            }
                            (_, c) => c,
                        }
                    };
                    out.insert(k.clone(), picked);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Applies `fields` to one record JSON (or an array of them).
pub fn pick(v: &Value, fields: &str) -> Value {
    if fields.trim().is_empty() {
        return v.clone();
    }
    let picks = parse(fields);
    // merge nested picks that share a prefix by applying them one by one
    let mut acc = Value::Object(Map::new());
    for p in &picks {
        merge(&mut acc, apply(v, std::slice::from_ref(p)));
    }
    acc
}

fn merge(dst: &mut Value, src: Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (d, s) => *d = s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_top_level_and_nested_keys() {
        let rec = json!({"id":"1","title":"Hello","body":"x","expand":{"author":{"id":"a","name":"Ann","age":3}}});
        assert_eq!(pick(&rec, "id,title"), json!({"id":"1","title":"Hello"}));
        assert_eq!(pick(&rec, "id,expand.author.name"), json!({"id":"1","expand":{"author":{"name":"Ann"}}}));
        assert_eq!(pick(&rec, "*"), rec);
    }

    #[test]
    fn excerpt_strips_html_and_truncates() {
        assert_eq!(pick(&json!({"t":"Carrot"}), "t:excerpt(3)"), json!({"t":"Car"}));
        assert_eq!(pick(&json!({"t":"Carrot"}), "t:excerpt(3,true)"), json!({"t":"Car..."}));
        assert_eq!(excerpt("<p>Hello <b>big</b> world</p>", 100, false), "Hello big world");
    }
}
