//! The collection model: PocketBase's collection JSON, its storage row in
//! `_collections`, and lookups over its fields.

use serde_json::{Map, Value, json};

use super::auth_options::AuthOptions;
use super::field::{Field, FieldKind};

/// base, auth or view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionType {
    Base,
    Auth,
    View,
}

impl CollectionType {
    /// Parses `base|auth|view`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "base" => Some(Self::Base),
            "auth" => Some(Self::Auth),
            "view" => Some(Self::View),
            _ => None,
        }
    }

    /// The type name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Base => "base",
            Self::Auth => "auth",
            Self::View => "view",
        }
    }
}

/// The five CRUD rules (`None` = superusers only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub list: Option<String>,
    pub view: Option<String>,
    pub create: Option<String>,
    pub update: Option<String>,
    pub delete: Option<String>,
}

/// A collection definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub id: String,
    pub name: String,
    pub kind: CollectionType,
    pub system: bool,
    pub fields: Vec<Field>,
    pub indexes: Vec<String>,
    pub rules: Rules,
    /// `SELECT` of a view collection (empty otherwise).
    pub view_query: String,
    /// Auth collection options (`None` for base/view).
    pub auth: Option<AuthOptions>,
    pub created: String,
    pub updated: String,
}

/// Names of the auth system fields every auth collection keeps.
pub const AUTH_SYSTEM_FIELDS: [&str; 6] = ["id", "password", "tokenKey", "email", "emailVisibility", "verified"];

impl Collection {
    /// An empty collection of the given type with its required system fields.
    pub fn new(name: &str, kind: CollectionType) -> Self {
        let mut c = Collection {
            id: String::new(),
            name: name.to_string(),
            kind,
            system: false,
            fields: Vec::new(),
            indexes: Vec::new(),
            rules: Rules::default(),
            view_query: String::new(),
            auth: None,
            created: String::new(),
            updated: String::new(),
        };
        c.ensure_system_fields();
        if kind == CollectionType::Auth {
            c.auth = Some(AuthOptions::default());
        }
        c
    }

    /// An empty value without fields, a stand-in while a collection is lent.
    pub fn placeholder() -> Self {
        Collection {
            id: String::new(),
            name: String::new(),
            kind: CollectionType::Base,
            system: false,
            fields: Vec::new(),
            indexes: Vec::new(),
            rules: Rules::default(),
            view_query: String::new(),
            auth: None,
            created: String::new(),
            updated: String::new(),
        }
    }

    /// `pbc_` + CRC32(type + name), PocketBase's default collection id.
    pub fn default_id(kind: CollectionType, name: &str) -> String {
        format!("pbc_{}", crc32fast::hash(format!("{}{}", kind.as_str(), name).as_bytes()))
    }

    /// Whether this is an auth collection.
    pub fn is_auth(&self) -> bool {
        self.kind == CollectionType::Auth
    }

    /// Whether this is a view collection.
    pub fn is_view(&self) -> bool {
        self.kind == CollectionType::View
    }

    /// Whether this is the `_superusers` collection.
    pub fn is_superusers(&self) -> bool {
        self.name == SUPERUSERS
    }

