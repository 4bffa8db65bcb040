//! `?fields=`: keeps only the listed JSON keys of a response (`*` for all
//! at a level, dotted paths into `expand`, `:excerpt(max, ellipsis?)`).

use serde_json::{Map, Value};

use crate::core::error::Error;

/// One requested key with its optional excerpt modifier.
#[derive(Debug, Clone, PartialEq)]
struct Pick {
    path: Vec<String>,
    excerpt: Option<(usize, bool)>,
}

/// Parses the list; an unknown modifier or bad excerpt arguments are a
/// client error, as in PocketBase.
fn parse(fields: &str) -> Result<Vec<Pick>, Error> {
    let mut out = Vec::new();
    for raw in split_top(fields) {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let (path, excerpt) = match raw.split_once(':') {
            Some((p, m)) => (p, Some(parse_excerpt(m).ok_or_else(Error::bad_input)?)),
            None => (raw, None),
        };
        out.push(Pick { path: path.split('.').map(|s| s.trim().to_string()).collect(), excerpt });
    }
    Ok(out)
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

/// `excerpt(max, withEllipsis?)`: the only modifier; `max` > 0.
fn parse_excerpt(m: &str) -> Option<(usize, bool)> {
    let args = m.trim().strip_prefix("excerpt(")?.strip_suffix(')')?;
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    if parts.len() > 2 {
        return None;
    }
    let max: usize = parts[0].parse().ok().filter(|m| *m > 0)?;
    let ellipsis = parts.get(1).is_some_and(|p| matches!(*p, "1" | "t" | "T" | "true" | "TRUE" | "True"));
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

/// Applies `fields` to one record JSON (or an array of them); an empty
/// list keeps everything.
pub fn pick(v: Value, fields: &str) -> Result<Value, Error> {
    let picks = parse(fields)?;
    if picks.is_empty() {
        return Ok(v);
    }
    // nested picks sharing a prefix (`expand.a.x,expand.a.y`) are applied
    // one by one and merged
    let mut acc = Value::Object(Map::new());
    for p in &picks {
        merge(&mut acc, apply(&v, std::slice::from_ref(p)));
    }
    Ok(acc)
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
        assert_eq!(pick(rec.clone(), "id,title").expect("fields"), json!({"id":"1","title":"Hello"}));
        assert_eq!(
            pick(rec.clone(), "id,expand.author.name").expect("fields"),
            json!({"id":"1","expand":{"author":{"name":"Ann"}}})
        );
        assert_eq!(pick(rec.clone(), "*").expect("fields"), rec);
    }

    #[test]
    fn bad_modifiers_are_client_errors_and_empty_lists_keep_everything() {
        let rec = json!({"id": "1", "title": "Hello"});
        for bad in
            ["title:bogus(1)", "title:excerpt(abc)", "title:excerpt(0)", "title:excerpt(5,true,x)", "title:excerpt"]
        {
            assert!(pick(rec.clone(), bad).is_err(), "{bad}");
        }
        assert_eq!(pick(rec.clone(), ",,,").expect("fields"), rec);
        assert_eq!(pick(rec.clone(), "*:excerpt(2)").expect("fields"), json!({"id": "1", "title": "He"}));
    }

    #[test]
    fn excerpt_strips_html_and_truncates() {
        assert_eq!(pick(json!({"t":"Carrot"}), "t:excerpt(3)").expect("fields"), json!({"t":"Car"}));
        assert_eq!(pick(json!({"t":"Carrot"}), "t:excerpt(3,true)").expect("fields"), json!({"t":"Car..."}));
        assert_eq!(excerpt("<p>Hello <b>big</b> world</p>", 100, false), "Hello big world");
    }
}
