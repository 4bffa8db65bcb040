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

__pb.fieldClasses = {
  TextField: "text",
  NumberField: "number",
  BoolField: "bool",
  EmailField: "email",
  URLField: "url",
  EditorField: "editor",
  DateField: "date",
  AutodateField: "autodate",
  JSONField: "json",
  RelationField: "relation",
  SelectField: "select",
  FileField: "file",
  PasswordField: "password",
  GeoPointField: "geoPoint",
};

// PocketBase's zero values of each field type's options.
__pb.fieldDefaults = {
  "": { id: "", name: "", system: false, hidden: false, presentable: false, help: "" },
  text: { min: 0, max: 0, pattern: "", autogeneratePattern: "", required: false, primaryKey: false },
  number: { min: null, max: null, onlyInt: false, required: false },
  bool: { required: false },
  email: { exceptDomains: null, onlyDomains: null, required: false },
  url: { exceptDomains: null, onlyDomains: null, required: false },
  editor: { maxSize: 0, convertURLs: false, required: false },
  date: { min: "", max: "", required: false },
  autodate: { onCreate: false, onUpdate: false },
  json: { maxSize: 0, required: false },
  relation: { collectionId: "", cascadeDelete: false, minSelect: 0, maxSelect: 0, required: false },
  select: { values: null, maxSelect: 0, required: false },
  file: { maxSize: 0, maxSelect: 0, mimeTypes: null, thumbs: null, protected: false, required: false },
  password: { pattern: "", min: 0, max: 0, cost: 0, required: false },
  geoPoint: { required: false },
};

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

globalThis.Field = Field;
