// Model helpers and small value classes of PocketBase's JS API:
// DynamicModel and the null*() shape markers, arrayOf,
// Context, Cookie, MailerMessage, SubscriptionMessage,
// RequestInfo, Command (custom console commands), FormData. Classes whose
// subsystem Ferrobase does not have yet (forms) throw a clear error.

// A typed placeholder in a DynamicModel shape: the property starts as null
// and scanned values keep their kind.
class __PbNullable {
  constructor(kind) {
    this.kind = kind;
  }
}

function nullString() { return new __PbNullable("string"); }
function nullInt() { return new __PbNullable("int"); }
function nullFloat() { return new __PbNullable("float"); }
function nullBool() { return new __PbNullable("bool"); }
function nullArray() { return new __PbNullable("array"); }
function nullObject() { return new __PbNullable("object"); }

// The kind of a shape value: what a scanned column is converted to.
__pb.shapeKind = function (v) {
  if (v instanceof __PbNullable) return { kind: v.kind, nullable: true };
  if (typeof v === "number") {
    // PocketBase: 0 is an int, -0 a float
    return { kind: Number.isInteger(v) && !Object.is(v, -0) ? "int" : "float", nullable: false };
  }
  if (typeof v === "boolean") return { kind: "bool", nullable: false };
  if (typeof v === "string") return { kind: "string", nullable: false };
  if (Array.isArray(v)) return { kind: "array", nullable: false };
  if (v && typeof v === "object") return { kind: "object", nullable: false };
  return { kind: "any", nullable: true };
};

__pb.lowerFirst = function (s) {
  return s ? s.charAt(0).toLowerCase() + s.slice(1) : s;
};

class DynamicModel {
  constructor(shape) {
    const kinds = {};
    for (const key of Object.keys(shape || {})) {
      const v = shape[key];
      const prop = __pb.lowerFirst(key);
      kinds[prop] = __pb.shapeKind(v);
      this[prop] = v instanceof __PbNullable ? null : v;
    }
    Object.defineProperty(this, "__pbShape", { value: kinds });
  }
}

// Converts one scanned column value to the kind of the shape.
__pb.scanValue = function (kind, v) {
  if (v === null || v === undefined) {
    if (kind.nullable) return null;
    switch (kind.kind) {
      case "int": case "float": return 0;
      case "bool": return false;
      case "string": return "";
      case "array": return [];
      case "object": return {};
      default: return null;
    }
  }
  switch (kind.kind) {
    case "int": { const n = Number(v); if (!Number.isInteger(n)) throw new Error("cannot scan " + JSON.stringify(v) + " into an int"); return n; }
    case "float": return Number(v);
    case "bool": return v === true || v === 1 || v === "1" || v === "true";
    case "string": return typeof v === "string" ? v : String(v);
    case "array": case "object": {
      if (typeof v === "string") {
        try { return JSON.parse(v); } catch (_) { return kind.kind === "array" ? [] : {}; }
      }
      return v;
    }
    default: return v;
  }
};

// Fills `model` (a DynamicModel, a plain object or a Record) from a row.
__pb.fillModel = function (model, row) {
  if (model instanceof Record) {
    model.load(row);
    return model;
  }
  const shape = model.__pbShape;
  for (const col of Object.keys(row)) {
    const prop = __pb.lowerFirst(col);
    if (shape) {
      if (prop in shape) model[prop] = __pb.scanValue(shape[prop], row[col]);
    } else {
      model[col] = row[col];
    }
  }
  return model;
};

// A fresh model of the same kind as `template` (for all(arr)).
__pb.newModelLike = function (template) {
  if (template instanceof DynamicModel) {
    const m = Object.create(DynamicModel.prototype);
    for (const k of Object.keys(template)) m[k] = null;
    Object.defineProperty(m, "__pbShape", { value: template.__pbShape });
    return m;
  }
  return {};
};

function arrayOf(model) {
  const arr = [];
  Object.defineProperty(arr, "__pbModel", { value: model });
  return arr;
}

class Context {
  constructor(parentCtx, key, value) {
    Object.defineProperty(this, "__parent", { value: parentCtx || null });
    Object.defineProperty(this, "__key", { value: key });
    Object.defineProperty(this, "__value", { value: value });
  }
  value(key) {
    if (this.__key === key) return this.__value;
    return this.__parent ? this.__parent.value(key) : null;
  }
}

class Cookie {
  constructor(options) { Object.assign(this, options || {}); }
}

class MailerMessage {
  constructor(message) { Object.assign(this, message || {}); }
}

class SubscriptionMessage {
  constructor(options) { Object.assign(this, options || {}); }
}

const RequestInfo = class RequestInfo {
  constructor(info) {
    Object.assign(this, { query: {}, headers: {}, body: {}, auth: null, method: "", context: "default" }, info || {});
  }
  hasSuperuserAuth() { return !!this.auth && this.auth.isSuperuser(); }
};

class Command {
  constructor(cmd) {
    Object.assign(this, { use: "", short: "", long: "" }, cmd || {});
    Object.defineProperty(this, "__commands", { value: [] });
  }
  addCommand(...cmds) { this.__commands.push(...cmds); }
  name() { return String(this.use || "").trim().split(/\s+/)[0] || ""; }
}

// $app.rootCmd: commands added at load time become `ferrobase <name>`.
__pb.commands = [];
__pb.rootCmd = {
  addCommand(...cmds) {
    for (const cmd of cmds) {
      if (!(cmd instanceof Command)) throw new TypeError("addCommand expects a Command");
      __pb.commands.push(cmd);
    }
  },
};

class FormData {
  constructor() { Object.defineProperty(this, "__entries", { value: [] }); }
  append(key, value) { this.__entries.push([String(key), value]); }
  set(key, value) { this.delete(key); this.append(key, value); }
  delete(key) {
    for (let i = this.__entries.length - 1; i >= 0; i--) if (this.__entries[i][0] === key) this.__entries.splice(i, 1);
  }
  get(key) { const e = this.__entries.find((x) => x[0] === key); return e ? e[1] : null; }
  has(key) { return this.__entries.some((x) => x[0] === key); }
  entries() { return this.__entries.slice(); }
}

__pb.notAvailable = function (what) {
  return new Error(what + " is not available in Ferrobase yet");
};

class AppleClientSecretCreateForm { constructor() { throw __pb.notAvailable("AppleClientSecretCreateForm"); } }
class RecordUpsertForm { constructor() { throw __pb.notAvailable("RecordUpsertForm"); } }
class TestEmailSendForm { constructor() { throw __pb.notAvailable("TestEmailSendForm (the mailer)"); } }
class TestS3FilesystemForm { constructor() { throw __pb.notAvailable("TestS3FilesystemForm (S3 storage)"); } }

// pb_migrations only; a hook file calling it gets a clear error.
function migrate(up, down) {
  throw new Error("migrate() is only available in pb_migrations files");
}

Object.assign(globalThis, {
  nullString, nullInt, nullFloat, nullBool, nullArray, nullObject, DynamicModel, arrayOf,
  Context, Cookie, MailerMessage, SubscriptionMessage, RequestInfo, Command, FormData,
  AppleClientSecretCreateForm, RecordUpsertForm, TestEmailSendForm, TestS3FilesystemForm, migrate,
});
