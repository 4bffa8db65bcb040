//! Field definitions: one variant per PocketBase field type with its options,
//! (de)serialised in PocketBase's flat JSON shape (`{"type":"text","min":0,…}`).

use serde_json::{Map, Value, json};

/// The 14 field types of PocketBase 0.40.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    Number,
    Bool,
    Email,
    Url,
    Editor,
    Date,
    Autodate,
    Select,
    File,
    Relation,
    Json,
    Password,
    GeoPoint,
}

impl FieldType {
    /// Parses PocketBase's type name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => Self::Text,
            "number" => Self::Number,
            "bool" => Self::Bool,
            "email" => Self::Email,
            "url" => Self::Url,
            "editor" => Self::Editor,
            "date" => Self::Date,
            "autodate" => Self::Autodate,
            "select" => Self::Select,
            "file" => Self::File,
            "relation" => Self::Relation,
            "json" => Self::Json,
            "password" => Self::Password,
            "geoPoint" => Self::GeoPoint,
            _ => return None,
        })
    }

    /// PocketBase's type name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Bool => "bool",
            Self::Email => "email",
            Self::Url => "url",
            Self::Editor => "editor",
            Self::Date => "date",
            Self::Autodate => "autodate",
            Self::Select => "select",
            Self::File => "file",
            Self::Relation => "relation",
            Self::Json => "json",
            Self::Password => "password",
            Self::GeoPoint => "geoPoint",
        }
    }
}

/// Type-specific options.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    Text { min: i64, max: i64, pattern: String, autogenerate_pattern: String, primary_key: bool },
    Number { min: Option<f64>, max: Option<f64>, only_int: bool },
    Bool,
    Email { only_domains: Vec<String>, except_domains: Vec<String> },
    Url { only_domains: Vec<String>, except_domains: Vec<String> },
    Editor { max_size: i64, convert_urls: bool },
    Date { min: String, max: String },
    Autodate { on_create: bool, on_update: bool },
    Select { values: Vec<String>, max_select: i64 },
    File { max_select: i64, max_size: i64, mime_types: Vec<String>, thumbs: Vec<String>, protected: bool },
    Relation { collection_id: String, cascade_delete: bool, min_select: i64, max_select: i64 },
    Json { max_size: i64 },
    Password { min: i64, max: i64, pattern: String, cost: i64 },
    GeoPoint,
}

/// One collection field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub id: String,
    pub name: String,
    pub system: bool,
    pub hidden: bool,
    pub presentable: bool,
    pub required: bool,
    pub help: String,
    pub kind: FieldKind,
    /// Keys of the stored field JSON this version does not know (an option
    /// of a newer PocketBase), written back unchanged.
    pub extra: Map<String, Value>,
}

/// Default max length of a text field when `max` is 0.
pub const DEFAULT_TEXT_MAX: i64 = 5000;
/// Default max size of an editor field when `maxSize` is 0.
pub const DEFAULT_EDITOR_MAX_SIZE: i64 = 5 << 20;
/// Default max size of a json field when `maxSize` is 0.
pub const DEFAULT_JSON_MAX_SIZE: i64 = 1 << 20;
/// Default max size of an uploaded file when `maxSize` is 0.
pub const DEFAULT_FILE_MAX_SIZE: i64 = 5 << 20;
/// Default max password length (bcrypt's 72-byte limit).
pub const DEFAULT_PASSWORD_MAX: i64 = 71;

/// Reasons a field definition JSON is rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldParseError {
    NotAnObject,
    UnknownType(String),
}

impl std::fmt::Display for FieldParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldParseError::NotAnObject => f.write_str("not a JSON object"),
            FieldParseError::UnknownType(t) => write!(f, "unknown field type {t:?}"),
        }
    }
}

fn get_str(m: &Map<String, Value>, k: &str) -> String {
    match m.get(k) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn get_bool(m: &Map<String, Value>, k: &str) -> bool {
    match m.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => s == "true" || s == "1",
        _ => false,
    }
}