    /// Field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Field by id.
    pub fn field_by_id(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The `id` primary key field PocketBase gives a new collection.
    pub fn default_id_field(&self) -> Field {
        let (pattern, auto, min, max) =
            if self.is_view() { ("^[a-z0-9]+$", "", 0, 0) } else { ("^[a-z0-9]+$", "[a-z0-9]{15}", 15, 15) };
        let mut id = Field::new(
            "id",
            FieldKind::Text { min, max, pattern: pattern.into(), autogenerate_pattern: auto.into(), primary_key: true },
        );
        id.system = true;
        id.required = true;
        id
    }

    /// Adds the `id` field first (and the auth system fields, last, for auth
    /// collections) if missing.
    pub fn ensure_system_fields(&mut self) {
        if self.field("id").is_none() {
            let id = self.default_id_field();
            self.fields.insert(0, id);
        } else if !self.is_view() {
            // a submitted id field keeps PocketBase's system defaults
            for f in self.fields.iter_mut().filter(|f| f.name == "id") {
                if let FieldKind::Text { primary_key, pattern, .. } = &mut f.kind {
                    *primary_key = true;
                    if pattern.is_empty() {
                        *pattern = "^[a-z0-9]+$".into();
                    }
                    f.system = true;
                    f.required = true;
                    f.hidden = false;
                }
            }
        }
        if !self.is_auth() {
            return;
        }
        // submitted auth fields keep their system flags, like PocketBase's
        // init*Field: the rest of their options are the client's
        for f in self.fields.iter_mut() {
            match (f.name.as_str(), &f.kind) {
                ("password", FieldKind::Password { .. }) | ("tokenKey", FieldKind::Text { .. }) => {
                    f.system = true;
                    f.hidden = true;
                    f.required = true;
                }
                ("email", FieldKind::Email { .. }) => {
                    f.system = true;
                    f.hidden = false;
                }
                ("emailVisibility" | "verified", FieldKind::Bool) => f.system = true,
                _ => {}
            }
        }
        // missing auth fields go after the others, like PocketBase (an auth
        // collection created with fields [nick] is [id, nick, password, …])
        for name in &AUTH_SYSTEM_FIELDS[1..] {
            if self.field(name).is_some() {
                continue;
            }
            let mut f = match *name {
                "password" => {
                    let mut f =
                        Field::new("password", FieldKind::Password { min: 8, max: 0, pattern: String::new(), cost: 0 });
                    f.hidden = true;
                    f.required = true;
                    f
                }
                "tokenKey" => {
                    let mut f = Field::new(
                        "tokenKey",
                        FieldKind::Text {
                            min: 30,
                            max: 60,
                            pattern: String::new(),
                            autogenerate_pattern: "[a-zA-Z0-9]{50}".into(),
                            primary_key: false,
                        },
                    );
                    f.hidden = true;
                    f.required = true;
                    f
                }
                "email" => {
                    let mut f = Field::new("email", FieldKind::Email { only_domains: vec![], except_domains: vec![] });
                    f.required = true;
                    f
                }
                _ => Field::new(name, FieldKind::Bool),
            };
            f.system = true;
            self.fields.push(f);
        }
    }

    /// The unique indexes every auth collection has (tokenKey, email).
    pub fn auth_indexes(&self) -> [String; 2] {
        [
            format!("CREATE UNIQUE INDEX `idx_tokenKey_{}` ON `{}` (`tokenKey`)", self.id, self.name),
            format!("CREATE UNIQUE INDEX `idx_email_{}` ON `{}` (`email`) WHERE `email` != ''", self.id, self.name),
        ]
    }

    /// The collection JSON returned by the API (token secrets omitted).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.kind.as_str()));
        m.insert("system".into(), json!(self.system));
        m.insert("fields".into(), Value::Array(self.fields.iter().map(Field::to_json).collect()));
        m.insert("indexes".into(), json!(self.indexes));
        m.insert("listRule".into(), json!(self.rules.list));
        m.insert("viewRule".into(), json!(self.rules.view));
        m.insert("createRule".into(), json!(self.rules.create));
        m.insert("updateRule".into(), json!(self.rules.update));
        m.insert("deleteRule".into(), json!(self.rules.delete));
        m.insert("created".into(), json!(self.created));
        m.insert("updated".into(), json!(self.updated));
        if self.is_view() {
            m.insert("viewQuery".into(), json!(self.view_query));
        }
        if let Some(auth) = &self.auth
            && let Ok(Value::Object(opts)) = serde_json::to_value(auth)
        {
            for (k, mut v) in opts {
                if k.ends_with("Token")
                    && let Value::Object(t) = &mut v
                {
                    t.remove("secret");
                }
                if k == "oauth2"
                    && let Some(Value::Array(providers)) = v.get_mut("providers")
                {
                    for p in providers.iter_mut() {
                        if let Value::Object(p) = p {
                            p.remove("clientSecret");
                        }
                    }
                }
                m.insert(k, v);
            }
        }
        Value::Object(m)
    }

    /// JSON stored in `_collections.options`.
    pub fn options_json(&self) -> Value {
        match (&self.kind, &self.auth) {
            (CollectionType::View, _) => json!({ "viewQuery": self.view_query }),
            (CollectionType::Auth, Some(a)) => {
                crate::core::lenient::encode(a, &a.unknown).unwrap_or_else(|_| json!({}))
            }
            _ => json!({}),
        }
    }

    /// Rebuilds a collection from a `_collections` row.
    #[allow(clippy::too_many_arguments)]
    pub fn from_row(
        id: String,
        system: bool,
        kind: &str,
        name: String,
        fields: &str,
        indexes: &str,
        rules: Rules,
        options: &str,
        created: String,
        updated: String,
    ) -> Result<Self, String> {
        let kind = CollectionType::parse(kind).ok_or_else(|| format!("unknown collection type {kind}"))?;
        let raw_fields: Vec<Value> = serde_json::from_str(fields).map_err(|e| e.to_string())?;
        let fields = raw_fields
            .iter()
            .map(|f| Field::from_json(f).map_err(|e| format!("field {}: {e}", f.get("name").unwrap_or(&Value::Null))))
            .collect::<Result<Vec<_>, _>>()?;
        let indexes: Vec<String> = serde_json::from_str(indexes).unwrap_or_default();
        let options = match serde_json::from_str(options) {
            Ok(Value::Object(m)) => Value::Object(m),
            _ => json!({}),
        };
        let view_query = options.get("viewQuery").and_then(Value::as_str).unwrap_or_default().to_string();
        let auth = if kind == CollectionType::Auth {
            let (mut a, unknown) =
                crate::core::lenient::decode::<AuthOptions>(&options).map_err(|e| format!("options: {e}"))?;
            a.unknown = unknown;
            a.fill_defaults();
            Some(a)
        } else {
            None
        };
        Ok(Collection { id, name, kind, system, fields, indexes, rules, view_query, auth, created, updated })
    }
}

/// Name of the superusers collection.
pub const SUPERUSERS: &str = "_superusers";
