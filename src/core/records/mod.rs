//! Records: the model, value normalisation and validation, CRUD through the
//! App with hooks, expansion and the `fields` projection.

pub mod record;

pub use record::Record;
