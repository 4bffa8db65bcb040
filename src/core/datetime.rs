//! PocketBase's date format (`2006-01-02 15:04:05.000Z`, UTC) and parsing of
//! the date strings clients send.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Formats a UTC time the way PocketBase stores and returns dates.
pub fn format(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3fZ").to_string()
}

/// The current time in PocketBase's format.
pub fn now() -> String {
    format(Utc::now())
}

/// Parses the date inputs PocketBase accepts (RFC 3339, `YYYY-MM-DD HH:MM:SS(.fff)(Z)`,
/// `YYYY-MM-DD`, unix seconds). `None` when it cannot be read.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let normalized = s.replacen('T', " ", 1);
    let trimmed = normalized.trim_end_matches('Z');
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(trimmed, fmt) {
            return Some(t.and_utc());
        }
    }
    if let Ok(t) = DateTime::parse_from_str(&normalized, "%Y-%m-%d %H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    None
}

/// Normalises a date input to PocketBase's format; empty for unreadable input.
pub fn normalize(s: &str) -> String {
    parse(s).map(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_inputs() {
        assert_eq!(normalize("2024-01-02"), "2024-01-02 00:00:00.000Z");
        assert_eq!(normalize("2024-01-02T10:00:00Z"), "2024-01-02 10:00:00.000Z");
        assert_eq!(normalize("2024-01-02 10:00:00.123Z"), "2024-01-02 10:00:00.123Z");
        assert_eq!(normalize("2024-01-02T12:00:00+02:00"), "2024-01-02 10:00:00.000Z");
        assert_eq!(normalize("nope"), "");
    }
}
