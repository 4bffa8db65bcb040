//! Records: the model, value normalisation and validation, CRUD through the
//! App with hooks, expansion and the `fields` projection.

pub mod actions;
pub mod expand;
pub mod fields;
pub mod finders;
pub mod query;
pub mod record;
pub mod service;
pub mod validate;
pub mod values;

pub use record::Record;
