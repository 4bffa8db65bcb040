// Field constructors: `new Field({...})` (type given in the data) and the
// typed ones (`new TextField({...})`, `new RelationField({...})`, …), as
// data in PocketBase's field JSON shape plus PocketBase's field methods
// (getName/setName, columnType, isMultiple, prepareValue, findSetter, …).
// `collection.fields` holds instances of the typed classes; the Rust side
// reads their own properties (the JSON) and validates them on save.
// Options a field was not given read as PocketBase's zero values (kept on
// the prototype, so they are not sent back unless set).

class Field {
  constructor(data) {
    if (data != null) {
      Object.assign(this, data);
    }
  }
  getId() { return this.id; }
  setId(id) { this.id = String(id); }
  getName() { return this.name; }
  setName(name) { this.name = String(name); }
  getSystem() { return !!this.system; }
  setSystem(system) { this.system = !!system; }
  getHidden() { return !!this.hidden; }
  setHidden(hidden) { this.hidden = !!hidden; }
  // relation, select and file fields with maxSelect > 1 hold lists
  isMultiple() {
    return ["relation", "select", "file"].includes(this.type) && Number(this.maxSelect) > 1;
  }
  // The SQLite column definition PocketBase uses for this field.
  columnType(app) {
    switch (this.type) {
      case "text":
        return this.primaryKey ? "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL" : "TEXT DEFAULT '' NOT NULL";
      case "number": return "NUMERIC DEFAULT 0 NOT NULL";
      case "bool": return "BOOLEAN DEFAULT FALSE NOT NULL";
      case "json": return "JSON DEFAULT NULL";
      case "geoPoint": return `JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`;
      case "relation": case "select": case "file":
        return this.isMultiple() ? "JSON DEFAULT '[]' NOT NULL" : "TEXT DEFAULT '' NOT NULL";
      default: return "TEXT DEFAULT '' NOT NULL";
    }
  }
  // The value as the record would store it (a password is hashed, a
  // multi-value field becomes a list, a number a number …).
  prepareValue(record, raw) {
    return __native.fieldPrepareValue(JSON.parse(JSON.stringify(this)), raw);
  }
  // Throws a ValidationError (`code`, `message`) when the record's value of
  // this field breaks the field's options (required, min/max, pattern,
  // values, maxSelect, …); `ctx` and `app` are accepted for PocketBase's
  // signature.
  validateValue(ctx, app, record) {
    const plain = this.type === "password" ? record.__plainPassword(this.name) : null;
    __pb.throwFieldError(__native.fieldValidateValue(__pb.fieldData(this), record.getRaw(this.name), plain));
  }
  // Throws a validation error (keyed by option) when the field's settings
  // are invalid in `collection` (which it is added to for the check if it
  // is not one of its fields).
  validateSettings(ctx, app, collection) {
    const copy = new Collection(JSON.parse(JSON.stringify(collection)));
    if (collection.__pbNew) Object.defineProperty(copy, "__pbNew", { value: true, writable: true, configurable: true });
    let index = copy.fields.findIndex((f) => (this.id && f.id === this.id) || f.name === this.name);
    if (index < 0) {
      copy.fields.push(this);
      index = copy.fields.length - 1;
    } else {
      copy.fields[index] = this;
    }
    __native.fieldValidateSettings(app || $app, copy, index);
  }
  // The value the record's row stores for this field, normalised (a list
  // for a multi-value field, stored as JSON).
  driverValue(record) {
    return this.prepareValue(record, record.getRaw(this.name));
  }
  // Runs `actionFunc` for a record action ("validate", "create", "update",
  // "delete", …); a text field with an autogenerate pattern fills an empty
  // value of a new record first.
  intercept(ctx, app, record, actionName, actionFunc) {
    if (this.type === "text" && this.autogeneratePattern && (actionName === "validate" || actionName === "create") &&
        record.isNew() && !record.getRaw(this.name)) {
      record.setRaw(this.name, $security.randomStringByRegex(this.autogeneratePattern));
    }
    return actionFunc();
  }
  // The record setter of `key`: the field name itself, and `name+`,
  // `+name`, `name-` modifiers for number and multi-value fields; null
  // for another key.
  findSetter(key) {
    const name = this.name;
    const modifiers = this.type === "number" || this.isMultiple() ? [name + "+", "+" + name, name + "-"] : [];
    if (key !== name && !modifiers.includes(key)) return null;
    return (record, raw) => record.set(key, raw);
  }
}

// The field's own data (its JSON), for the Rust side.
__pb.fieldData = function (field) {
  return JSON.parse(JSON.stringify(field));
};

__pb.throwFieldError = function (err) {
  if (err) {
    const e = new ValidationError(err.code, __pb.fieldErrorMessage(err));
    if (err.params) e.params = err.params;
    throw e;
  }
};

// PocketBase's messages with their `{{.param}}` placeholders filled.
__pb.fieldErrorMessage = function (err) {
  return String(err.message || "").replace(/\{\{\s*\.(\w+)\s*\}\}/g, (m, k) => (err.params && k in err.params ? String(err.params[k]) : m));
};

// The classes (`{TextField: "text", …}`) and PocketBase's zero values of
// each type's options (`""`: every field's), from the field table
// (src/jsvm/bindings/field_table.rs).
__pb.fieldClasses = __native.fieldClasses;
__pb.fieldDefaults = __native.fieldDefaults;

for (const [k, v] of Object.entries(__pb.fieldDefaults[""])) {
  Object.defineProperty(Field.prototype, k, { value: v, writable: true, enumerable: false, configurable: true });
}

__pb.fieldClassByType = {};

for (const [name, type] of Object.entries(__pb.fieldClasses)) {
  // a computed class name so stack traces and `constructor.name` read well
  const cls = {
    [name]: class extends Field {
      constructor(data) {
        super(data);
        this.type = type;
      }
    },
  }[name];
  for (const [k, v] of Object.entries(__pb.fieldDefaults[type] || {})) {
    Object.defineProperty(cls.prototype, k, { value: v, writable: true, enumerable: false, configurable: true });
  }
  __pb.fieldClassByType[type] = cls;
  globalThis[name] = cls;
}

// TextField.validatePlainValue(value): the checks of a text value
// (required for a primary key too) without a record.
__pb.fieldClassByType.text.prototype.validatePlainValue = function (value) {
  const data = __pb.fieldData(this);
  if (data.primaryKey) data.required = true;
  const err = __native.fieldValidateValue(data, String(value == null ? "" : value));
  // (PocketBase's plain check reports a blank value in ozzo's words)
  if (err && err.code === "validation_required") err.message = "cannot be blank";
  __pb.throwFieldError(err);
};

globalThis.Field = Field;