fn get_i64(m: &Map<String, Value>, k: &str) -> i64 {
    match m.get(k) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

fn get_opt_f64(m: &Map<String, Value>, k: &str) -> Option<f64> {
    match m.get(k) {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().parse().ok(),
        _ => None,
    }
}

fn get_strings(m: &Map<String, Value>, k: &str) -> Vec<String> {
    match m.get(k) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn num_json(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 { json!(v as i64) } else { json!(v) }
}

impl Field {
    /// A field with default options for the given type.
    pub fn new(name: &str, kind: FieldKind) -> Self {
        let mut f = Field {
            id: String::new(),
            name: name.to_string(),
            system: false,
            hidden: false,
            presentable: false,
            required: false,
            help: String::new(),
            kind,
            extra: Map::new(),
        };
        f.id = default_field_id(f.field_type(), name);
        f
    }

    /// The field type.
    pub fn field_type(&self) -> FieldType {
        match &self.kind {
            FieldKind::Text { .. } => FieldType::Text,
            FieldKind::Number { .. } => FieldType::Number,
            FieldKind::Bool => FieldType::Bool,
            FieldKind::Email { .. } => FieldType::Email,
            FieldKind::Url { .. } => FieldType::Url,
            FieldKind::Editor { .. } => FieldType::Editor,
            FieldKind::Date { .. } => FieldType::Date,
            FieldKind::Autodate { .. } => FieldType::Autodate,
            FieldKind::Select { .. } => FieldType::Select,
            FieldKind::File { .. } => FieldType::File,
            FieldKind::Relation { .. } => FieldType::Relation,
            FieldKind::Json { .. } => FieldType::Json,
            FieldKind::Password { .. } => FieldType::Password,
            FieldKind::GeoPoint => FieldType::GeoPoint,
        }
    }

    /// Whether the value is a list (multi select/relation/file).
    pub fn is_multiple(&self) -> bool {
        match &self.kind {
            FieldKind::Select { max_select, .. }
            | FieldKind::File { max_select, .. }
            | FieldKind::Relation { max_select, .. } => *max_select > 1,
            _ => false,
        }
    }

    /// The related collection id for relation fields.
    pub fn relation_target(&self) -> Option<&str> {
        match &self.kind {
            FieldKind::Relation { collection_id, .. } => Some(collection_id),
            _ => None,
        }
    }

    /// Whether this is the `id` primary key field.
    pub fn is_primary_key(&self) -> bool {
        matches!(&self.kind, FieldKind::Text { primary_key: true, .. })
    }

    /// Parses PocketBase's field JSON.
    pub fn from_json(v: &Value) -> Result<Self, FieldParseError> {
        let m = v.as_object().ok_or(FieldParseError::NotAnObject)?;
        let type_name = get_str(m, "type");
        let ty = FieldType::parse(&type_name).ok_or(FieldParseError::UnknownType(type_name))?;
        let kind = match ty {
            FieldType::Text => FieldKind::Text {
                min: get_i64(m, "min"),
                max: get_i64(m, "max"),
                pattern: get_str(m, "pattern"),
                autogenerate_pattern: get_str(m, "autogeneratePattern"),
                primary_key: get_bool(m, "primaryKey"),
            },
            FieldType::Number => FieldKind::Number {
                min: get_opt_f64(m, "min"),
                max: get_opt_f64(m, "max"),
                only_int: get_bool(m, "onlyInt"),
            },
            FieldType::Bool => FieldKind::Bool,
            FieldType::Email => FieldKind::Email {
                only_domains: get_strings(m, "onlyDomains"),
                except_domains: get_strings(m, "exceptDomains"),
            },
            FieldType::Url => FieldKind::Url {
                only_domains: get_strings(m, "onlyDomains"),
                except_domains: get_strings(m, "exceptDomains"),
            },
            FieldType::Editor => {
                FieldKind::Editor { max_size: get_i64(m, "maxSize"), convert_urls: get_bool(m, "convertURLs") }
            }
            FieldType::Date => FieldKind::Date { min: get_str(m, "min"), max: get_str(m, "max") },
            FieldType::Autodate => {
                FieldKind::Autodate { on_create: get_bool(m, "onCreate"), on_update: get_bool(m, "onUpdate") }
            }
            FieldType::Select => {
                FieldKind::Select { values: get_strings(m, "values"), max_select: get_i64(m, "maxSelect") }
            }
            FieldType::File => FieldKind::File {
                max_select: get_i64(m, "maxSelect"),
                max_size: get_i64(m, "maxSize"),
                mime_types: get_strings(m, "mimeTypes"),
                thumbs: get_strings(m, "thumbs"),
                protected: get_bool(m, "protected"),
            },
            FieldType::Relation => FieldKind::Relation {
                collection_id: get_str(m, "collectionId"),
                cascade_delete: get_bool(m, "cascadeDelete"),
                min_select: get_i64(m, "minSelect"),
                max_select: get_i64(m, "maxSelect"),
            },
            FieldType::Json => FieldKind::Json { max_size: get_i64(m, "maxSize") },
            FieldType::Password => FieldKind::Password {
                min: get_i64(m, "min"),
                max: get_i64(m, "max"),
                pattern: get_str(m, "pattern"),
                cost: get_i64(m, "cost"),
            },
            FieldType::GeoPoint => FieldKind::GeoPoint,
        };
        let name = get_str(m, "name");
        let mut id = get_str(m, "id");
        if id.is_empty() {
            id = default_field_id(ty, &name);
        }
        let options = type_options(ty);
        let extra = m
            .iter()
            .filter(|(k, _)| !COMMON_KEYS.contains(&k.as_str()) && !options.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Field {
            id,
            name,
            system: get_bool(m, "system"),
            hidden: get_bool(m, "hidden"),
            presentable: get_bool(m, "presentable"),
            required: get_bool(m, "required"),
            help: get_str(m, "help"),
            kind,
            extra,
        })
    }

    /// PocketBase's field JSON (keys sorted like PocketBase emits them).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.field_type().as_str()));
        m.insert("system".into(), json!(self.system));
        m.insert("hidden".into(), json!(self.hidden));
        m.insert("presentable".into(), json!(self.presentable));
        if !matches!(self.kind, FieldKind::Autodate { .. }) {
            m.insert("help".into(), json!(self.help));
            m.insert("required".into(), json!(self.required));
        }
        match &self.kind {
            FieldKind::Text { min, max, pattern, autogenerate_pattern, primary_key } => {
                m.insert("min".into(), json!(min));
                m.insert("max".into(), json!(max));
                m.insert("pattern".into(), json!(pattern));
                m.insert("autogeneratePattern".into(), json!(autogenerate_pattern));
                m.insert("primaryKey".into(), json!(primary_key));
            }
            FieldKind::Number { min, max, only_int } => {
                m.insert("min".into(), min.map(num_json).unwrap_or(Value::Null));
                m.insert("max".into(), max.map(num_json).unwrap_or(Value::Null));
                m.insert("onlyInt".into(), json!(only_int));
            }
            FieldKind::Bool | FieldKind::GeoPoint => {}
            FieldKind::Email { only_domains, except_domains } | FieldKind::Url { only_domains, except_domains } => {
                m.insert("onlyDomains".into(), json!(only_domains));
                m.insert("exceptDomains".into(), json!(except_domains));
            }
            FieldKind::Editor { max_size, convert_urls } => {
                m.insert("maxSize".into(), json!(max_size));
                m.insert("convertURLs".into(), json!(convert_urls));
            }
            FieldKind::Date { min, max } => {
                m.insert("min".into(), json!(min));
                m.insert("max".into(), json!(max));
            }
            FieldKind::Autodate { on_create, on_update } => {
                m.insert("onCreate".into(), json!(on_create));
                m.insert("onUpdate".into(), json!(on_update));
            }
            FieldKind::Select { values, max_select } => {
                m.insert("values".into(), json!(values));
                m.insert("maxSelect".into(), json!(max_select));
            }
            FieldKind::File { max_select, max_size, mime_types, thumbs, protected } => {
                m.insert("maxSelect".into(), json!(max_select));
                m.insert("maxSize".into(), json!(max_size));
                m.insert("mimeTypes".into(), json!(mime_types));
                m.insert("thumbs".into(), json!(thumbs));
                m.insert("protected".into(), json!(protected));
            }
            FieldKind::Relation { collection_id, cascade_delete, min_select, max_select } => {
                m.insert("collectionId".into(), json!(collection_id));
                m.insert("cascadeDelete".into(), json!(cascade_delete));
                m.insert("minSelect".into(), json!(min_select));
                m.insert("maxSelect".into(), json!(max_select));
            }
            FieldKind::Json { max_size } => {
                m.insert("maxSize".into(), json!(max_size));
            }
            FieldKind::Password { min, max, pattern, cost } => {
                m.insert("min".into(), json!(min));
                m.insert("max".into(), json!(max));
                m.insert("pattern".into(), json!(pattern));
                m.insert("cost".into(), json!(cost));
            }
        }
        for (k, v) in &self.extra {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(m)
    }

    /// SQLite column definition, exactly as PocketBase 0.40 declares it.
    pub fn column_type(&self) -> &'static str {
        match &self.kind {
            FieldKind::Text { primary_key: true, .. } => {
                "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL"
            }
            FieldKind::Number { .. } => "NUMERIC DEFAULT 0 NOT NULL",
            FieldKind::Bool => "BOOLEAN DEFAULT FALSE NOT NULL",
            FieldKind::Json { .. } => "JSON DEFAULT NULL",
            FieldKind::GeoPoint => "JSON DEFAULT '{\"lon\":0,\"lat\":0}' NOT NULL",
            _ if self.is_multiple() => "JSON DEFAULT '[]' NOT NULL",
            _ => "TEXT DEFAULT '' NOT NULL",
        }
    }

    /// The zero value of this field in record JSON.
    pub fn zero_value(&self) -> Value {
        match &self.kind {
            FieldKind::Number { .. } => json!(0),
            FieldKind::Bool => json!(false),
            FieldKind::Json { .. } => Value::Null,
            FieldKind::GeoPoint => json!({"lon": 0, "lat": 0}),
            _ if self.is_multiple() => json!([]),
            _ => json!(""),
        }
    }
}

/// The keys every field JSON has.
const COMMON_KEYS: [&str; 8] = ["id", "name", "type", "system", "hidden", "presentable", "required", "help"];

/// The option keys of one field type.
fn type_options(ty: FieldType) -> &'static [&'static str] {
    match ty {
        FieldType::Text => &["min", "max", "pattern", "autogeneratePattern", "primaryKey"],
        FieldType::Number => &["min", "max", "onlyInt"],
        FieldType::Bool | FieldType::GeoPoint => &[],
        FieldType::Email | FieldType::Url => &["onlyDomains", "exceptDomains"],
        FieldType::Editor => &["maxSize", "convertURLs"],
        FieldType::Date => &["min", "max"],
        FieldType::Autodate => &["onCreate", "onUpdate"],
        FieldType::Select => &["values", "maxSelect"],
        FieldType::File => &["maxSelect", "maxSize", "mimeTypes", "thumbs", "protected"],
        FieldType::Relation => &["collectionId", "cascadeDelete", "minSelect", "maxSelect"],
        FieldType::Json => &["maxSize"],
        FieldType::Password => &["min", "max", "pattern", "cost"],
    }
}

