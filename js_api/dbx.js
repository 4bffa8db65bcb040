// `$dbx` expressions as plain data ({__dbx: kind, …}) that the Rust side
// compiles to parametrised SQL (src/db/dbx.rs), and the record query
// builder on top of them: `$app.recordQuery(collection)`. (Raw queries,
// `$app.db().newQuery(...)`, are in app_extras.js; the `select()` builder
// of PocketBase's dbx is not provided.)

var $dbx = {
  exp(sql, params) { return { __dbx: "exp", sql: String(sql), params: params || {} }; },
  hashExp(pairs) { return { __dbx: "hash", pairs: pairs || {} }; },
  not(expr) { return { __dbx: "not", expr: expr }; },
  and(...exprs) { return { __dbx: "and", exprs: exprs.filter((e) => e != null) }; },
  or(...exprs) { return { __dbx: "or", exprs: exprs.filter((e) => e != null) }; },
  in(col, ...values) { return { __dbx: "in", col: String(col), values: values, not: false }; },
  notIn(col, ...values) { return { __dbx: "in", col: String(col), values: values, not: true }; },
  like(col, ...values) { return { __dbx: "like", col: String(col), values: values, not: false, or: false }; },
  notLike(col, ...values) { return { __dbx: "like", col: String(col), values: values, not: true, or: false }; },
  orLike(col, ...values) { return { __dbx: "like", col: String(col), values: values, not: false, or: true }; },
  orNotLike(col, ...values) { return { __dbx: "like", col: String(col), values: values, not: true, or: true }; },
  exists(expr) { return { __dbx: "exists", expr: expr, not: false }; },
  notExists(expr) { return { __dbx: "exists", expr: expr, not: true }; },
  between(col, from, to) { return { __dbx: "between", col: String(col), from: from, to: to, not: false }; },
  notBetween(col, from, to) { return { __dbx: "between", col: String(col), from: from, to: to, not: true }; },
};

class __PbRecordQuery {
  constructor(app, collection) {
    Object.defineProperty(this, "__s", {
      value: { app: app, collection: collection, where: [], order: [], limit: 0, offset: 0 },
    });
  }
  where(expr) { this.__s.where = expr ? [expr] : []; return this; }
  andWhere(expr) { if (expr) this.__s.where.push(expr); return this; }
  orWhere(expr) {
    if (expr) this.__s.where = [$dbx.or($dbx.and(...this.__s.where), expr)];
    return this;
  }
  orderBy(...cols) { this.__s.order = cols.map(String); return this; }
  andOrderBy(...cols) { this.__s.order.push(...cols.map(String)); return this; }
  limit(n) { this.__s.limit = Number(n) || 0; return this; }
  offset(n) { this.__s.offset = Number(n) || 0; return this; }
  __run(limit) {
    const s = this.__s;
    return __native.recordQuery(s.app, s.collection, { where: $dbx.and(...s.where), order: s.order, limit: limit, offset: s.offset });
  }
  all(records) {
    const list = this.__run(this.__s.limit);
    if (Array.isArray(records)) {
      records.length = 0;
      records.push(...list);
    }
    return list;
  }
  one(record) {
    const list = this.__run(1);
    if (!list.length) throw new NotFoundError();
    if (record instanceof Record) {
      record.__assign(list[0]);
      return record;
    }
    return list[0];
  }
}

__pb.newRecordQuery = function (app, collection) {
  return new __PbRecordQuery(app, collection);
};
