//! Time zones for `DateTime`, `Timezone` and the Go-like `time()` values
//! (`js_api/datetime.js`): offsets and abbreviations of IANA zones at an
//! instant, and wall-clock times in a zone turned into instants, from the
//! IANA database embedded in the binary (so it works without a system
//! zoneinfo, like Go's embedded tzdata).

use std::str::FromStr;

use chrono::{NaiveDate, Offset, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use rquickjs::prelude::Func;
use rquickjs::{Array, Ctx, Object};

/// Adds the natives `js_api/datetime.js` uses.
pub fn install<'js>(native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("tzValid", Func::from(tz_valid))?;
    native.set("tzLocal", Func::from(tz_local))?;
    native.set("tzAt", Func::from(tz_at_js))?;
    native.set("tzFromLocal", Func::from(tz_from_local))?;
    Ok(())
}

/// A zone by name; `UTC`, `""` and Go's `Local` (the `TZ` environment
/// variable, else UTC) included.
fn zone(name: &str) -> Option<Tz> {
    match name {
        "" | "UTC" => Some(Tz::UTC),
        "Local" => Some(local_zone()),
        other => Tz::from_str(other).ok(),
    }
}

fn local_zone() -> Tz {
    std::env::var("TZ").ok().and_then(|n| Tz::from_str(n.trim_start_matches(':')).ok()).unwrap_or(Tz::UTC)
}

fn tz_valid(name: String) -> bool {
    zone(&name).is_some()
}

/// The name of the server's zone (Go's `time.Local`).
fn tz_local() -> String {
    local_zone().name().to_string()
}

/// `[offsetSeconds, abbreviation, isDST]` of zone `name` at unix
/// milliseconds `ms` (UTC for an unknown zone).
fn tz_at_js<'js>(ctx: Ctx<'js>, name: String, ms: f64) -> rquickjs::Result<Array<'js>> {
    let (offset, abbreviation, dst) = tz_at(name, ms);
    let arr = Array::new(ctx)?;
    arr.set(0, offset)?;
    arr.set(1, abbreviation)?;
    arr.set(2, dst)?;
    Ok(arr)
}

fn tz_at(name: String, ms: f64) -> (i32, String, bool) {
    let tz = zone(&name).unwrap_or(Tz::UTC);
    let Some(utc) = chrono::DateTime::from_timestamp_millis(ms as i64) else {
        return (0, "UTC".into(), false);
    };
    let offset = tz.offset_from_utc_datetime(&utc.naive_utc());
    let seconds = offset.fix().local_minus_utc();
    let abbreviation = match offset.abbreviation() {
        Some(a) => a.to_string(),
        None => numeric_abbreviation(seconds),
    };
    (seconds, abbreviation, !offset.dst_offset().is_zero())
}

/// Go's name for a zone without an abbreviation: `+03`, `-0930`.
fn numeric_abbreviation(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    if m == 0 { format!("{sign}{h:02}") } else { format!("{sign}{h:02}{m:02}") }
}

/// Unix milliseconds of a wall-clock time `[year, month, day, hour,
/// minute, second, millisecond]` in zone `name`. An ambiguous time (clocks
/// going back) is the earlier instant; a skipped one (clocks going
/// forward) is read with the offset before the change, like Go.
fn tz_from_local<'js>(ctx: Ctx<'js>, name: String, parts: Vec<f64>) -> rquickjs::Result<f64> {
    let tz = zone(&name).unwrap_or(Tz::UTC);
    let part = |i: usize| parts.get(i).copied().unwrap_or(0.0);
    let invalid = || rquickjs::Exception::throw_range(&ctx, "invalid date");
    let naive = NaiveDate::from_ymd_opt(part(0) as i32, part(1) as u32, part(2) as u32)
        .and_then(|d| d.and_hms_milli_opt(part(3) as u32, part(4) as u32, part(5) as u32, part(6) as u32))
        .ok_or_else(invalid)?;
    let instant = match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.timestamp_millis(),
        chrono::LocalResult::Ambiguous(early, _) => early.timestamp_millis(),
        chrono::LocalResult::None => {
            // in a gap: the offset an hour earlier applies
            let before = naive - chrono::Duration::hours(3);
            let offset = tz.offset_from_local_datetime(&before).earliest().map(|o| o.fix().local_minus_utc());
            let offset = offset.unwrap_or(0);
            naive.and_utc().timestamp_millis() - i64::from(offset) * 1000
        }
    };
    Ok(instant as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_daylight_saving_time() {
        let summer = 1_688_169_600_000.0; // 2023-07-01T00:00:00Z
        assert_eq!(tz_at("Europe/Amsterdam".into(), summer), (7200, "CEST".into(), true));
        let winter = 1_672_531_200_000.0; // 2023-01-01T00:00:00Z
        assert_eq!(tz_at("Europe/Amsterdam".into(), winter), (3600, "CET".into(), false));
        assert_eq!(tz_at("Nope/Where".into(), winter).0, 0);
        assert_eq!(numeric_abbreviation(-34200), "-0930");
        assert_eq!(numeric_abbreviation(10800), "+03");
    }
}
