//! Cron jobs (PocketBase's `app.Cron()`): 5-field expressions (minute hour
//! day-of-month month day-of-week) with lists, ranges, steps and the
//! `@hourly`-style macros, evaluated in UTC at minute resolution. A ticker
//! thread starts with the first job and ends with the app; each due job
//! runs on its own thread, like PocketBase's goroutines.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};
use parking_lot::Mutex;

use super::error::{Error, Result};

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
}

/// The 5-field form of a macro (`@hourly` → `0 * * * *`), or the expression itself.
pub fn expand_macro(expr: &str) -> &str {
    match expr.trim() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other => other,
    }
}

fn parse_segment(seg: &str, min: u32, max: u32) -> std::result::Result<u64, String> {
    let mut bits = 0u64;
    for part in seg.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s.parse().map_err(|_| format!("invalid step \"{s}\""))?;
                if step == 0 {
                    return Err("the step must be positive".into());
                }
                (r, step)
            }
            None => (part, 1),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let a: u32 = a.parse().map_err(|_| format!("invalid value \"{a}\""))?;
            let b: u32 = b.parse().map_err(|_| format!("invalid value \"{b}\""))?;
            (a, b)
        } else {
            let v: u32 = range.parse().map_err(|_| format!("invalid value \"{range}\""))?;
            // "5/15" means from 5 to the end in steps of 15
            if step > 1 { (v, max) } else { (v, v) }
        };
        if from < min || to > max || from > to {
            return Err(format!("\"{part}\" is outside {min}-{max}"));
        }
        let mut v = from;
        while v <= to {
            bits |= 1 << v;
            let Some(next) = v.checked_add(step) else { break };
            v = next;
        }
    }
    Ok(bits)
}

impl Schedule {
    /// Parses a 5-field expression or a macro.
    pub fn parse(expr: &str) -> std::result::Result<Schedule, String> {
        let fields: Vec<&str> = expand_macro(expr).split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields.as_slice() else {
            return Err(format!("invalid cron expression \"{expr}\": expected 5 fields"));
        };
        let wrap =
            |r: std::result::Result<u64, String>| r.map_err(|e| format!("invalid cron expression \"{expr}\": {e}"));
        Ok(Schedule {
            minutes: wrap(parse_segment(minute, 0, 59))?,
            hours: wrap(parse_segment(hour, 0, 23))?,
            days: wrap(parse_segment(day, 1, 31))?,
            months: wrap(parse_segment(month, 1, 12))?,
            weekdays: wrap(parse_segment(weekday, 0, 6))?,
        })
    }

    /// Whether the schedule is due in the minute of `t` (every field must
    /// match, like PocketBase's scheduler).
    pub fn is_due(&self, t: DateTime<Utc>) -> bool {
        let has = |bits: u64, v: u32| bits & (1 << v) != 0;
        has(self.minutes, t.minute())
            && has(self.hours, t.hour())
            && has(self.days, t.day())
            && has(self.months, t.month())
            && has(self.weekdays, t.weekday().num_days_from_sunday())
    }
}

/// What a job runs.
pub type JobFn = Arc<dyn Fn() + Send + Sync>;

struct Job {
    expression: String,
    schedule: Schedule,
    owner: String,
    run: JobFn,
}

/// The app's cron jobs.
#[derive(Default)]
pub struct Cron {
    jobs: Mutex<BTreeMap<String, Arc<Job>>>,
    ticking: AtomicBool,
}

impl Cron {
    /// Adds or replaces job `id`. `owner` groups jobs for removal (the JS
    /// engine's jobs go when it reloads). Macros are stored expanded.
    pub fn add(self: &Arc<Self>, id: &str, expr: &str, owner: &str, run: JobFn) -> Result<()> {
        let schedule = Schedule::parse(expr).map_err(Error::BadRequest)?;
        let job = Job { expression: expand_macro(expr).to_string(), schedule, owner: owner.to_string(), run };
        self.jobs.lock().insert(id.to_string(), Arc::new(job));
        if !self.ticking.swap(true, Ordering::AcqRel) {
            self.start_ticker();
        }
        Ok(())
    }

    /// Removes a job (unknown ids are ignored, like PocketBase).
    pub fn remove(&self, id: &str) {
        self.jobs.lock().remove(id);
    }

    /// Removes every job of `owner`.
    pub fn remove_owner(&self, owner: &str) {
        self.jobs.lock().retain(|_, j| j.owner != owner);
    }

    /// `(id, expression)` of every job, by id.
    pub fn list(&self) -> Vec<(String, String)> {
        self.jobs.lock().iter().map(|(id, j)| (id.clone(), j.expression.clone())).collect()
    }

    /// Starts job `id` now on its own thread; false when there is none.
    pub fn run_now(&self, id: &str) -> bool {
        let Some(job) = self.jobs.lock().get(id).cloned() else {
            return false;
        };
        spawn_job(id, job);
        true
    }

    fn start_ticker(self: &Arc<Self>) {
        let weak: Weak<Cron> = Arc::downgrade(self);
        let spawned = std::thread::Builder::new().name("cron".into()).spawn(move || {
            let mut last_minute = Utc::now().timestamp() / 60;
            loop {
                std::thread::sleep(Duration::from_millis(500));
                let Some(cron) = weak.upgrade() else {
                    return;
                };
                let now = Utc::now();
                let minute = now.timestamp() / 60;
                if minute == last_minute {
                    continue;
                }
                last_minute = minute;
                let due: Vec<(String, Arc<Job>)> = cron
                    .jobs
                    .lock()
                    .iter()
                    .filter(|(_, j)| j.schedule.is_due(now))
                    .map(|(id, j)| (id.clone(), j.clone()))
                    .collect();
                for (id, job) in due {
                    spawn_job(&id, job);
                }
            }
        });
        if let Err(e) = spawned {
            tracing::error!("cannot start the cron ticker: {e}");
            self.ticking.store(false, Ordering::Release);
        }
    }
}

fn spawn_job(id: &str, job: Arc<Job>) {
    // thread names cannot hold NUL; a job id is user text
    let name = format!("cron-{}", id.replace('\0', "?"));
    if let Err(e) = std::thread::Builder::new().name(name).spawn(move || (job.run)()) {
        tracing::error!("cannot start cron job {id}: {e}");
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn expressions_and_macros_parse() {
        let at = |y, mo, d, h, mi| Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("date");
        let hourly = Schedule::parse("@hourly").expect("macro");
        assert_eq!(hourly, Schedule::parse("0 * * * *").expect("expr"));
        assert!(hourly.is_due(at(2025, 1, 1, 5, 0)));
        assert!(!hourly.is_due(at(2025, 1, 1, 5, 1)));
        let every15 = Schedule::parse("*/15 9-17 * * 1-5").expect("expr");
        assert!(every15.is_due(at(2025, 1, 6, 9, 45)), "a Monday");
        assert!(!every15.is_due(at(2025, 1, 5, 9, 45)), "a Sunday");
        assert!(!every15.is_due(at(2025, 1, 6, 18, 0)));
        assert!(Schedule::parse("0,30 0 1,15 * *").expect("list").is_due(at(2025, 3, 15, 0, 30)));
        for bad in ["", "* * * *", "60 * * * *", "* * * * 7", "*/0 * * * *", "a * * * *", "@often"] {
            assert!(Schedule::parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(expand_macro("@daily"), "0 0 * * *");
    }
}
