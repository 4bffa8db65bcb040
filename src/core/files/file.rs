//! A file waiting to be stored (PocketBase's `filesystem.File`): its
//! sanitised, random-suffixed storage name, the name it was submitted with,
//! its size and where its bytes come from.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::mime;

/// Where an unsaved file's bytes are.
#[derive(Debug, Clone)]
pub enum FileSource {
    /// In memory (multipart part, `fileFromBytes`, `fileFromURL`).
    Bytes(Bytes),
    /// A local file (`fileFromPath`).
    Path(PathBuf),
}

/// A new file for a record's file field.
#[derive(Debug, Clone)]
pub struct File {
    /// The storage name: sanitised original + `_` + 10 random chars + extension.
    pub name: String,
    /// The name the file was submitted with.
    pub original_name: String,
    /// Size in bytes.
    pub size: u64,
    pub source: FileSource,
}

impl File {
    /// A file from in-memory bytes (an upload); empty content is allowed,
    /// like a multipart part in PocketBase. The name is used as submitted:
    /// multipart names are reduced to their base name by the HTTP layer.
    pub fn from_upload(bytes: Bytes, original_name: &str) -> File {
        let name = normalize_name(original_name, &bytes);
        File {
            name,
            original_name: original_name.to_string(),
            size: bytes.len() as u64,
            source: FileSource::Bytes(bytes),
        }
    }

    /// `$filesystem.fileFromBytes`: like an upload but refuses empty content
    /// (PocketBase: "cannot create an empty file").
    pub fn from_bytes(bytes: Bytes, original_name: &str) -> Result<File, String> {
        if bytes.is_empty() {
            return Err("cannot create an empty file".into());
        }
        Ok(File::from_upload(bytes, original_name))
    }

    /// `$filesystem.fileFromPath`: a local file, read when it is stored.
    pub fn from_path(path: &Path) -> std::io::Result<File> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(std::io::Error::other(format!("{} is not a file", path.display())));
        }
        let original_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let head = read_head(path, mime::SNIFF_LEN)?;
        Ok(File {
            name: normalize_name(&original_name, &head),
            original_name,
            size: meta.len(),
            source: FileSource::Path(path.to_path_buf()),
        })
    }

    /// The whole content.
    pub fn bytes(&self) -> std::io::Result<Bytes> {
        match &self.source {
            FileSource::Bytes(b) => Ok(b.clone()),
            FileSource::Path(p) => std::fs::read(p).map(Bytes::from),
        }
    }

    /// The first bytes, for content sniffing.
    pub fn head(&self) -> std::io::Result<Bytes> {
        match &self.source {
            FileSource::Bytes(b) => Ok(b.slice(..b.len().min(mime::SNIFF_LEN))),
            FileSource::Path(p) => read_head(p, mime::SNIFF_LEN),
        }
    }

    /// The detected content type (`text/plain; charset=utf-8`, `image/png`…).
    pub fn content_type(&self) -> String {
        self.head().map(|h| mime::detect(&h).to_string()).unwrap_or_else(|_| mime::OCTET_STREAM.to_string())
    }
}

fn read_head(path: &Path, n: usize) -> std::io::Result<Bytes> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(n);
    std::fs::File::open(path)?.take(n as u64).read_to_end(&mut buf)?;
    Ok(Bytes::from(buf))
}

const RANDOM_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789";

fn random_part() -> String {
    crate::core::security::random_string_with_alphabet(10, RANDOM_ALPHABET.as_bytes())
}

/// PocketBase's storage name for an uploaded file: the last 300 bytes of the
/// name, a cleaned extension (double ones like `.tar.gz` kept, detected from
/// the content when missing, at most 20 chars), a snake_cased base (leading
/// dots trimmed, padded with 10 random chars below 3, cut at 100), then
/// `_` + 10 random `[a-z0-9]`. The result never holds a path separator.
pub fn normalize_name(original: &str, content_head: &[u8]) -> String {
    let mut name = original;
    if name.len() > 300 {
        let mut cut = name.len() - 300;
        while !name.is_char_boundary(cut) {
            cut += 1;
        }
        name = &name[cut..];
    }
    let original_ext = extract_extension(name);
    let cleaned: String =
        original_ext.chars().filter(|c| c.is_ascii_alphanumeric() || "_.*-+=#".contains(*c)).collect();
    let mut ext = format!(".{}", cleaned.trim_matches('.'));
    if ext == "." {
        ext = mime::detect(content_head).extension().to_string();
    }
    if ext.len() > 20 {
        // ASCII only after the cleaning above, so any byte index is a boundary
        ext = format!(".{}", ext[ext.len() - 20..].trim_matches('.'));
    }
    let base = &name[..name.len() - original_ext.len()];
    let mut clean = snake_case(base.trim_matches('.'));
    if clean.len() < 3 {
        clean.push_str(&random_part());
    } else if clean.len() > 100 {
        clean.truncate(100);
    }
    format!("{clean}_{}{ext}", random_part())
}

