// Field classes (`new TextField({name: "title", required: true})`): plain
// data in PocketBase's field JSON shape with the type filled in, ready for
// `collection.fields.add(...)` or `new Collection({fields: [...]})`.

class Field {
  constructor(data) {
    Object.assign(this, data || {});
  }
}

__pb.fieldClass = function (type) {
  return class extends Field {
    constructor(data) {
      super(Object.assign({ type: type }, data || {}));
      this.type = type;
    }
  };
};

const NumberField = __pb.fieldClass("number");
const BoolField = __pb.fieldClass("bool");
const TextField = __pb.fieldClass("text");
const URLField = __pb.fieldClass("url");
const EmailField = __pb.fieldClass("email");
const EditorField = __pb.fieldClass("editor");
const PasswordField = __pb.fieldClass("password");
const DateField = __pb.fieldClass("date");
const AutodateField = __pb.fieldClass("autodate");
const JSONField = __pb.fieldClass("json");
const RelationField = __pb.fieldClass("relation");
const SelectField = __pb.fieldClass("select");
const FileField = __pb.fieldClass("file");
const GeoPointField = __pb.fieldClass("geoPoint");

Object.assign(globalThis, {
  Field, NumberField, BoolField, TextField, URLField, EmailField, EditorField, PasswordField, DateField,
  AutodateField, JSONField, RelationField, SelectField, FileField, GeoPointField,
});
