// `Collection` and its `fields` list as plain JS data in PocketBase's
// collection JSON shape, so hooks read and change them like in PocketBase
// (`c.listRule = ""`, `c.fields.getByName("title").required = true`). The
// Rust side converts the whole object when it is saved.

class FieldsList extends Array {
  // new FieldsList([field, …]); Array methods call it with a length
  constructor(data) {
    if (typeof data === "number") {
      super(data);
      return;
    }
    super();
    for (const f of data || []) {
      this.push(__pb.plainField(f));
    }
  }
  getByName(name) {
    return this.find((f) => f && f.name === name) || null;
  }
  getById(id) {
    return this.find((f) => f && f.id === id) || null;
  }
  fieldNames() {
    return this.map((f) => f.name);
  }
  // Replaces the field with the same id (or, when the new one has no id,
  // the same name, keeping its id) in place; appends the others.
  add(...fields) {
    for (const f of fields) {
      const plain = __pb.plainField(f);
      const i = this.__existing(plain);
      if (i >= 0) {
        this[i] = plain;
      } else {
        this.push(plain);
      }
    }
  }
  // Like add(), but inserts or moves the fields to `pos` (the end when past it).
  addAt(pos, ...fields) {
    for (const f of fields) {
      const plain = __pb.plainField(f);
      const i = this.__existing(plain);
      if (i >= 0) {
        this.splice(i, 1);
      }
      this.splice(Math.min(pos++, this.length), 0, plain);
    }
  }
  __existing(plain) {
    if (plain.id) {
      return this.findIndex((x) => x && x.id === plain.id);
    }
    const i = this.findIndex((x) => x && plain.name && x.name === plain.name);
    if (i >= 0) {
      plain.id = this[i].id;
    }
    return i;
  }
  removeByName(name) {
    const i = this.findIndex((f) => f && f.name === name);
    if (i >= 0) {
      this.splice(i, 1);
    }
  }
  removeById(id) {
    const i = this.findIndex((f) => f && f.id === id);
    if (i >= 0) {
      this.splice(i, 1);
    }
  }
}

__pb.plainField = function (f) {
  if (f == null || typeof f !== "object") {
    throw new TypeError("a field must be an object");
  }
  return Object.assign({}, f);
};

class Collection {
  constructor(data) {
    __pb.assignCollection(this, __native.collectionFromJson(data == null ? {} : data));
    // not stored yet: saving creates it, and refuses a taken id or name
    // (PocketBase's "new model"); a successful save clears the mark
    Object.defineProperty(this, "__pbNew", { value: true, writable: true, configurable: true });
  }
  isAuth() {
    return this.type === "auth";
  }
  isBase() {
    return this.type === "base";
  }
  isView() {
    return this.type === "view";
  }
  tableName() {
    return this.name;
  }
}

// Replaces the content of `target` with `json` (keeping object identity).
__pb.assignCollection = function (target, json) {
  delete target.__pbNew;
  for (const k of Object.keys(target)) {
    delete target[k];
  }
  Object.assign(target, json);
  target.fields = new FieldsList(json.fields || []);
  return target;
};

__pb.collectionFromJson = function (json) {
  return __pb.assignCollection(Object.create(Collection.prototype), json);
};

Object.assign(globalThis, { Collection, FieldsList });