/// The extension with its leading dot, including a secondary one
/// (`a.tar.gz` → `.tar.gz`); empty when there is no dot.
pub fn extract_extension(name: &str) -> &str {
    let Some(primary) = name.rfind('.') else {
        return "";
    };
    match name[..primary].rfind('.') {
        Some(secondary) => &name[secondary..],
        None => &name[primary..],
    }
}

/// PocketBase's `inflector.Snakecase`: words split at runs of ASCII
/// non-word characters, joined by `_`, an `_` before an upper-case letter
/// that follows a lower-case one, all lower-cased.
pub fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push('_');
        }
        let mut prev_upper = true;
        for (i, c) in word.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 && !prev_upper {
                out.push('_');
            }
            prev_upper = c.is_ascii_uppercase();
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Go's `filepath.Base` on Unix, which `multipart.Part.FileName` applies to
/// a submitted file name: the last `/`-separated element.
pub fn base_name(name: &str) -> String {
    if name.is_empty() {
        return ".".into();
    }
    let trimmed = name.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Whether a stored file name is a plain name (PocketBase's loose check:
/// 1..150 chars, no leading dot, no path separators).
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
        && name.len() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(name: &str, prefix: &str, suffix: &str) -> bool {
        let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)) else {
            return false;
        };
        rest.len() == 10 && rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    }

    #[test]
    fn names_are_normalized_like_pocketbase() {
        let cases: &[(&str, &str, &str)] = &[
            ("My Pic.png", "my_pic_", ".png"),
            ("My File (1).PNG", "my_file_1_", ".PNG"),
            ("hello.txt", "hello_", ".txt"),
            ("a.b.c.?.?.?.2", "a_b_c_", ".2"),
            ("a.b.c.d.tar.gz", "a_b_c_d_", ".tar.gz"),
            ("abcd", "abcd_", ".txt"),
            (".abcd.123.", "abcd_", ".123"),
            ("a  b! c d  . 456", "a_b_c_d_", ".456"),
            ("..\\..\\x.txt", "x_", ".txt"),
            ("../../x.txt", "x_", ".txt"),
            ("fileName.txt", "file_name_", ".txt"),
        ];
        for (input, prefix, suffix) in cases {
            let n = normalize_name(input, b"abc");
            if input.contains(['\\', '/']) {
                // the secondary "extension" swallows the separators, which are cleaned away
                assert!(n.ends_with(".x.txt") && !n.contains(['\\', '/']), "{input} -> {n}");
                continue;
            }
            assert!(matches(&n, prefix, suffix), "{input} -> {n}");
        }
    }

    #[test]
    fn short_and_long_names() {
        let n = normalize_name("", b"abc");
        assert_eq!(n.len(), 10 + 1 + 10 + 4, "{n}");
        assert!(n.ends_with(".txt"));
        let long = format!("{}.{}", "a".repeat(101), "b".repeat(21));
        let n = normalize_name(&long, b"abc");
        assert!(n.starts_with(&"a".repeat(100)) && n.ends_with(&format!(".{}", "b".repeat(20))), "{n}");
        let cut = format!("abc{}.{}", "d".repeat(290), "b".repeat(9));
        let n = normalize_name(&cut, b"abc");
        assert!(n.starts_with(&"d".repeat(100)) && n.ends_with(".bbbbbbbbb"), "{n}");
        let png = normalize_name("noext", b"\x89PNG\r\n\x1a\n0000");
        assert!(png.ends_with(".png"), "{png}");
        let multibyte = normalize_name(&"é".repeat(200), b"abc");
        assert!(multibyte.ends_with(".txt"), "{multibyte}");
    }

    #[test]
    fn multipart_names_lose_their_directories() {
        assert_eq!(base_name("../../etc/pass wd.txt"), "pass wd.txt");
        assert_eq!(base_name("a/b/"), "b");
        assert_eq!(base_name("..\\x.txt"), "..\\x.txt");
        assert_eq!(base_name("/"), "/");
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_name("a_b.txt"));
        assert!(!is_plain_name("../x"));
        assert!(!is_plain_name(".hidden"));
        assert!(!is_plain_name("a\\b"));
        assert!(!is_plain_name(""));
    }
}
