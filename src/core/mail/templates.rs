//! Mail templates: `{PLACEHOLDER}` substitution (one pass, so a value that
//! contains a placeholder is never expanded), the HTML layout every record
//! mail is wrapped in, and the plain-text alternative made from the HTML.

use std::collections::HashMap;

use crate::core::app::App;
use crate::core::collections::FieldKind;
use crate::core::collections::auth_options::EmailTemplate;
use crate::core::records::Record;

/// `{APP_NAME}`: the app name from the settings.
pub const APP_NAME: &str = "{APP_NAME}";
/// `{APP_URL}`: the app URL from the settings.
pub const APP_URL: &str = "{APP_URL}";
/// `{TOKEN}`: the verification / reset / email change token.
pub const TOKEN: &str = "{TOKEN}";
/// `{OTP}`: the one-time password.
pub const OTP: &str = "{OTP}";
/// `{OTP_ID}`: the id of the OTP.
pub const OTP_ID: &str = "{OTP_ID}";
/// `{ALERT_INFO}`: date, IP and user agent of a login from a new location.
pub const ALERT_INFO: &str = "{ALERT_INFO}";

/// Replaces every `{KEY}` of `placeholders` in `s` in one pass.
pub fn substitute(s: &str, placeholders: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match tail.find('}').map(|end| &tail[..=end]).and_then(|key| placeholders.get(key).map(|v| (key, v))) {
            Some((key, value)) => {
                out.push_str(value);
                rest = &tail[key.len()..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes text for HTML.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The placeholders of a record mail: app name and URL, and
/// `{RECORD:field}` for each visible field (HTML-escaped except dates,
/// booleans and numbers, as PocketBase does).
pub fn record_placeholders(app: &App, record: &Record) -> HashMap<String, String> {
    let settings = app.settings();
    let mut p = HashMap::new();
    p.insert(APP_NAME.to_string(), settings.meta.app_name.clone());
    p.insert(APP_URL.to_string(), settings.meta.app_url.clone());
    for f in &record.collection.fields {
        if f.hidden {
            continue;
        }
        let raw = crate::core::records::values::to_string(record.get(&f.name));
        let plain = matches!(
            f.kind,
            FieldKind::Autodate { .. } | FieldKind::Date { .. } | FieldKind::Bool | FieldKind::Number { .. }
        );
        p.insert(format!("{{RECORD:{}}}", f.name), if plain { raw } else { escape_html(&raw) });
    }
    p
}

/// Subject and full HTML body of a record mail.
pub fn render(template: &EmailTemplate, placeholders: &HashMap<String, String>) -> (String, String) {
    let subject = substitute(&template.subject, placeholders);
    let body = substitute(&template.body, placeholders);
    (subject, layout(&body))
}

/// Wraps an HTML fragment in the mail layout (inline styles for buttons,
/// paragraphs and links, since mail clients ignore most stylesheets).
pub fn layout(content: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="viewport" content="width=device-width,initial-scale=1" />
<style>
body, html {{ margin: 0; padding: 0; color: #16161a; background: #fff; font-family: Source Sans Pro, sans-serif, emoji; font-size: 14px; line-height: 20px; }}
body {{ padding: 20px 30px; }}
p {{ margin: 10px 0; }}
a {{ color: inherit; }}
.btn {{ display: inline-block; min-width: 150px; padding: 0 20px; margin: 5px 0; line-height: 40px; text-align: center; font-weight: bold; border-radius: 6px; color: #fff !important; background: #16161a !important; text-decoration: none !important; }}
</style>
</head>
<body>
{content}
</body>
</html>
"#
    )
}

/// A plain-text version of an HTML mail: tags dropped, block elements and
/// `<br>` as line breaks, links as `text (url)`, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut skip_depth = 0usize;
    let mut link: Option<String> = None;
    while let Some(lt) = rest.find('<') {
        if skip_depth == 0 {
            out.push_str(&decode_entities(&collapse_ws(&rest[..lt])));
        }
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_ascii_lowercase();
        match name.as_str() {
            "style" | "script" | "head" | "title" => {
                if closing {
                    skip_depth = skip_depth.saturating_sub(1);
                } else {
                    skip_depth += 1;
                }
            }
            "br" => out.push('\n'),
            "p" | "div" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "table"
                if !out.ends_with('\n') && !out.is_empty() =>
            {
                out.push('\n');
            }
            "li" if !closing => out.push_str("\n- "),
            "a" if !closing => link = attr(tag, "href"),
            "a" => {
                if let Some(href) = link.take().filter(|h| !h.is_empty()) {
                    out.push_str(&format!(" ({})", decode_entities(&href)));
                }
            }
            _ => {}
        }
    }
    if skip_depth == 0 {
        out.push_str(&decode_entities(&collapse_ws(rest)));
    }
    out.lines().map(str::trim).collect::<Vec<_>>().join("\n").trim().to_string()
}

fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_ws = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !last_ws {
                out.push(' ');
            }
            last_ws = true;
        } else {
            out.push(c);
            last_ws = false;
        }
    }
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let pos = lower.find(&format!("{name}="))?;
    let rest = &tag[pos + name.len() + 1..];
    let quote = rest.chars().next()?;
    if quote == '"' || quote == '\'' {
        let end = rest[1..].find(quote)?;
        Some(rest[1..=end].to_string())
    } else {
        Some(rest.split_whitespace().next().unwrap_or_default().to_string())
    }
}

fn decode_entities(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_is_single_pass() {
        let mut p = HashMap::new();
        p.insert("{RECORD:name}".to_string(), "{TOKEN}".to_string());
        p.insert("{TOKEN}".to_string(), "secret".to_string());
        assert_eq!(substitute("Hi {RECORD:name}, {TOKEN} {UNKNOWN} {", &p), "Hi {TOKEN}, secret {UNKNOWN} {");
    }

    #[test]
    fn html_becomes_readable_text() {
        let html = "<html><head><style>p{}</style></head><body><p>Hello,</p><p>Click <a class=\"btn\" href=\"http://x/confirm/T\">Verify</a></p><p>Thanks,<br/>Acme &amp; co</p></body></html>";
        let text = html_to_text(html);
        assert_eq!(text, "Hello,\nClick Verify (http://x/confirm/T)\nThanks,\nAcme & co");
    }

    #[test]
    fn escaping_covers_markup() {
        assert_eq!(escape_html("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/b&gt;");
    }
}
