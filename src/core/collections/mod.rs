//! Collections: the model ([`collection`], [`field`]), the system
//! collections every app has ([`system`]), validation of definitions
//! ([`validate`]) and the in-memory cache ([`Collections`]).

pub mod auth_options;
pub mod collection;
pub mod field;
pub mod index;
pub mod meta;
pub mod requests;
pub mod service;
pub mod system;
pub mod validate;
pub mod view_query;

use std::collections::HashMap;
use std::sync::Arc;

pub use collection::{Collection, CollectionType};
pub use field::{Field, FieldKind, FieldType};

/// An immutable snapshot of all collections, swapped whole on change.
#[derive(Default)]
pub struct Collections {
    list: Vec<Arc<Collection>>,
    by_id: HashMap<String, Arc<Collection>>,
    by_name: HashMap<String, Arc<Collection>>,
}

impl Collections {
    /// Builds the lookup maps.
    pub fn new(list: Vec<Collection>) -> Self {
        let list: Vec<Arc<Collection>> = list.into_iter().map(Arc::new).collect();
        let mut by_id = HashMap::new();
        let mut by_name = HashMap::new();
        for c in &list {
            by_id.insert(c.id.clone(), c.clone());
            by_name.insert(c.name.to_lowercase(), c.clone());
        }
        Collections { list, by_id, by_name }
    }

    /// By id, or by name (case-insensitive), like PocketBase's `findCollectionByNameOrId`.
    pub fn get(&self, name_or_id: &str) -> Option<Arc<Collection>> {
        if let Some(c) = self.by_id.get(name_or_id) {
            return Some(c.clone());
        }
        if let Some(c) = self.by_name.get(name_or_id) {
            return Some(c.clone());
        }
        self.by_name.get(&name_or_id.to_lowercase()).cloned()
    }

    /// All collections in storage order.
    pub fn all(&self) -> &[Arc<Collection>] {
        &self.list
    }
}
