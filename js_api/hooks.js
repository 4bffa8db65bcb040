// The hook objects of `$app` (`$app.onRecordCreate("posts")`,
// `$app.onServe()`): PocketBase's hook.Hook / hook.TaggedHook API with
// bind, bindFunc, unbind, unbindAll, length and canTriggerOn. Binding adds
// to the same registry as the global `onRecordCreate(...)` functions, so
// it works while the hook files load. `onServe` handlers run once the files
// have loaded, with `e.router` adding routes and middlewares like
// routerAdd/routerUse.

class __PbHook {
  constructor(name, tags) {
    Object.defineProperty(this, "__name", { value: name });
    Object.defineProperty(this, "__tags", { value: tags.map(String) });
  }
  // `bind({id, priority, func})`: returns the handler id.
  bind(handler) {
    if (handler === null || typeof handler !== "object") {
      throw new TypeError("bind expects a handler object {id, priority, func}");
    }
    return this.__bind(handler.func, handler.priority, handler.id);
  }
  bindFunc(fn) {
    return this.__bind(fn, 0, "");
  }
  __bind(fn, priority, id) {
    fn = __pb.handlerFn(fn, this.__name + " handler");
    if (this.__name === "onServe") {
      if (!__pb.loading) {
        throw new Error("onServe handlers can only be bound while the hook files load");
      }
      id = id ? String(id) : "__pbs" + ++__pb.nextHookId;
      __pb.serveHooks = __pb.serveHooks.filter((h) => h.id !== id);
      __pb.serveHooks.push({ fn: fn, priority: Number(priority) || 0, id: id });
      return id;
    }
    if (id) {
      this.unbind(id);
    }
    return __pb.bindHook(this.__name, this.__tags, fn, priority, id);
  }
  unbind(...ids) {
    const drop = new Set(ids.map(String));
    if (this.__name === "onServe") {
      __pb.serveHooks = __pb.serveHooks.filter((h) => !drop.has(h.id));
      return;
    }
    __pb.forHooksOf(this, (h, i) => {
      if (drop.has(h.id)) __pb.hooks[i] = null;
    });
  }
  unbindAll() {
    if (this.__name === "onServe") {
      __pb.serveHooks = [];
      return;
    }
    __pb.forHooksOf(this, (h, i) => {
      __pb.hooks[i] = null;
    });
  }
  // How many handlers are bound (for a tagged hook object: with its tags).
  length() {
    if (this.__name === "onServe") {
      return __pb.serveHooks.length;
    }
    let n = 0;
    __pb.forHooksOf(this, () => n++);
    return n;
  }
  // Whether handlers bound through this object fire for these tags.
  canTriggerOn(tags) {
    if (this.__tags.length === 0) return true;
    return (tags || []).some((t) => this.__tags.includes(String(t)));
  }
}

__pb.forHooksOf = function (hook, f) {
  const key = hook.__tags.join("\u0000");
  __pb.hooks.forEach((h, i) => {
    if (h && h.name === hook.__name && h.tags.join("\u0000") === key) f(h, i);
  });
};

__pb.serveHooks = [];

(function (proto) {
  for (const name of __native.appHookNames) {
    Object.defineProperty(proto, name, {
      value: function (...tags) {
        return new __PbHook(name, tags);
      },
      writable: true,
      configurable: true,
    });
  }
})(Object.getPrototypeOf($app));

// `e.router` of onServe: PocketBase's router API over routerAdd/routerUse.
class __PbRoute {
  constructor(entries) {
    Object.defineProperty(this, "__entries", { value: entries });
    this.method = entries[0].method;
    this.path = entries[0].path;
    this.action = entries[0].handler;
  }
  bind(...handlers) {
    for (const h of handlers) {
      const m = __pb.middleware(h);
      for (const e of this.__entries) e.middlewares.push(m);
    }
    return this;
  }
  bindFunc(...fns) {
    return this.bind(...fns);
  }
  unbind(...ids) {
    const drop = new Set(ids.map(String));
    for (const e of this.__entries) {
      const keep = e.middlewares.filter((m) => !drop.has(m.id));
      e.middlewares.length = 0;
      e.middlewares.push(...keep);
    }
    return this;
  }
}

class __PbRouterGroup {
  constructor(prefix, parent) {
    this.prefix = prefix;
    Object.defineProperty(this, "__parent", { value: parent || null });
    Object.defineProperty(this, "__middlewares", { value: [] });
  }
  // the middlewares of this group and its parents, outermost first
  __chain() {
    return (this.__parent ? this.__parent.__chain() : []).concat(this.__middlewares);
  }
  route(method, path, action) {
    const methods = method === "" || method === "*" ? __pb.anyMethods : [String(method).toUpperCase()];
    const fn = __pb.handlerFn(action, "route action");
    const full = this.prefix + String(path);
    const entries = methods.map((m) => {
      const entry = { method: m, path: full, handler: fn, middlewares: [], group: this };
      __pb.routes.push(entry);
      return entry;
    });
    return new __PbRoute(entries);
  }
  any(path, action) {
    return this.route("", path, action);
  }
  get(path, action) {
    return this.route("GET", path, action);
  }
  post(path, action) {
    return this.route("POST", path, action);
  }
  put(path, action) {
    return this.route("PUT", path, action);
  }
  patch(path, action) {
    return this.route("PATCH", path, action);
  }
  delete(path, action) {
    return this.route("DELETE", path, action);
  }
  head(path, action) {
    return this.route("HEAD", path, action);
  }
  options(path, action) {
    return this.route("OPTIONS", path, action);
  }
  group(prefix) {
    return new __PbRouterGroup(this.prefix + String(prefix), this);
  }
  // Group middlewares (the root router's are global, like routerUse).
  bind(...handlers) {
    for (const h of handlers) {
      const m = __pb.middleware(h);
      if (this.__parent === null) {
        __pb.middlewares.push(m);
      } else {
        this.__middlewares.push(m);
      }
    }
    return this;
  }
  bindFunc(...fns) {
    return this.bind(...fns);
  }
  unbind(...ids) {
    const drop = new Set(ids.map(String));
    const list = this.__parent === null ? __pb.middlewares : this.__middlewares;
    const keep = list.filter((m) => !drop.has(m.id));
    list.length = 0;
    list.push(...keep);
    return this;
  }
  hasRoute(method, path) {
    const full = this.prefix + String(path);
    return __pb.routes.some((r) => r.path === full && (method === "" || r.method === String(method).toUpperCase()));
  }
}

__pb.anyMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

// Runs the onServe handlers (sorted by priority, each continuing the chain
// with e.next()), then puts the group middlewares into their routes.
__pb.runServeHooks = function () {
  const router = new __PbRouterGroup("", null);
  const chain = __pb.serveHooks.slice().sort((a, b) => a.priority - b.priority);
  const e = {
    app: $app,
    router: router,
    server: null,
    certManager: null,
    listener: null,
    installerFunc: null,
    __i: -1,
    next() {
      this.__i++;
      if (this.__i < chain.length) {
        return chain[this.__i].fn(this);
      }
    },
  };
  try {
    e.next();
  } finally {
    for (const r of __pb.routes) {
      if (r.group) {
        const mws = r.group.__chain();
        if (mws.length) r.middlewares.unshift(...mws);
        delete r.group;
      }
    }
  }
};
