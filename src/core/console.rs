//! Superuser tools over raw SQL: the SQL console (`POST /api/sql`) and the
//! view query dry run (`POST /api/collections/meta/dry-run-view`), with
//! PocketBase's form checks, limits and error wording.

use std::sync::Arc;
use std::time::Instant;

use super::app::App;
use super::collections::{Collection, CollectionType, Field};
use super::error::{Error, Result, field_error, field_error_with};
use super::records::Record;
use crate::db;

pub use crate::db::console::{ConsoleColumn, ConsoleResult};

/// PocketBase's limit on a console or view query's length (characters).
pub const MAX_QUERY_LENGTH: usize = 5000;
/// At most this many rows come back from a console read.
pub const MAX_CONSOLE_ROWS: usize = 1000;
/// Sample records a view dry run answers.
pub const DRY_RUN_SAMPLE: usize = 10;

/// A console run: its result and how long it took.
#[derive(Debug, Clone)]
pub struct SqlAnswer {
    pub exec_time_ms: u128,
    pub result: ConsoleResult,
}

/// A view dry run: the fields the query gives and some of its records.
pub struct DryRunView {
    pub fields: Vec<Field>,
    pub sample: Vec<Record>,
}

/// The `{query}` form both tools take: required, at most 5000 characters.
pub fn validate_query_form(query: &str) -> Result<()> {
    let mut errors = serde_json::Map::new();
    if query.is_empty() {
        errors.insert("query".into(), field_error("validation_required", "Cannot be blank."));
    } else if query.chars().count() > MAX_QUERY_LENGTH {
        errors.insert(
            "query".into(),
            field_error_with(
                "validation_length_too_long",
                format!("The length must be no more than {MAX_QUERY_LENGTH}."),
                serde_json::json!({"max": MAX_QUERY_LENGTH, "min": 0}),
            ),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation { message: "An error occurred while validating the submitted data.".into(), errors })
    }
}

impl App {
    /// Runs a superuser's SQL: writes in a savepoint rolled back on error,
    /// reads answering the last statement's rows (see `db::console`).
    pub fn run_sql(&self, query: &str) -> Result<SqlAnswer> {
        validate_query_form(query)?;
        let raw_error = |e: String| Error::BadRequest(format!("Failed to execute query. Raw error:\n{e}"));
        let query = query.trim();
        if query.is_empty() {
            return Err(raw_error("empty query".into()));
        }
        let started = Instant::now();
        let result = db::console::run(self.executor(), query, MAX_CONSOLE_ROWS).map_err(raw_error)?;
        Ok(SqlAnswer { exec_time_ms: started.elapsed().as_millis(), result })
    }

    /// The fields a view query would give and a sample of its records,
    /// without saving anything.
    pub fn dry_run_view(&self, query: &str) -> Result<DryRunView> {
        self.dry_run_view_sample(query, DRY_RUN_SAMPLE)
    }

    /// [`Self::dry_run_view`] with up to `sample_size` sample records.
    pub fn dry_run_view_sample(&self, query: &str, sample_size: usize) -> Result<DryRunView> {
        validate_query_form(query)?;
        let invalid = |e: String| Error::BadRequest(format!("Invalid view query. Raw error: \n{e}"));
        let name = format!("temp_view_{}", super::security::random_string(5));
        let mut c = Collection::new(&name, CollectionType::View);
        c.id = Collection::default_id(CollectionType::View, &name);
        c.view_query = query.to_string();
        self.infer_view_fields(&mut c).map_err(|e| invalid(view_error_text(e)))?;
        let c = Arc::new(c);
        let rows = self
            .executor()
            .read(|conn| db::records::query_from(conn, &c, &c.view_query, sample_size))
            .map_err(|e| invalid(format!("failed to retrieve query records: {}", db::console::describe(&e))))?;
        let mut seen = std::collections::HashSet::new();
        let mut sample = Vec::with_capacity(rows.len());
        for data in rows {
            let record = Record::from_stored(c.clone(), data);
            if record.id().is_empty() {
                return Err(invalid("the query could return records with empty or invalid ids".into()));
            }
            if !seen.insert(record.id().to_string()) {
                return Err(invalid("the query could return records with non-unique ids".into()));
            }
            sample.push(record);
        }
        Ok(DryRunView { fields: c.fields.clone(), sample })
    }
}

/// The plain reason inside a view query validation error.
fn view_error_text(e: Error) -> String {
    match e {
        Error::Validation { errors, message } => errors
            .values()
            .find_map(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or(message),
        other => other.to_string(),
    }
}
