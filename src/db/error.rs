//! The storage error the core sees: opaque, carrying only the questions the
//! core asks of a failure (no row? stopped by its deadline? which unique
//! constraint?). The driver's own error type stays inside `src/db`.

use crate::core::error::Error;

/// A failed statement, connection or transaction.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(#[from] rusqlite::Error);

impl DbError {
    /// Whether a single-row read found no row (PocketBase answers 404).
    pub fn is_no_rows(&self) -> bool {
        matches!(self.0, rusqlite::Error::QueryReturnedNoRows)
    }

    /// Whether the statement was stopped by its deadline or by shutdown.
    pub fn is_interrupted(&self) -> bool {
        super::is_interrupted(&self.0)
    }

    /// The detail of a UNIQUE constraint failure: `table.col1, table.col2`
    /// or `index 'name'`.
    pub fn unique_violation(&self) -> Option<&str> {
        let rusqlite::Error::SqliteFailure(code, Some(msg)) = &self.0 else {
            return None;
        };
        if code.code != rusqlite::ErrorCode::ConstraintViolation {
            return None;
        }
        Some(msg.strip_prefix("UNIQUE constraint failed:")?.trim())
    }
}

/// Driver errors reach the core's error through [`DbError`] (this is the
/// one place that maps them).
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sql(DbError(e))
    }
}
