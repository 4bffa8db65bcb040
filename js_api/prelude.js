// Registration globals of the hook files: routerAdd, routerUse, Middleware
// and the on* hook functions. Everything registered lands in the hidden
// `__pb` registry; the Rust side reads it after loading and dispatches by
// index (every runtime evaluates the same files in the same order, so an
// index means the same handler everywhere).

var __pb = {
  routes: [],
  middlewares: [],
  hooks: [],
  modules: {},
};

class Middleware {
  constructor(func, priority, id) {
    this.func = func;
    this.priority = priority || 0;
    this.id = id || "";
  }
}

// A middleware argument: a Middleware, a `{func, priority, id}` handler
// object (`e.router.bind(...)`), a function or its source text.
__pb.middleware = function (m) {
  if (m instanceof Middleware || (m !== null && typeof m === "object" && "func" in m)) {
    return { fn: __pb.handlerFn(m.func, "Middleware"), priority: Number(m.priority) || 0, id: String(m.id || "") };
  }
  return { fn: __pb.handlerFn(m, "middleware"), priority: 0, id: "" };
};

// PocketBase accepts a function or its source text.
__pb.handlerFn = function (h, what) {
  if (typeof h === "function") {
    return h;
  }
  if (typeof h === "string") {
    const f = (0, eval)("(" + h + ")");
    if (typeof f === "function") {
      return f;
    }
  }
  throw new TypeError(what + " must be a function");
};

function routerAdd(method, path, handler, ...middlewares) {
  method = String(method).toUpperCase();
  const fn = __pb.handlerFn(handler, "routerAdd handler");
  const mws = middlewares.filter((m) => m != null).map(__pb.middleware);
  // PocketBase registers nothing for the "*" method.
  if (method === "*") {
    return;
  }
  __pb.routes.push({ method: method, path: String(path), handler: fn, middlewares: mws });
}

function routerUse(...middlewares) {
  for (const m of middlewares) {
    if (m != null) {
      __pb.middlewares.push(__pb.middleware(m));
    }
  }
}

// The global hook functions, named by the hook table (src/jsvm/bridge/hook_table.rs).
__pb.hookNames = __native.hookNames;

__pb.nextHookId = 0;

// Registers a hook handler; returns its id. Hooks are bound while the
// files load (their index is the same in every runtime).
__pb.bindHook = function (name, tags, fn, priority, id) {
  if (!__pb.loading) {
    throw new Error(name + " handlers can only be bound while the hook files load (at the top level of a pb_hooks file)");
  }
  id = id ? String(id) : "__pbh" + ++__pb.nextHookId;
  __pb.hooks.push({ name: name, handler: fn, tags: tags.map(String), priority: Number(priority) || 0, id: id });
  return id;
};

for (const name of __pb.hookNames) {
  globalThis[name] = function (handler, ...tags) {
    __pb.bindHook(name, tags, __pb.handlerFn(handler, name + " handler"));
  };
}

// Runs hook handler `index` with `$app` bound to the event's app (which may
// be transaction-bound), like PocketBase does.
__pb.runHook = function (index, e) {
  const prev = $app;
  $app = e.app;
  try {
    return __pb.hooks[index].handler(e);
  } finally {
    $app = prev;
  }
};

class __PbHookEvent {
  next() {
    return this.__native.next(this);
  }
  get(key) {
    return this.__store ? this.__store[key] : undefined;
  }
  set(key, value) {
    if (!this.__store) {
      this.__store = {};
    }
    this.__store[key] = value;
  }
  get auth() {
    if (this.__auth === undefined) {
      this.__auth = this.__ri !== undefined ? this.__ri.auth() : null;
    }
    return this.__auth;
  }
  set auth(v) {
    this.__auth = v == null ? null : v;
  }
  requestInfo() {
    if (this.__info === undefined) {
      if (this.__ri === undefined) {
        throw new TypeError("requestInfo() is not available on this event");
      }
      this.__info = this.__ri.build(this.auth);
    }
    return this.__info;
  }
  hasSuperuserAuth() {
    return !!this.auth && this.auth.isSuperuser();
  }
  // the files uploaded under a multipart key, as `File` objects
  findUploadedFiles(key) {
    if (this.__ri === undefined) {
      return [];
    }
    return this.__ri.uploadedFiles(String(key));
  }
  // The tags the event's hooks match: [collectionId, collectionName] of
  // its collection (or of its record's / model's), [] for app events.
  tags() {
    const c = this.collection || (this.record && this.record.collection && this.record.collection())
      || (this.model && (typeof this.model.collection === "function" ? this.model.collection() : this.model));
    return c && c.id !== undefined ? [c.id, c.name] : [];
  }
}

// `info` that can also be called (`e.requestInfo` of the enrich event is a
// field in PocketBase; hooks written for the other events call it).
__pb.callableInfo = function (info) {
  const f = function () {
    return info;
  };
  return Object.assign(f, info);
};

__pb.newHookEvent = function () {
  return new __PbHookEvent();
};

// A JSON field's value as PocketBase gives it (`types.JSONRaw`): the bytes
// of its JSON text, serialised as that JSON (`e.json`, `JSON.stringify`).
__pb.markJsonRaw = function (bytes) {
  Object.defineProperty(bytes, "__pbJsonRaw", { value: true });
  Object.defineProperty(bytes, "toJSON", { value: __pb.jsonRawToJSON });
  return bytes;
};

__pb.jsonRawToJSON = function () {
  return this.length ? JSON.parse(toString(this)) : null;
};

globalThis.Middleware = Middleware;
