//! Datetime macros (`@now`, `@todayStart`, …): values computed in UTC at
//! compile time and bound as arguments, with PocketBase's formats.

use crate::db::SqlValue;
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Timelike, Utc};

use crate::core::datetime;

/// The value of a datetime macro at `now`, or `None` if `name` is not one.
pub(super) fn macro_value(name: &str, now: DateTime<Utc>) -> Option<SqlValue> {
    let today = now.date_naive();
    let int = |n: u32| Some(SqlValue::Integer(i64::from(n)));
    match name {
        "@now" => date_value(Some(now)),
        "@yesterday" => date_value(now.checked_sub_days(Days::new(1))),
        "@tomorrow" => date_value(now.checked_add_days(Days::new(1))),
        "@second" => int(now.second()),
        "@minute" => int(now.minute()),
        "@hour" => int(now.hour()),
        "@day" => int(now.day()),
        "@month" => int(now.month()),
        // Sunday is 0, like Go's time.Weekday
        "@weekday" => int(now.weekday().num_days_from_sunday()),
        "@year" => Some(SqlValue::Integer(i64::from(now.year()))),
        "@todayStart" => date_value(Some(start_of(today))),
        "@todayEnd" => date_value(Some(end_of(today))),
        "@monthStart" => date_value(Some(start_of(first_of_month(today)))),
        "@monthEnd" => date_value(last_of_month(today).map(end_of)),
        "@yearStart" => date_value(NaiveDate::from_ymd_opt(today.year(), 1, 1).map(start_of)),
        "@yearEnd" => date_value(NaiveDate::from_ymd_opt(today.year(), 12, 31).map(end_of)),
        _ => None,
    }
}

/// A date macro value; an unrepresentable date (year overflow) becomes ''.
fn date_value(t: Option<DateTime<Utc>>) -> Option<SqlValue> {
    Some(SqlValue::Text(t.map(datetime::format).unwrap_or_default()))
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

fn end_of(day: NaiveDate) -> DateTime<Utc> {
    let last_milli = NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap_or(NaiveTime::MIN);
    day.and_time(last_milli).and_utc()
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn last_of_month(day: NaiveDate) -> Option<NaiveDate> {
    first_of_month(day).checked_add_months(Months::new(1))?.pred_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Option<SqlValue> {
        Some(SqlValue::Text(s.into()))
    }

    #[test]
    fn computes_every_macro_in_utc() {
        // a Thursday in a leap year
        let now = DateTime::parse_from_rfc3339("2024-02-29T13:45:07.123Z").expect("valid").with_timezone(&Utc);
        let cases = [
            ("@now", text("2024-02-29 13:45:07.123Z")),
            ("@yesterday", text("2024-02-28 13:45:07.123Z")),
            ("@tomorrow", text("2024-03-01 13:45:07.123Z")),
            ("@second", Some(SqlValue::Integer(7))),
            ("@minute", Some(SqlValue::Integer(45))),
            ("@hour", Some(SqlValue::Integer(13))),
            ("@day", Some(SqlValue::Integer(29))),
            ("@month", Some(SqlValue::Integer(2))),
            ("@weekday", Some(SqlValue::Integer(4))),
            ("@year", Some(SqlValue::Integer(2024))),
            ("@todayStart", text("2024-02-29 00:00:00.000Z")),
            ("@todayEnd", text("2024-02-29 23:59:59.999Z")),
            ("@monthStart", text("2024-02-01 00:00:00.000Z")),
            ("@monthEnd", text("2024-02-29 23:59:59.999Z")),
            ("@yearStart", text("2024-01-01 00:00:00.000Z")),
            ("@yearEnd", text("2024-12-31 23:59:59.999Z")),
            ("@later", None),
            ("now", None),
        ];
        for (name, expected) in cases {
            assert_eq!(macro_value(name, now), expected, "{name}");
        }
    }
}
