// The request event `e` of routes and middlewares (PocketBase's
// core.RequestEvent) and the dispatcher the Rust side calls per request:
// global middlewares + route middlewares (stable-sorted by priority), then
// the route handler, or the built-in route (native next) when no JS route
// matched.

class __PbHeader {
  constructor(init) {
    this.__h = Object.create(null); // client-chosen keys: no prototype (`__proto__`, `constructor`)
    if (init) {
      for (const k of Object.keys(init)) {
        this.__h[k.toLowerCase()] = [String(init[k])];
      }
    }
  }
  get(name) {
    const v = this.__h[String(name).toLowerCase()];
    return v && v.length ? v[0] : "";
  }
  values(name) {
    return (this.__h[String(name).toLowerCase()] || []).slice();
  }
  has(name) {
    return String(name).toLowerCase() in this.__h;
  }
  set(name, value) {
    this.__h[String(name).toLowerCase()] = [String(value)];
  }
  add(name, value) {
    const k = String(name).toLowerCase();
    (this.__h[k] = this.__h[k] || []).push(String(value));
  }
  del(name) {
    delete this.__h[String(name).toLowerCase()];
  }
  __pairs() {
    const out = [];
    for (const k of Object.keys(this.__h)) {
      for (const v of this.__h[k]) {
        out.push([k, v]);
      }
    }
    return out;
  }
}

class __PbQuery {
  constructor(raw) {
    this.__q = Object.create(null);
    for (const part of String(raw || "").split("&")) {
      if (part === "") {
        continue;
      }
      const i = part.indexOf("=");
      const dec = (s) => {
        try {
          return decodeURIComponent(s.replace(/\+/g, " "));
        } catch (_) {
          return s;
        }
      };
      const k = dec(i < 0 ? part : part.slice(0, i));
      const v = i < 0 ? "" : dec(part.slice(i + 1));
      (this.__q[k] = this.__q[k] || []).push(v);
    }
  }
  get(key) {
    const v = this.__q[key];
    return v && v.length ? v[0] : "";
  }
  has(key) {
    return key in this.__q;
  }
  values(key) {
    return (this.__q[key] || []).slice();
  }
}

class __PbURL {
  constructor(native) {
    this.path = native.path;
    this.rawQuery = native.rawQuery;
    this.host = native.host;
    this.scheme = "";
    this.__uri = native.uri;
  }
  query() {
    return new __PbQuery(this.rawQuery);
  }
  string() {
    return this.__uri;
  }
  toString() {
    return this.__uri;
  }
}

// Parts are read from the native side on first use: most handlers touch
// few of them, and each read copies strings out of Rust.
class __PbRequest {
  constructor(native) {
    Object.defineProperty(this, "__n", { value: native });
    Object.defineProperty(this, "__c", { value: Object.create(null) });
  }
  __get(key, make) {
    const c = this.__c;
    if (!(key in c)) {
      c[key] = make(this.__n);
    }
    return c[key];
  }
  get method() {
    return this.__get("method", (n) => n.method);
  }
  set method(v) {
    this.__c.method = v;
  }
  get host() {
    return this.__get("host", (n) => n.host);
  }
  set host(v) {
    this.__c.host = v;
  }
  get remoteAddr() {
    return this.__get("remoteAddr", (n) => n.remoteAddr);
  }
  set remoteAddr(v) {
    this.__c.remoteAddr = v;
  }
  get requestURI() {
    return this.__get("requestURI", (n) => n.uri);
  }
  set requestURI(v) {
    this.__c.requestURI = v;
  }
  get url() {
    return this.__get("url", (n) => new __PbURL(n));
  }
  set url(v) {
    this.__c.url = v;
  }
  get header() {
    return this.__get("header", (n) => new __PbHeader(n.headers));
  }
  set header(v) {
    this.__c.header = v;
  }
  get contentLength() {
    return this.__get("contentLength", (n) => n.contentLength);
  }
  set contentLength(v) {
    this.__c.contentLength = v;
  }
  get __params() {
    return this.__get("__params", (n) => n.params);
  }
  pathValue(name) {
    const v = this.__params[name];
    return v === undefined ? "" : v;
  }
  setPathValue(name, value) {
    this.__params[name] = String(value);
  }
}

