//! Pseudo collections describing system tables (`_collections`, `_logs`) so
//! their listings can be filtered and sorted with the filter language.

use super::collection::{Collection, CollectionType};
use super::field::{Field, FieldKind};

fn text(name: &str) -> Field {
    Field::new(
        name,
        FieldKind::Text {
            min: 0,
            max: 0,
            pattern: String::new(),
            autogenerate_pattern: String::new(),
            primary_key: name == "id",
        },
    )
}

/// The columns of `_collections`.
pub fn collections_table() -> Collection {
    let mut c = Collection::new("_collections", CollectionType::Base);
    c.fields = vec![
        text("id"),
        Field::new("system", FieldKind::Bool),
        text("type"),
        text("name"),
        Field::new("fields", FieldKind::Json { max_size: 0 }),
        Field::new("indexes", FieldKind::Json { max_size: 0 }),
        text("listRule"),
        text("viewRule"),
        text("createRule"),
        text("updateRule"),
        text("deleteRule"),
        Field::new("options", FieldKind::Json { max_size: 0 }),
        text("created"),
        text("updated"),
    ];
    c
}

/// The columns of auxiliary.db `_logs`.
pub fn logs_table() -> Collection {
    let mut c = Collection::new("_logs", CollectionType::Base);
    c.fields = vec![
        text("id"),
        Field::new("level", FieldKind::Number { min: None, max: None, only_int: true }),
        text("message"),
        Field::new("data", FieldKind::Json { max_size: 0 }),
        text("created"),
    ];
    c
}
