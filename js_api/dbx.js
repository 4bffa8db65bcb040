// `$dbx` expressions as plain data ({__dbx: kind, …}) that the Rust side
// compiles to parametrised SQL (src/db/dbx.rs), and dbx's select builder on
// top of them (`__pb.SelectQuery`): `$app.db().select(...)`,
// `$app.recordQuery(collection)`, `collectionQuery()`, `logQuery()`,
// `modelQuery(model)` and `auxModelQuery(model)`. The builder keeps its
// parts; `build()` has the Rust side write the statement
// (src/jsvm/bindings/db.rs `buildSelect`) and gives a raw query
// (app_extras.js `DbQuery`). Raw queries: `$app.db().newQuery(...)`.
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


// What the rows of a select builder become: `null` plain rows, `{record:
// collection}` records, `"collections"` Collection models, `"logs"` logs.
__pb.SelectQuery = class SelectQuery {
  constructor(app, aux, kind) {
    Object.defineProperty(this, "__s", {
      value: {
        app: app, aux: !!aux, kind: kind || null, columns: [], from: [], joins: [], where: [], groupBy: [],
        having: [], orderBy: [], limit: -1, offset: 0, distinct: false, selectOption: "", pre: "", post: "",
        params: {}, custom: false,
      },
    });
  }
  // parts a record query's fast path (one indexed records read) cannot take
  __custom() { this.__s.custom = true; return this; }
  select(...cols) { this.__s.columns = cols.map(String); return this.__custom(); }
  andSelect(...cols) { this.__s.columns.push(...cols.map(String)); return this.__custom(); }
  distinct(v) { this.__s.distinct = v === undefined ? true : !!v; return this.__custom(); }
  selectOption(option) { this.__s.selectOption = String(option || ""); return this.__custom(); }
  from(...tables) { this.__s.from = tables.map(String); return this.__custom(); }
  where(expr) { this.__s.where = expr ? [expr] : []; return this; }
  andWhere(expr) { if (expr) this.__s.where.push(expr); return this; }
  orWhere(expr) {
    if (expr) this.__s.where = this.__s.where.length ? [$dbx.or($dbx.and(...this.__s.where), expr)] : [expr];
    return this;
  }
  join(type, table, on) {
    this.__s.joins.push({ type: String(type || "JOIN"), table: String(table), on: on || null });
    return this.__custom();
  }
  innerJoin(table, on) { return this.join("INNER JOIN", table, on); }
  leftJoin(table, on) { return this.join("LEFT JOIN", table, on); }
  rightJoin(table, on) { return this.join("RIGHT JOIN", table, on); }
  orderBy(...cols) { this.__s.orderBy = cols.map(String); return this; }
  andOrderBy(...cols) { this.__s.orderBy.push(...cols.map(String)); return this; }
  groupBy(...cols) { this.__s.groupBy = cols.map(String); return this.__custom(); }
  andGroupBy(...cols) { this.__s.groupBy.push(...cols.map(String)); return this.__custom(); }
  having(expr) { this.__s.having = expr ? [expr] : []; return this.__custom(); }
  andHaving(expr) { if (expr) this.__s.having.push(expr); return this.__custom(); }
  orHaving(expr) {
    if (expr) this.__s.having = this.__s.having.length ? [$dbx.or($dbx.and(...this.__s.having), expr)] : [expr];
    return this.__custom();
  }
  limit(n) { this.__s.limit = Number(n); if (!Number.isFinite(this.__s.limit)) this.__s.limit = -1; return this; }
  offset(n) { this.__s.offset = Number(n) || 0; return this; }
  bind(params) { this.__s.params = Object.assign({}, params || {}); return this.__custom(); }
  andBind(params) { Object.assign(this.__s.params, params || {}); return this.__custom(); }
  preFragment(fragment) { this.__s.pre = String(fragment || ""); return this.__custom(); }
  postFragment(fragment) { this.__s.post = String(fragment || ""); return this.__custom(); }
  // `ctx` (a Go context.Context in PocketBase) is accepted and ignored:
  // the handler's time budget and the query timeout bound every query.
  withContext(ctx) { return this; }
  context() { return null; }
  // The raw query of the builder: `build().execute()`, `.all()`, `.one()`.
  build() {
    const s = this.__s;
    const where = s.where.length ? $dbx.and(...s.where) : null;
    const having = s.having.length ? $dbx.and(...s.having) : null;
    const built = __native.buildSelect({
      distinct: s.distinct, selectOption: s.selectOption, columns: s.columns, from: s.from, joins: s.joins,
      where: where, groupBy: s.groupBy, having: having, orderBy: s.orderBy, limit: s.limit, offset: s.offset,
      pre: s.pre, post: s.post,
    });
    return new __pb.DbQuery(s.app, built.sql, s.aux).bind(s.params).bind(built.params);
  }
  // The rows as this builder's models.
  __rows(limit) {
    const s = this.__s;
    const record = s.kind && s.kind.record;
    if (record && !s.custom) {
      if (s.limit === 0) return [];
      const lim = limit === 1 ? 1 : s.limit < 0 ? 0 : s.limit;
      return __native.recordQuery(s.app, record, { where: $dbx.and(...s.where), order: s.orderBy, limit: lim, offset: s.offset });
    }
    if (s.limit === 0) return [];
    const q = limit === 1 ? this.__limitOne() : this;
    const rows = q.build().all();
    if (record) {
      const ids = rows.map((r) => r.id).filter((id) => id != null).map(String);
      const byId = new Map(s.app.findRecordsByIds(record, ids).map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id)).filter((r) => r !== undefined);
    }
    if (s.kind === "collections") {
      return rows.map((r) => s.app.findCollectionByNameOrId(String(r.id)));
    }
    if (s.kind === "logs") {
      return rows.map((r) => new __pb.Log(r));
    }
    return rows;
  }
  // All rows; with an array, its items are replaced by them (typed models
  // for `arrayOf(new DynamicModel({...}))`).
  all(models) {
    if (this.__s.kind === null) {
      return this.build().all(models);
    }
    const list = this.__rows();
    if (Array.isArray(models)) {
      models.length = 0;
      models.push(...list);
    }
    return list;
  }
  // The first row (a "no rows" NotFoundError without one); with a model it
  // is filled in place.
  one(model) {
    if (this.__s.kind === null) {
      return this.__limitOne().build().one(model);
    }
    const list = this.__rows(1);
    if (!list.length) throw new NotFoundError();
    if (model instanceof Record && list[0] instanceof Record) {
      model.__assign(list[0]);
      return model;
    }
    if (model != null && typeof model === "object" && !(model instanceof Record)) {
      Object.assign(model, list[0]);
      return model;
    }
    return list[0];
  }
  __limitOne() {
    const q = Object.create(Object.getPrototypeOf(this));
    Object.defineProperty(q, "__s", { value: Object.assign({}, this.__s, { limit: this.__s.limit === 0 ? 0 : 1 }) });
    return q;
  }
  // The values of the first column of every row.
  column() {
    return this.build().all().map((r) => r[Object.keys(r)[0]]);
  }
  // The first row as a plain object (no row: NotFoundError).
  row() {
    return this.__limitOne().build().one();
  }
};

// A `_logs` row (auxiliary.db): `logQuery()` results, `auxSave`/`auxDelete`.
__pb.Log = class Log {
  constructor(row) {
    row = row || {};
    this.id = row.id == null ? "" : String(row.id);
    this.created = row.created || "";
    this.level = Number(row.level) || 0;
    this.message = row.message == null ? "" : String(row.message);
    let data = row.data;
    if (typeof data === "string") {
      try { data = JSON.parse(data); } catch (_) { data = {}; }
    }
    this.data = data && typeof data === "object" ? data : {};
  }
  tableName() { return "_logs"; }
  pk() { return this.id; }
  isNew() { return this.id === ""; }
};

__pb.newRecordQuery = function (app, collection) {
  const c = typeof collection === "string" ? app.findCollectionByNameOrId(collection) : collection;
  const q = new __pb.SelectQuery(app, false, { record: c });
  q.__s.columns = ["{{" + c.name + "}}.*"];
  q.__s.from = [c.name];
  return q;
};