class __PbResponse {
  constructor() {
    this.__header = new __PbHeader();
  }
  header() {
    return this.__header;
  }
}

class RequestEvent {
  constructor(native, chain, handler) {
    this.app = $app;
    Object.defineProperty(this, "__native", { value: native });
    Object.defineProperty(this, "__state", {
      value: {
        chain: chain,
        handler: handler,
        index: -1,
        store: {},
        auth: undefined,
        written: false,
        status: 200,
        body: [],
        request: undefined,
        response: undefined,
        contentType: "",
      },
    });
  }
  get request() {
    const s = this.__state;
    if (s.request === undefined) {
      s.request = new __PbRequest(this.__native);
    }
    return s.request;
  }
  set request(v) {
    this.__state.request = v;
  }
  get response() {
    const s = this.__state;
    if (s.response === undefined) {
      s.response = new __PbResponse();
      if (s.contentType) {
        s.response.header().set("Content-Type", s.contentType);
      }
    }
    return s.response;
  }
  set response(v) {
    this.__state.response = v;
  }
  // the response headers as [name, value] pairs
  __headerPairs() {
    const s = this.__state;
    if (s.response !== undefined) {
      return s.response.header().__pairs();
    }
    return s.contentType ? [["content-type", s.contentType]] : [];
  }
  get auth() {
    const s = this.__state;
    if (s.auth === undefined) {
      s.auth = this.__native.auth();
    }
    return s.auth;
  }
  set auth(v) {
    this.__state.auth = v == null ? null : v;
  }
  next() {
    const s = this.__state;
    s.index++;
    if (s.index < s.chain.length) {
      return s.chain[s.index].fn(this);
    }
    if (s.index === s.chain.length) {
      if (s.handler) {
        return s.handler(this);
      }
      return this.__native.next();
    }
  }
  get(key) {
    return this.__state.store[key];
  }
  set(key, value) {
    this.__state.store[key] = value;
  }
  getAll() {
    return Object.assign({}, this.__state.store);
  }
  hasSuperuserAuth() {
    const a = this.auth;
    return !!a && a.isSuperuser();
  }
  isTLS() {
    return false;
  }
  realIP() {
    return this.__native.remoteIp;
  }
  requestInfo() {
    const headers = {};
    const h = this.request.header.__h;
    for (const k of Object.keys(h)) {
      headers[k.replace(/-/g, "_")] = h[k].join(",");
    }
    const query = {};
    const q = this.request.url.query().__q;
    for (const k of Object.keys(q)) {
      query[k] = q[k][q[k].length - 1];
    }
    return {
      query: query,
      headers: headers,
      body: this.__native.body(),
      auth: this.auth,
      method: this.request.method,
      context: "default",
    };
  }
  __write(status, contentType, body) {
    const s = this.__state;
    if (!s.written) {
      s.written = true;
      s.status = Number(status) || 200;
      if (contentType) {
        if (s.response !== undefined) {
          s.response.header().set("Content-Type", contentType);
        } else {
          s.contentType = contentType;
        }
      }
    }
    // writing twice sends both bodies, as PocketBase does
    s.body.push(body);
  }
  json(status, data) {
    const text = JSON.stringify(data);
    this.__write(status, "application/json", text === undefined ? "null" : text);
  }
  string(status, text) {
    this.__write(status, "text/plain; charset=utf-8", String(text));
  }
  html(status, text) {
    this.__write(status, "text/html; charset=utf-8", String(text));
  }
  blob(status, contentType, bytes) {
    this.__write(status, contentType, bytes);
  }
  noContent(status) {
    this.__write(status, "", "");
  }
  redirect(status, url) {
    this.response.header().set("Location", String(url));
    this.__write(status, "", "");
  }
  error(status, message, data) {
    return new ApiError(status, message, data);
  }
  badRequestError(message, data) {
    return new BadRequestError(message, data);
  }
  notFoundError(message, data) {
    return new NotFoundError(message, data);
  }
  forbiddenError(message, data) {
    return new ForbiddenError(message, data);
  }
  unauthorizedError(message, data) {
    return new UnauthorizedError(message, data);
  }
  tooManyRequestsError(message, data) {
    return new TooManyRequestsError(message, data);
  }
  internalServerError(message, data) {
    return new InternalServerError(message, data);
  }
}

