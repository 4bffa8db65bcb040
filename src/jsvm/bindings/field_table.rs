//! The one declaration of the field classes of the JS API (`TextField`,
//! `RelationField`, …): class name, field type, doc comment and each
//! option with its TypeScript type, zero value and doc comment. From this
//! table come the classes' option defaults in every runtime
//! (`__native.fieldClasses` / `__native.fieldDefaults`, read by
//! `js_api/fields.js`) and their typings (`core.XField` interfaces and the
//! global classes, [`crate::jsvm::typings`]). Adding a field type or an
//! option is one entry here (plus its validation in the core).

use serde_json::{Map, Value};

/// One option of a field type.
pub struct FieldOption {
    pub name: &'static str,
    /// Its TypeScript type.
    pub ts: &'static str,
    /// PocketBase's zero value, as JSON text.
    pub zero: &'static str,
    pub doc: &'static str,
}

/// One field class.
pub struct FieldClass {
    /// The global class (`TextField`).
    pub class: &'static str,
    /// The field JSON's `type` (`text`).
    pub kind: &'static str,
    pub doc: &'static str,
    pub options: &'static [FieldOption],
    /// TypeScript members of this class only (methods its JS adds).
    pub extra_ts: &'static str,
}

macro_rules! opt {
    ($name:literal: $ts:literal = $zero:literal, $doc:literal) => {
        FieldOption { name: $name, ts: $ts, zero: $zero, doc: $doc }
    };
}

const REQUIRED: FieldOption = opt!("required": "boolean" = "false", "Whether a blank value fails validation.");

/// Options every field has.
pub static COMMON: &[FieldOption] = &[
    opt!("id": "string" = "\"\"", "The field id (generated on save when empty)."),
    opt!("name": "string" = "\"\"", "The field (and column) name."),
    opt!("system": "boolean" = "false", "System fields cannot be renamed or deleted."),
    opt!("hidden": "boolean" = "false", "Hidden fields are left out of API answers (superusers see them)."),
    opt!("presentable": "boolean" = "false", "A hint for the dashboard's relation previews."),
    opt!("help": "string" = "\"\"", "A help text shown in the dashboard."),
];

