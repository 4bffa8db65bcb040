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

// A copy of a field as an instance of its typed class (TextField, …).
__pb.plainField = function (f) {
  if (f == null || typeof f !== "object") {
    throw new TypeError("a field must be an object");
  }
  const cls = (typeof __pb.fieldClassByType === "object" && __pb.fieldClassByType[f.type]) || null;
  const copy = cls ? Object.create(cls.prototype) : {};
  return Object.assign(copy, f);
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
  // `collectionId`: where the collection's files are stored.
  baseFilesPath() {
    return this.id;
  }
  pk() {
    return this.id;
  }
  isNew() {
    return this.__pbNew === true;
  }
  // A new collection is created when saved (its id must be free).
  markAsNew() {
    Object.defineProperty(this, "__pbNew", { value: true, writable: true, configurable: true });
  }
  markAsNotNew() {
    delete this.__pbNew;
  }
  // The id it was last saved with ("" when new).
  lastSavedPK() {
    return this.isNew() ? "" : this.id;
  }
  // The index with this name (case-insensitive), "" when none.
  getIndex(name) {
    const want = String(name).toLowerCase();
    return (this.indexes || []).find((idx) => __pb.indexName(idx).toLowerCase() === want) || "";
  }
  // Adds (or replaces the index with the same name) `CREATE [UNIQUE]
  // INDEX name ON collection (columnsExpr) [WHERE optWhereExpr]`.
  addIndex(name, unique, columnsExpr, optWhereExpr) {
    this.removeIndex(name);
    let idx = "CREATE " + (unique ? "UNIQUE " : "") + "INDEX `" + name + "` ON `" + this.name + "` (" + columnsExpr + ")";
    if (optWhereExpr) idx += " WHERE " + optWhereExpr;
    this.indexes = (this.indexes || []).concat([idx]);
  }
  removeIndex(name) {
    const want = String(name).toLowerCase();
    const list = this.indexes || [];
    const i = list.findIndex((idx) => __pb.indexName(idx).toLowerCase() === want);
    if (i >= 0) {
      this.indexes = list.slice(0, i).concat(list.slice(i + 1));
    }
  }
  // The collection JSON as bytes / as text; unmarshalJSON loads it back.
  marshalJSON() {
    return toBytes(JSON.stringify(this));
  }
  unmarshalJSON(data) {
    unmarshal(data, this);
  }
  string() {
    return JSON.stringify(this);
  }
  // The `_collections` row saving it writes: fields, indexes and the type
  // options (`options`) as JSON values.
  dbExport(app) {
    return __native.collectionDbExport(app || $app, this);
  }
  // The type options as stored in `_collections.options` (raw JSON bytes:
  // `{}` for base, `{viewQuery}` for view, the auth options for auth).
  rawOptions() {
    return __native.collectionRawOptions($app, this);
  }
  // Normalises the collection as if it had just been read from the
  // database (options and fields in their typed form).
  postScan() {
    const fresh = __native.collectionFromJson(JSON.parse(JSON.stringify(this)));
    const isNew = this.__pbNew;
    __pb.assignCollection(this, fresh);
    if (isNew) Object.defineProperty(this, "__pbNew", { value: true, writable: true, configurable: true });
  }
}

// The name of a `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON …` statement.
__pb.indexName = function (sql) {
  const m = /^\s*create\s+(?:unique\s+)?index\s+(?:if\s+not\s+exists\s+)?(?:[`"'\[]?\w+[`"'\]]?\.)?[`"'\[]?([^`"'\]\s(]+)/i.exec(String(sql));
  return m ? m[1] : "";
};

// The options of auth and view collections read as PocketBase's zero
// values on collections of another type; setting one stores it.
__pb.collectionOptionDefaults = {
  viewQuery: () => "",
  authRule: () => null,
  manageRule: () => null,
  authAlert: () => ({ enabled: false, emailTemplate: { subject: "", body: "" } }),
  oauth2: () => ({ enabled: false, mappedFields: { id: "", name: "", username: "", avatarURL: "" }, providers: [] }),
  passwordAuth: () => ({ enabled: false, identityFields: [] }),
  mfa: () => ({ enabled: false, duration: 0, rule: "" }),
  otp: () => ({ enabled: false, duration: 0, length: 0, emailTemplate: { subject: "", body: "" } }),
  authToken: () => ({ duration: 0 }),
  passwordResetToken: () => ({ duration: 0 }),
  emailChangeToken: () => ({ duration: 0 }),
  verificationToken: () => ({ duration: 0 }),
  fileToken: () => ({ duration: 0 }),
  verificationTemplate: () => ({ subject: "", body: "" }),
  resetPasswordTemplate: () => ({ subject: "", body: "" }),
  confirmEmailChangeTemplate: () => ({ subject: "", body: "" }),
};
for (const [key, zero] of Object.entries(__pb.collectionOptionDefaults)) {
  Object.defineProperty(Collection.prototype, key, {
    get: zero,
    set(v) {
      Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
    },
    configurable: true,
  });
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
