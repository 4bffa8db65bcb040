// Field constructors: `new Field({...})` (type given in the data) and the
// typed ones (`new TextField({...})`, `new RelationField({...})`, …), as
// plain data in PocketBase's field JSON shape. `collection.fields.add()`
// copies them into the list; the Rust side validates them on save.

class Field {
  constructor(data) {
    if (data != null) {
      Object.assign(this, data);
    }
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

for (const [name, type] of Object.entries(__pb.fieldClasses)) {
  // a computed class name so stack traces and `constructor.name` read well
  globalThis[name] = {
    [name]: class extends Field {
      constructor(data) {
        super(data);
        this.type = type;
      }
    },
  }[name];
}

globalThis.Field = Field;
