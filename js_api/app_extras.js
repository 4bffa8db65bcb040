// More of `$app` (and of any transaction-bound app a hook or a migration
// gets): `settings()` saved back with `app.save(settings)`, `db()` with
// `newQuery(sql).bind({...}).execute()/one()/all()`, `importCollections()`,
// and the global `unmarshal(data, dst)`. The app prototype is the Rust
// class's; methods it already has are left alone.

__pb.Settings = class Settings {
  constructor(data) {
    Object.assign(this, data || {});
  }
};

__pb.DbQuery = class DbQuery {
  constructor(app, sql, aux) {
    this.__app = app;
    this.__sql = String(sql);
    this.__params = {};
    // on auxiliary.db ($app.auxDB())
    this.__aux = !!aux;
  }
  __execute() {
    return (this.__aux ? __native.auxDbExecute : __native.dbExecute)(this.__app, this.__sql, this.__params);
  }
  // `limit` 0: all rows
  __query(limit) {
    return (this.__aux ? __native.auxDbQuery : __native.dbQuery)(this.__app, this.__sql, this.__params, limit || 0);
  }
  bind(params) {
    Object.assign(this.__params, params || {});
    return this;
  }
  // PocketBase returns Go's sql.Result: `rowsAffected()`, `lastInsertId()`.
  execute() {
    const r = this.__execute();
    return { rowsAffected: () => r.rowsAffected, lastInsertId: () => r.lastInsertId };
  }
  // Fills `model` (a DynamicModel gets its shape's types) with the first
  // row's columns (returns the row when no model is given); no row is
  // PocketBase's "no rows" error, a 404 in a route.
  one(model) {
    const rows = this.__query(1);
    if (rows.length === 0) {
      throw new NotFoundError();
    }
    if (model != null && typeof model === "object") {
      return __pb.fillModel(model, rows[0]);
    }
    return rows[0];
  }
  // Replaces the items of `models` with the rows (returns the rows); an
  // `arrayOf(new DynamicModel({...}))` gets typed models.
  all(models) {
    const rows = this.__query();
    if (Array.isArray(models)) {
      const template = models.__pbModel;
      models.length = 0;
      for (const r of rows) {
        models.push(template ? __pb.fillModel(__pb.newModelLike(template), r) : r);
      }
      return models;
    }
    return rows;
  }
};

__pb.DbBuilder = class DbBuilder {
  constructor(app, aux) {
    this.__app = app;
    this.__aux = !!aux;
  }
  newQuery(sql) {
    return new __pb.DbQuery(this.__app, sql, this.__aux);
  }
  // dbx's select builder: `select("id", "title").from("posts").andWhere($dbx.hashExp({...})).all()`.
  select(...cols) {
    return new __pb.SelectQuery(this.__app, this.__aux, null).select(...cols);
  }
};

(function (proto) {
  const define = (name, fn) => {
    if (!(name in proto)) {
      Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
    }
  };
  define("settings", function () {
    return new __pb.Settings(__native.appSettings(this));
  });
  define("db", function () {
    return new __pb.DbBuilder(this);
  });
  define("importCollections", function (collections, deleteMissing) {
    __native.importCollections(this, collections, !!deleteMissing);
  });
  for (const name of ["save", "saveNoValidate"]) {
    const save = proto[name];
    Object.defineProperty(proto, name, {
      value: function (model) {
        if (model instanceof __pb.Settings) {
          return __native.saveSettings(this, model);
        }
        return save.call(this, model);
      },
      writable: true,
      configurable: true,
    });
  }
})(Object.getPrototypeOf($app));

// Deep-merges plain objects (like decoding JSON into a Go struct); arrays
// and other values are replaced by copies.
__pb.mergeInto = function (dst, src) {
  for (const k of Object.keys(src)) {
    const v = src[k];
    const cur = dst[k];
    const plain = (x) => x !== null && typeof x === "object" && !Array.isArray(x);
    if (plain(v) && plain(cur)) {
      __pb.mergeInto(cur, v);
    } else {
      dst[k] = v === undefined ? v : JSON.parse(JSON.stringify(v));
    }
  }
};

// `unmarshal(data, dst)`: loads JSON data (an object, a JSON string or its
// bytes) into a model: a Record gets its fields set, a Collection its
// properties (`fields` replaced as a whole), any other object is merged.
function unmarshal(data, dst) {
  if (dst === null || typeof dst !== "object") {
    throw new TypeError("unmarshal: the destination must be an object");
  }
  if (typeof data === "string") {
    data = JSON.parse(data);
  } else if (Array.isArray(data) && data.every((b) => typeof b === "number")) {
    data = JSON.parse(toString(data));
  }
  if (data === null || typeof data !== "object") {
    throw new TypeError("unmarshal: the data must be an object");
  }
  if (dst instanceof Record) {
    dst.load(data);
    return;
  }
  __pb.mergeInto(dst, data);
  if (dst instanceof Collection) {
    dst.fields = FieldsList.from(dst.fields || []);
  }
}

globalThis.unmarshal = unmarshal;