// Global + route middlewares stable-sorted by priority, kept per route until
// the middleware lists change.
__pb.chainOf = function (route) {
  const holder = route || __pb;
  const key = __pb.middlewares.length + ":" + (route ? route.middlewares.length : 0);
  if (holder.__chainKey !== key) {
    let chain = __pb.middlewares;
    if (route && route.middlewares.length) {
      chain = chain.concat(route.middlewares);
    }
    holder.__chain = chain.slice().sort((a, b) => a.priority - b.priority);
    holder.__chainKey = key;
  }
  return holder.__chain;
};

// Called by the Rust side for every request that reaches the JS layer.
__pb.serveHttp = function (routeIndex, native) {
  const route = routeIndex >= 0 ? __pb.routes[routeIndex] : null;
  const chain = __pb.chainOf(route);
  const e = new RequestEvent(native, chain, route ? route.handler : null);
  // the headers set before a throw still go out with the error response.
  // Nothing here may point back at `out` from what it holds: a cycle would
  // keep the request (and its native side) alive until the cycle collector
  // runs, instead of freeing it when the Rust side lets go.
  const out = { failed: false, error: undefined, event: e };
  try {
    const r = e.next();
    // async handlers: the Rust side settles pending jobs before finish()
    if (r && typeof r.then === "function") {
      r.then(null, (err) => {
        out.failed = true;
        out.error = err;
      });
    }
  } catch (err) {
    out.failed = true;
    out.error = err;
  }
  return out;
};

// Called by the Rust side once the handler (and its promises) settled.
__pb.finishHttp = function (out) {
  const e = out.event;
  const s = e.__state;
  out.event = undefined;
  out.written = s.written;
  out.status = s.status;
  out.headers = e.__headerPairs();
  out.body = s.body.map((b) => {
    if (b instanceof ArrayBuffer) {
      return Array.from(new Uint8Array(b));
    }
    if (ArrayBuffer.isView(b)) {
      return Array.from(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    }
    return b;
  });
  return out;
};

__pb.RequestEvent = RequestEvent;

// A response header object whose changes go straight to the Rust side
// (`e.response.header()` of request hooks: the API adds them to its answer).
class __PbSyncedHeader extends __PbHeader {
  constructor(http) {
    super();
    for (const [k, v] of http.responseHeaders) {
      super.add(k, v);
    }
    Object.defineProperty(this, "__http", { value: http });
  }
  __sync() {
    this.__http.setResponseHeaders(this.__pairs());
  }
  set(name, value) {
    super.set(name, value);
    this.__sync();
  }
  add(name, value) {
    super.add(name, value);
    this.__sync();
  }
  del(name) {
    super.del(name);
    this.__sync();
  }
}

// `e.request`, `e.response` and `e.realIP()` of the request hooks
// (onRecordCreateRequest, onRecordAuthRequest, …): the objects routes get,
// built on first use from the HTTP request behind the event (`e.__http`);
// undefined when the action did not come over HTTP.
(() => {
  const proto = Object.getPrototypeOf(__pb.newHookEvent());
  Object.defineProperty(proto, "request", {
    configurable: true,
    get() {
      if (this.__req === undefined && this.__http !== undefined) {
        this.__req = new __PbRequest(this.__http);
      }
      return this.__req;
    },
    set(v) {
      this.__req = v;
    },
  });
  Object.defineProperty(proto, "response", {
    configurable: true,
    get() {
      if (this.__resp === undefined && this.__http !== undefined) {
        const resp = new __PbResponse();
        resp.__header = new __PbSyncedHeader(this.__http);
        this.__resp = resp;
      }
      return this.__resp;
    },
    set(v) {
      this.__resp = v;
    },
  });
  proto.realIP = function () {
    return this.__http !== undefined ? this.__http.remoteIp : "";
  };
  proto.isTLS = function () {
    return false;
  };
})();
