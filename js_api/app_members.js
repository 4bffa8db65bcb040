// More members of `$app` written over the others: the `*WithContext`
// variants, table and view helpers over `db()`, the finders and deletes of
// the auth reference collections (`_mfas`, `_otps`, `_externalAuths`,
// `_authOrigins`), collection references and name checks. Each behaves like
// PocketBase's method of the same name.

__pb.newFieldsList = function (fields) {
  return new FieldsList(fields || []);
};

(function (proto) {
  const define = (name, fn) => {
    if (!(name in proto)) {
      Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
    }
  };

  // `ctx` (a Go context.Context in PocketBase) is accepted and ignored:
  // Ferrobase cancels through the handler's time budget instead.
  define("saveWithContext", function (ctx, model) { return this.save(model); });
  define("saveNoValidateWithContext", function (ctx, model) { return this.saveNoValidate(model); });
  define("deleteWithContext", function (ctx, model) { return this.delete(model); });
  define("validateWithContext", function (ctx, model) { return this.validate(model); });

  // The data.db builder under its other PocketBase names (one database
  // handle serves both here).
  define("concurrentDB", function () { return this.db(); });
  define("nonconcurrentDB", function () { return this.db(); });

  // Whether a table or view exists (name compared case-insensitively).
  define("hasTable", function (tableName) {
    try {
      const rows = this.db()
        .newQuery("SELECT 1 AS found FROM sqlite_schema WHERE type IN ('table', 'view') AND LOWER(name) = LOWER({:t}) LIMIT 1")
        .bind({ t: String(tableName) })
        .all();
      return rows.length > 0;
    } catch (_) {
      return false;
    }
  });

  // The column names of a table (`[]` for a missing one).
  define("tableColumns", function (tableName) {
    return this.db()
      .newQuery("SELECT name FROM PRAGMA_TABLE_INFO({:t})")
      .bind({ t: String(tableName) })
      .all()
      .map((r) => r.name);
  });

  // PRAGMA table_info rows as `{pk, index, name, type, notNull,
  // defaultValue: {string, valid}}`; a missing table is an error.
  define("tableInfo", function (tableName) {
    const rows = this.db()
      .newQuery("SELECT * FROM PRAGMA_TABLE_INFO({:t})")
      .bind({ t: String(tableName) })
      .all();
    if (rows.length === 0) {
      throw new Error("empty table info probably due to invalid or missing table " + tableName);
    }
    return rows.map((r) => ({
      pk: Number(r.pk) || 0,
      index: Number(r.cid) || 0,
      name: r.name,
      type: r.type,
      notNull: !!r.notnull,
      defaultValue: { string: r.dflt_value == null ? "" : String(r.dflt_value), valid: r.dflt_value != null },
    }));
  });

  // `{indexName: createSql}` of a table's indexes (`{}` for a missing table).
  define("tableIndexes", function (tableName) {
    const out = {};
    const rows = this.db()
      .newQuery("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND type = 'index' AND tbl_name = {:t}")
      .bind({ t: String(tableName) })
      .all();
    for (const r of rows) {
      out[r.name] = r.sql;
    }
    return out;
  });

  // Unsafe by design (the name is not escaped), like PocketBase's: pass
  // trusted names only.
  define("deleteTable", function (dangerousTableName) {
    this.db().newQuery("DROP TABLE IF EXISTS `" + dangerousTableName + "`").execute();
  });
  define("deleteView", function (dangerousViewName) {
    this.db().newQuery("DROP VIEW IF EXISTS `" + dangerousViewName + "`").execute();
  });
  // Replaces (or creates) a view; a query SQLite refuses fails and leaves
  // the old view in place.
  define("saveView", function (dangerousViewName, dangerousSelectQuery) {
    const name = String(dangerousViewName);
    const query = String(dangerousSelectQuery).trim().replace(/;+$/, "");
    this.runInTransaction((tx) => {
      tx.db().newQuery("DROP VIEW IF EXISTS `" + name + "`").execute();
      tx.db().newQuery("CREATE VIEW `" + name + "` AS " + query).execute();
      // a view over missing columns only fails when read
      tx.db().newQuery("SELECT * FROM `" + name + "` LIMIT 1").all();
    });
  });
  define("vacuum", function () {
    this.db().newQuery("VACUUM").execute();
  });

  // auxiliary.db (the request logs): raw queries, table check, VACUUM.
  define("auxDB", function () { return new __pb.DbBuilder(this, true); });
  define("auxConcurrentDB", function () { return this.auxDB(); });
  define("auxNonconcurrentDB", function () { return this.auxDB(); });
  define("auxHasTable", function (tableName) {
    try {
      return this.auxDB()
        .newQuery("SELECT 1 AS found FROM sqlite_schema WHERE type IN ('table', 'view') AND LOWER(name) = LOWER({:t}) LIMIT 1")
        .bind({ t: String(tableName) })
        .all().length > 0;
    } catch (_) {
      return false;
    }
  });
  define("auxVacuum", function () {
    this.auxDB().newQuery("VACUUM").execute();
  });
  // Deletes the request logs created before `createdBefore` (a DateTime,
  // a Date or a "2006-01-02 15:04:05.000Z" string).
  define("deleteOldLogs", function (createdBefore) {
    const d = createdBefore instanceof DateTime ? createdBefore : new DateTime(createdBefore instanceof Date ? createdBefore : String(createdBefore));
    this.auxDB().newQuery("DELETE FROM _logs WHERE created <= {:date}").bind({ date: d.string() }).execute();
  });

  // Select builders (dbx.js): `_collections` rows as Collection models,
  // `_logs` rows (auxiliary.db) as logs, and a model's own table.
  define("collectionQuery", function () {
    const q = new __pb.SelectQuery(this, false, "collections");
    return q.select("{{_collections}}.*").from("_collections");
  });
  define("logQuery", function () {
    return new __pb.SelectQuery(this, true, "logs").select("{{_logs}}.*").from("_logs");
  });
  const tableOf = (model) => {
    if (model instanceof Record) return { record: model.collection() };
    if (model instanceof Collection) return { table: "_collections", kind: "collections" };
    if (model instanceof __pb.Log) return { table: "_logs", kind: "logs" };
    if (model != null && typeof model.tableName === "function") return { table: String(model.tableName()), kind: null };
    throw new TypeError("expected a model (Record, Collection, log or an object with tableName())");
  };
  define("modelQuery", function (model) {
    const t = tableOf(model);
    if (t.record) return this.recordQuery(t.record);
    return new __pb.SelectQuery(this, false, t.kind).select("{{" + t.table + "}}.*").from(t.table);
  });
  define("auxModelQuery", function (model) {
    const t = tableOf(model);
    if (t.record) throw new Error("auxiliary.db has no record tables (" + t.record.name + ")");
    return new __pb.SelectQuery(this, true, t.kind).select("{{" + t.table + "}}.*").from(t.table);
  });
  // Hourly log counts `[{date, total}]` of the logs matching `expr` (all with null).
  define("logsStats", function (expr) {
    const q = this.logQuery().select("count(id) as total", "strftime('%Y-%m-%d %H:00:00', created) as date").groupBy("date");
    if (expr) q.andWhere(expr);
    return q.build().all().map((r) => ({ date: new DateTime(String(r.date)), total: Number(r.total) || 0 }));
  });
  // Writes a log (a `logQuery()` result, or `{level, message, data}`) to
  // auxiliary.db: a new one (empty id) gets an id and its created time.
  const auxSave = function (app, model) {
    if (model instanceof Record || model instanceof Collection) {
      throw new Error("auxiliary.db only holds logs: save records and collections with $app.save");
    }
    if (!(model instanceof __pb.Log)) {
      throw new TypeError("auxSave expects a log (from $app.logQuery())");
    }
    const fresh = model.id === "";
    if (fresh) {
      model.id = $security.randomStringWithAlphabet(15, "abcdefghijklmnopqrstuvwxyz0123456789");
    }
    if (!model.created) {
      model.created = new DateTime().string();
    }
    const params = {
      id: model.id, created: String(model.created), level: Number(model.level) || 0,
      message: String(model.message == null ? "" : model.message), data: JSON.stringify(model.data || {}),
    };
    app.auxDB()
      .newQuery(
        "INSERT INTO _logs (id, created, level, message, data) VALUES ({:id}, {:created}, {:level}, {:message}, {:data}) " +
          "ON CONFLICT(id) DO UPDATE SET created = excluded.created, level = excluded.level, message = excluded.message, data = excluded.data",
      )
      .bind(params)
      .execute();
  };
  define("auxSave", function (model) { auxSave(this, model); });
  define("auxSaveNoValidate", function (model) { auxSave(this, model); });
  define("auxSaveWithContext", function (ctx, model) { auxSave(this, model); });
  define("auxSaveNoValidateWithContext", function (ctx, model) { auxSave(this, model); });
  const auxDelete = function (app, model) {
    const t = tableOf(model);
    if (t.table !== "_logs") throw new Error("auxiliary.db only holds logs: delete records and collections with $app.delete");
    app.auxDB().newQuery("DELETE FROM _logs WHERE id = {:id}").bind({ id: String(model.id) }).execute();
  };
  define("auxDelete", function (model) { auxDelete(this, model); });
  define("auxDeleteWithContext", function (ctx, model) { auxDelete(this, model); });

  // `importCollections` with the list as JSON text or its bytes.
  define("importCollectionsByMarshaledJSON", function (raw, deleteMissing) {
    const text = typeof raw === "string" ? raw : toString(raw);
    const list = JSON.parse(text);
    if (!Array.isArray(list)) {
      throw new Error("importCollectionsByMarshaledJSON expects a JSON array of collections");
    }
    this.importCollections(list, !!deleteMissing);
  });

  // Whether no other collection (ids in `excludeIds` aside) has this name,
  // compared case-insensitively.
  define("isCollectionNameUnique", function (name, ...excludeIds) {
    name = String(name || "");
    if (name === "") return false;
    const lower = name.toLowerCase();
    return !this.findAllCollections().some((c) => !excludeIds.includes(c.id) && c.name.toLowerCase() === lower);
  });

  // The relation fields pointing at `collection`, grouped by the name of
  // the collection that holds them: `{posts: [field, …]}`.
  define("findCollectionReferences", function (collection, ...excludeIds) {
    const target = typeof collection === "string" ? this.findCollectionByNameOrId(collection) : collection;
    const out = {};
    for (const c of this.findAllCollections()) {
      if (excludeIds.includes(c.id)) continue;
      for (const f of c.fields) {
        if (f.type === "relation" && f.collectionId === target.id) {
          (out[c.name] = out[c.name] || []).push(f);
        }
      }
    }
    return out;
  });
  define("findCachedCollectionReferences", function (collection, ...excludeIds) {
    return this.findCollectionReferences(collection, ...excludeIds);
  });

  // The auth reference collections: rows pointing at an auth record through
  // collectionRef + recordRef, newest first.
  const refs = {
    ExternalAuths: "_externalAuths",
    MFAs: "_mfas",
    OTPs: "_otps",
    AuthOrigins: "_authOrigins",
  };
  const ownerOf = (record) => {
    if (!(record instanceof Record)) throw new TypeError("expected an auth Record");
    return { c: record.collection().id, r: record.id };
  };
  for (const [kind, table] of Object.entries(refs)) {
    define("findAll" + kind + "ByRecord", function (authRecord) {
      return this.findRecordsByFilter(table, "collectionRef = {:c} && recordRef = {:r}", "-created", 0, 0, ownerOf(authRecord));
    });
    define("findAll" + kind + "ByCollection", function (collection) {
      const c = typeof collection === "string" ? this.findCollectionByNameOrId(collection) : collection;
      return this.findRecordsByFilter(table, "collectionRef = {:c}", "-created", 0, 0, { c: c.id });
    });
    define("deleteAll" + kind + "ByRecord", function (authRecord) {
      const rows = this["findAll" + kind + "ByRecord"](authRecord);
      this.runInTransaction((tx) => {
        for (const r of rows) tx.delete(r);
      });
    });
  }
  define("findMFAById", function (id) { return this.findRecordById("_mfas", id); });
  define("findOTPById", function (id) { return this.findRecordById("_otps", id); });
  define("findAuthOriginById", function (id) { return this.findRecordById("_authOrigins", id); });
  define("findAuthOriginByRecordAndFingerprint", function (authRecord, fingerprint) {
    const p = ownerOf(authRecord);
    p.f = String(fingerprint);
    return this.findFirstRecordByFilter("_authOrigins", "collectionRef = {:c} && recordRef = {:r} && fingerprint = {:f}", p);
  });
  define("findFirstExternalAuthByExpr", function (expr) {
    const list = this.recordQuery("_externalAuths").andWhere(expr).limit(1).all();
    if (!list.length) throw new NotFoundError();
    return list[0];
  });

  // Deletes the MFA / OTP rows older than their auth collection's duration.
  const deleteExpired = function (app, table, option) {
    for (const c of app.findAllCollections("auth")) {
      const secs = Number(((c[option] || {}).duration)) || 0;
      const cutoff = new Date(Date.now() - secs * 1000).toISOString().replace("T", " ");
      const rows = app.findRecordsByFilter(table, "collectionRef = {:c} && created < {:d}", "", 0, 0, { c: c.id, d: cutoff });
      for (const r of rows) app.delete(r);
    }
  };
  define("deleteExpiredMFAs", function () { deleteExpired(this, "_mfas", "mfa"); });
  define("deleteExpiredOTPs", function () { deleteExpired(this, "_otps", "otp"); });
})(Object.getPrototypeOf($app));

// `record.getDateTime()`: a DateTime from a stored value ("" → the zero time).
__pb.dateTimeOf = function (text) {
  const d = new DateTime();
  d.scan(text);
  return d;
};
