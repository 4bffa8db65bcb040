//! Plain record lookups without API rules (what hooks and migrations use):
//! by several ids, by one field value, all records, a count.

use std::sync::Arc;

use rusqlite::types::Value as SqlValue;
use serde_json::Value;

use super::Record;
use super::values::normalize;
use crate::core::app::App;
use crate::core::collections::Collection;
use crate::core::error::{Error, Result};
use crate::db::records as rows;
use crate::db::{quote, values::to_sql};

impl App {
    /// The records with the given ids (missing ids are skipped).
    pub fn find_records_by_ids(&self, c: &Arc<Collection>, ids: &[String]) -> Result<Vec<Record>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("?{i}")).collect();
        let tail = format!("WHERE {}.`id` IN ({})", quote(&c.name), marks.join(", "));
        let args: Vec<SqlValue> = ids.iter().map(|id| SqlValue::Text(id.clone())).collect();
        self.find_records_sql(c, &tail, &args)
    }

    /// The first record whose `field` equals `value` (normalised to the
    /// field's type); `NotFound` when none or when the field is unknown.
    pub fn find_first_record_by_data(&self, c: &Arc<Collection>, field: &str, value: &Value) -> Result<Record> {
        let f = c.field(field).ok_or_else(Error::not_found)?;
        let arg = to_sql(f, &normalize(f, value));
        let tail = format!("WHERE {}.{} = ?1 LIMIT 1", quote(&c.name), quote(field));
        self.find_records_sql(c, &tail, &[arg])?.into_iter().next().ok_or_else(Error::not_found)
    }

    /// Every record of a collection.
    pub fn find_all_records(&self, c: &Arc<Collection>) -> Result<Vec<Record>> {
        self.find_records_sql(c, "", &[])
    }

    /// How many records a collection has.
    pub fn count_records(&self, c: &Arc<Collection>) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {}", quote(&c.name));
        Ok(self.executor().read(|conn| rows::query_i64(conn, &sql, &[]))?)
    }
}