/// PocketBase's default field id: type name + decimal CRC32 of the field name.
pub fn default_field_id(ty: FieldType, name: &str) -> String {
    format!("{}{}", ty.as_str(), crc32fast::hash(name.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ids_match_pocketbase() {
        assert_eq!(default_field_id(FieldType::Text, "id"), "text3208210256");
        assert_eq!(default_field_id(FieldType::Autodate, "created"), "autodate2990389176");
        assert_eq!(default_field_id(FieldType::Password, "password"), "password901924565");
    }

    #[test]
    fn field_json_roundtrip_keeps_options() {
        let src = json!({"name":"rel","type":"relation","collectionId":"abc","maxSelect":3,"cascadeDelete":true});
        let f = Field::from_json(&src).expect("valid field");
        assert!(f.is_multiple());
        let back = Field::from_json(&f.to_json()).expect("roundtrip");
        assert_eq!(f, back);
        assert_eq!(back.to_json()["collectionId"], "abc");
    }

    #[test]
    fn stored_nulls_read_as_empty_and_unknown_options_are_kept() {
        let src = json!({"id":"f1","name":"doc","type":"file","maxSelect":1,"mimeTypes":null,"thumbs":null,
            "futureOption":{"x":1}});
        let f = Field::from_json(&src).expect("valid field");
        let FieldKind::File { mime_types, thumbs, .. } = &f.kind else { panic!("file field") };
        assert!(mime_types.is_empty() && thumbs.is_empty());
        let back = f.to_json();
        assert_eq!(back["futureOption"], json!({"x": 1}));
        assert_eq!(back["mimeTypes"], json!([]));
    }

    #[test]
    fn unknown_type_is_rejected() {
        assert_eq!(
            Field::from_json(&json!({"name":"x","type":"nope"})),
            Err(FieldParseError::UnknownType("nope".into()))
        );
    }
}
