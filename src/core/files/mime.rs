//! Content sniffing: a file's type comes from its bytes, never from the
//! name or the client's `Content-Type` (PocketBase uses the `mimetype`
//! library the same way for storage metadata and `mimeTypes` checks).

use std::borrow::Cow;

/// How many leading bytes are inspected (the `mimetype` library's default).
pub const SNIFF_LEN: usize = 3072;

/// The type of unrecognised binary content.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// A detected content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// Full type, with a charset for text (`text/plain; charset=utf-8`).
    pub mime: Cow<'static, str>,
    /// Extension with its dot (`.png`), empty when unknown.
    pub ext: Cow<'static, str>,
}

impl Detected {
    /// The extension with its leading dot.
    pub fn extension(&self) -> &str {
        &self.ext
    }

    /// The type without parameters (`text/plain`).
    pub fn essence(&self) -> &str {
        self.mime.split(';').next().unwrap_or_default().trim()
    }

    /// Whether this is `expected` or one of its aliases (case-insensitive,
    /// parameters ignored), like `mimetype`'s `Is`.
    pub fn is(&self, expected: &str) -> bool {
        let expected = expected.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let essence = self.essence().to_ascii_lowercase();
        essence == expected || aliases(&essence).contains(&expected.as_str())
    }
}

impl std::fmt::Display for Detected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.mime)
    }
}

fn aliases(essence: &str) -> &'static [&'static str] {
    match essence {
        "application/zip" => &["application/x-zip", "application/x-zip-compressed"],
        "image/x-icon" => &["image/vnd.microsoft.icon"],
        "audio/mpeg" => &["audio/x-mpeg", "audio/mp3"],
        "audio/wav" => &["audio/x-wav", "audio/vnd.wave", "audio/wave"],
        "application/pdf" => &["application/x-pdf"],
        "image/jpeg" => &["image/jpg"],
        "application/x-rar-compressed" => &["application/x-rar"],
        "application/x-7z-compressed" => &[],
        "text/xml" => &["application/xml"],
        "application/json" => &[],
        "application/gzip" => &["application/x-gzip", "application/x-gunzip", "application/gzipped"],
        "video/quicktime" => &[],
        "audio/mp4" => &["audio/x-m4a", "audio/x-mp4a"],
        _ => &[],
    }
}

fn detected(mime: &'static str, ext: &'static str) -> Detected {
    Detected { mime: Cow::Borrowed(mime), ext: Cow::Borrowed(ext) }
}

/// Detects the type of content from its first bytes.
pub fn detect(head: &[u8]) -> Detected {
    let head = &head[..head.len().min(SNIFF_LEN)];
    if head.is_empty() {
        return detected("text/plain", ".txt");
    }
    if let Some(t) = infer::get(head) {
        let mime = match t.mime_type() {
            // the names the `mimetype` library (and so PocketBase) stores
            "audio/x-wav" => "audio/wav",
            "image/vnd.microsoft.icon" => "image/x-icon",
            "text/html" => "text/html; charset=utf-8",
            "text/xml" => "text/xml; charset=utf-8",
            other => other,
        };
        let ext = match t.extension() {
            "jpg" => ".jpg",
            other => return Detected { mime: Cow::Borrowed(mime), ext: Cow::Owned(format!(".{other}")) },
        };
        return Detected { mime: Cow::Borrowed(mime), ext: Cow::Borrowed(ext) };
    }
    if !looks_like_text(head) {
        return detected(OCTET_STREAM, "");
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let lower: String = trimmed.chars().take(256).collect::<String>().to_ascii_lowercase();
    if lower.starts_with("<svg") || (lower.starts_with("<?xml") && text.contains("<svg")) {
        return detected("image/svg+xml", ".svg");
    }
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.starts_with("<head") {
        return detected("text/html; charset=utf-8", ".html");
    }
    if lower.starts_with("<?xml") {
        return detected("text/xml; charset=utf-8", ".xml");
    }
    if (trimmed.starts_with('{') || trimmed.starts_with('[')) && is_json_prefix(trimmed, head.len() == SNIFF_LEN) {
        return detected("application/json", ".json");
    }
    detected("text/plain; charset=utf-8", ".txt")
}

/// UTF-8 (a sequence cut at the end is fine) without NUL or other binary
/// control bytes.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    valid && !head.iter().any(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)))
}

/// Whether the text is JSON; a cut-off document counts when it parsed
/// correctly up to the cut.
fn is_json_prefix(text: &str, truncated: bool) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => true,
        Err(e) => truncated && e.is_eof(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_types() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png", ".png"),
            (b"\xff\xd8\xff\xe0\0\x10JFIF\0", "image/jpeg", ".jpg"),
            (b"GIF89a\x01\0\x01\0", "image/gif", ".gif"),
            (b"RIFF\x1a\0\0\0WEBPVP8 ", "image/webp", ".webp"),
            (b"%PDF-1.4 hello", "application/pdf", ".pdf"),
            (b"hello world\n", "text/plain; charset=utf-8", ".txt"),
            (b"{\"a\": [1, 2]}", "application/json", ".json"),
            (b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>", "image/svg+xml", ".svg"),
            (b"<!DOCTYPE html><html></html>", "text/html; charset=utf-8", ".html"),
            (b"\0\x01\x02\x03binary", OCTET_STREAM, ""),
            (b"", "text/plain", ".txt"),
        ];
        for (bytes, mime, ext) in cases {
            let d = detect(bytes);
            assert_eq!((d.mime.as_ref(), d.ext.as_ref()), (*mime, *ext), "{bytes:?}");
        }
    }

    #[test]
    fn is_ignores_parameters_and_knows_aliases() {
        let text = detect(b"plain");
        assert!(text.is("text/plain"));
        assert!(!text.is("image/png"));
        assert!(detect(b"\xff\xd8\xff\xe0\0\x10JFIF\0").is("image/jpg"));
    }
}