/// Every field class, in PocketBase's order.
pub static FIELD_CLASSES: &[FieldClass] = &[
    FieldClass {
        class: "TextField",
        kind: "text",
        doc: "A text field (`TEXT` column); the `id` field is one with `primaryKey`.",
        options: &[
            opt!("min": "number" = "0", "Minimum length in characters (0: none)."),
            opt!("max": "number" = "0", "Maximum length in characters (0: 5000)."),
            opt!("pattern": "string" = "\"\"", "A regular expression non-empty values must match."),
            opt!("autogeneratePattern": "string" = "\"\"", "A regex-like pattern a new record's empty value is generated from."),
            REQUIRED,
            opt!("primaryKey": "boolean" = "false", "The record id field."),
        ],
        extra_ts: "    /** Throws a `ValidationError` when `value` breaks the field's options (required also for a primary key). */\n    validatePlainValue(value: string): void;\n",
    },
    FieldClass {
        class: "NumberField",
        kind: "number",
        doc: "A number field (`NUMERIC` column).",
        options: &[
            opt!("min": "number | null" = "null", "Smallest allowed value (null: none)."),
            opt!("max": "number | null" = "null", "Largest allowed value (null: none)."),
            opt!("onlyInt": "boolean" = "false", "Whether only integers are allowed."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass { class: "BoolField", kind: "bool", doc: "A boolean field.", options: &[REQUIRED], extra_ts: "" },
    FieldClass {
        class: "EmailField",
        kind: "email",
        doc: "An email address field.",
        options: &[
            opt!("exceptDomains": "string[] | null" = "null", "Domains not allowed."),
            opt!("onlyDomains": "string[] | null" = "null", "The only domains allowed."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "URLField",
        kind: "url",
        doc: "A URL field.",
        options: &[
            opt!("exceptDomains": "string[] | null" = "null", "Domains not allowed."),
            opt!("onlyDomains": "string[] | null" = "null", "The only domains allowed."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "EditorField",
        kind: "editor",
        doc: "A rich text (HTML) field.",
        options: &[
            opt!("maxSize": "number" = "0", "Maximum size in bytes (0: 5 MB)."),
            opt!("convertURLs": "boolean" = "false", "Whether the dashboard editor rewrites URLs as relative."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "DateField",
        kind: "date",
        doc: "A date field (`YYYY-MM-DD HH:MM:SS.SSSZ` text).",
        options: &[
            opt!("min": "string" = "\"\"", "Earliest allowed date (\"\": none)."),
            opt!("max": "string" = "\"\"", "Latest allowed date (\"\": none)."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "AutodateField",
        kind: "autodate",
        doc: "A date set automatically on create and/or update.",
        options: &[
            opt!("onCreate": "boolean" = "false", "Set when the record is created."),
            opt!("onUpdate": "boolean" = "false", "Set each time the record is updated."),
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "JSONField",
        kind: "json",
        doc: "A JSON value field.",
        options: &[opt!("maxSize": "number" = "0", "Maximum size of the JSON text in bytes (0: 1 MB)."), REQUIRED],
        extra_ts: "",
    },
    FieldClass {
        class: "RelationField",
        kind: "relation",
        doc: "Ids of records of another collection.",
        options: &[
            opt!("collectionId": "string" = "\"\"", "The id of the related collection."),
            opt!("cascadeDelete": "boolean" = "false", "Whether deleting a related record deletes this one (or removes the id)."),
            opt!("minSelect": "number" = "0", "Fewest ids allowed."),
            opt!("maxSelect": "number" = "0", "Most ids allowed (above 1: a list)."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "SelectField",
        kind: "select",
        doc: "One or more values from a fixed list.",
        options: &[
            opt!("values": "string[] | null" = "null", "The allowed values."),
            opt!("maxSelect": "number" = "0", "Most values allowed (above 1: a list)."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "FileField",
        kind: "file",
        doc: "Names of files stored with the record.",
        options: &[
            opt!("maxSize": "number" = "0", "Maximum size of one file in bytes (0: 5 MB)."),
            opt!("maxSelect": "number" = "0", "Most files allowed (above 1: a list)."),
            opt!("mimeTypes": "string[] | null" = "null", "The allowed MIME types (none: any)."),
            opt!("thumbs": "string[] | null" = "null", "Thumb sizes served besides the defaults (`100x100`, `0x50`, …)."),
            opt!("protected": "boolean" = "false", "Whether downloads need a file token."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "PasswordField",
        kind: "password",
        doc: "A password (stored as a bcrypt hash, never sent).",
        options: &[
            opt!("pattern": "string" = "\"\"", "A regular expression the plain password must match."),
            opt!("min": "number" = "0", "Minimum length."),
            opt!("max": "number" = "0", "Maximum length (0: 71)."),
            opt!("cost": "number" = "0", "The bcrypt cost (0: 10)."),
            REQUIRED,
        ],
        extra_ts: "",
    },
    FieldClass {
        class: "GeoPointField",
        kind: "geoPoint",
        doc: "A `{lon, lat}` point.",
        options: &[REQUIRED],
        extra_ts: "",
    },
];

fn zeros(options: &[FieldOption]) -> Value {
    let mut m = Map::new();
    for o in options {
        m.insert(o.name.into(), serde_json::from_str(o.zero).unwrap_or(Value::Null));
    }
    Value::Object(m)
}

/// `{TextField: "text", …}`.
pub fn classes_json() -> Value {
    Value::Object(FIELD_CLASSES.iter().map(|c| (c.class.to_string(), Value::String(c.kind.into()))).collect())
}

/// The zero values of the options by type (`""`: the common ones).
pub fn defaults_json() -> Value {
    let mut m = Map::new();
    m.insert(String::new(), zeros(COMMON));
    for c in FIELD_CLASSES {
        m.insert(c.kind.into(), zeros(c.options));
    }
    Value::Object(m)
}

/// The `core.XField` interfaces (inside `declare namespace core`).
pub fn core_interfaces_ts() -> String {
    let mut out = String::new();
    for c in FIELD_CLASSES {
        out.push_str(&format!("  /** {} */\n  interface {} extends Field {{\n", c.doc, c.class));
        for o in c.options.iter().filter(|o| o.name != "required") {
            out.push_str(&format!("    /** {} */\n    {}?: {};\n", o.doc, o.name, o.ts));
        }
        out.push_str(c.extra_ts);
        out.push_str("  }\n");
    }
    out
}

/// The global classes (`new TextField({...})`).
pub fn global_classes_ts() -> String {
    let mut out = String::new();
    for c in FIELD_CLASSES {
        out.push_str(&format!(
            "interface {0} extends core.{0} {{}}\n/** `new {0}({{name, ...options}})`: {1} */\ndeclare class {0} implements core.{0} {{ constructor(data?: Partial<core.{0}>) }}\n",
            c.class, c.doc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_values_are_json_and_names_unique() {
        let mut classes = std::collections::BTreeSet::new();
        for c in FIELD_CLASSES {
            assert!(classes.insert(c.class) && c.class.ends_with("Field"), "{}", c.class);
            for o in c.options.iter().chain(COMMON) {
                assert!(serde_json::from_str::<Value>(o.zero).is_ok(), "{}.{}", c.class, o.name);
            }
        }
        assert_eq!(FIELD_CLASSES.len(), 14);
    }
}
