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
  // "HTTP/1.1"; protoMajor/protoMinor its numbers
  get proto() {
    return this.__get("proto", (n) => (typeof n.proto === "string" && n.proto) || "HTTP/1.1");
  }
  set proto(v) {
    this.__c.proto = v;
  }
  get protoMajor() {
    return Number((/HTTP\/(\d+)/.exec(this.proto) || [0, 1])[1]);
  }
  get protoMinor() {
    return Number((/HTTP\/\d+\.(\d+)/.exec(this.proto) || [0, 0])[1]);
  }
  protoAtLeast(major, minor) {
    return this.protoMajor > major || (this.protoMajor === major && this.protoMinor >= minor);
  }
  // The matched route, "GET /hello/{name}" ("" outside a route).
  get pattern() {
    return this.__get("pattern", (n) => (typeof n.pattern === "string" ? n.pattern : ""));
  }
  set pattern(v) {
    this.__c.pattern = v;
  }
  // Ferrobase serves TLS through its own listener: the request data holds
  // no connection state (null, as for plain HTTP in PocketBase).
  get tls() {
    return null;
  }
  get close() {
    return String(this.header.get("Connection")).toLowerCase() === "close";
  }
  get transferEncoding() {
    const te = this.header.get("Transfer-Encoding");
    return te ? te.split(",").map((s) => s.trim()).filter((s) => s) : [];
  }
  get trailer() {
    return {};
  }
  // The server side of a request has no response yet (set for client requests in Go).
  get response() {
    return null;
  }
  // The body, readable with toString(e.request.body) / toBytes(...) /
  // readerToString(...); it can be read many times.
  get body() {
    return this.__get("body", (n) => new __PbReader(typeof n.rawBody === "function" ? n.rawBody() : []));
  }
  set body(v) {
    this.__c.body = v;
  }
  // Go's GetBody: a fresh reader of the body.
  getBody() {
    return this.body;
  }
  userAgent() {
    return this.header.get("User-Agent");
  }
  referer() {
    return this.header.get("Referer");
  }
  // The cookies sent with the request as [{name, value}].
  cookies() {
    const out = [];
    for (const line of this.header.values("Cookie")) {
      for (const part of line.split(";")) {
        const i = part.indexOf("=");
        if (i <= 0) continue;
        const name = part.slice(0, i).trim();
        let value = part.slice(i + 1).trim();
        if (value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') value = value.slice(1, -1);
        if (name) out.push(new Cookie({ name: name, value: value }));
      }
    }
    return out;
  }
  cookiesNamed(name) {
    return this.cookies().filter((c) => c.name === name);
  }
  // The named cookie; throws when the request has none (Go's ErrNoCookie).
  cookie(name) {
    const c = this.cookies().find((x) => x.name === name);
    if (!c) throw new Error("http: named cookie not present");
    return c;
  }
  addCookie(cookie) {
    const pair = String(cookie.name) + "=" + String(cookie.value == null ? "" : cookie.value);
    const cur = this.header.get("Cookie");
    this.header.set("Cookie", cur ? cur + "; " + pair : pair);
  }
  // [username, password, ok] of an `Authorization: Basic` header.
  basicAuth() {
    const h = this.header.get("Authorization");
    const m = /^basic\s+(.+)$/i.exec(h);
    if (!m) return ["", "", false];
    const text = __native.base64DecodeText(m[1].trim());
    if (text === null) return ["", "", false];
    const i = text.indexOf(":");
    if (i < 0) return ["", "", false];
    return [text.slice(0, i), text.slice(i + 1), true];
  }
  setBasicAuth(username, password) {
    this.header.set("Authorization", "Basic " + __native.base64EncodeText(username + ":" + password));
  }
  // Form values: the body's (urlencoded or multipart text fields) first,
  // then the query's; postForm has the body's only.
  parseForm() {
    if (this.__c.form !== undefined) return;
    const post = new __PbValues();
    const n = this.__n;
    if (typeof n.formPairs === "function") {
      for (const [k, v] of n.formPairs()) post.add(k, v);
    } else if (typeof n.body === "function") {
      // a request hook: the parsed body
      const body = n.body() || {};
      for (const k of Object.keys(body)) {
        for (const v of [].concat(body[k])) post.add(k, typeof v === "string" ? v : JSON.stringify(v));
      }
    }
    const all = new __PbValues();
    for (const k of post.keys()) for (const v of post.values(k)) all.add(k, v);
    const q = this.url.query().__q;
    for (const k of Object.keys(q)) for (const v of q[k]) all.add(k, v);
    this.__c.postForm = post;
    this.__c.form = all;
  }
  parseMultipartForm(maxMemory) {
    this.parseForm();
  }
  get form() {
    this.parseForm();
    return this.__c.form;
  }
  set form(v) {
    this.__c.form = v;
  }
  get postForm() {
    this.parseForm();
    return this.__c.postForm;
  }
  set postForm(v) {
    this.__c.postForm = v;
  }
  formValue(key) {
    return this.form.get(key);
  }
  postFormValue(key) {
    return this.postForm.get(key);
  }
  // The request's context: values stored with withContext(new Context(...)).
  context() {
    return this.__c.context || new Context(null, undefined, undefined);
  }
  withContext(ctx) {
    const copy = this.clone(ctx);
    return copy;
  }
  // A copy of the request (sharing the data read so far) with `ctx`.
  clone(ctx) {
    const copy = new __PbRequest(this.__n);
    Object.assign(copy.__c, this.__c);
    if (ctx !== undefined) copy.__c.context = ctx;
    return copy;
  }
}

// Go's url.Values: every value of a key, in order.
class __PbValues {
  constructor() {
    Object.defineProperty(this, "__v", { value: Object.create(null) });
  }
  get(key) {
    const v = this.__v[key];
    return v && v.length ? v[0] : "";
  }
  values(key) {
    return (this.__v[key] || []).slice();
  }
  has(key) {
    return key in this.__v;
  }
  set(key, value) {
    this.__v[key] = [String(value)];
  }
  add(key, value) {
    (this.__v[key] = this.__v[key] || []).push(String(value));
  }
  del(key) {
    delete this.__v[key];
  }
  keys() {
    return Object.keys(this.__v);
  }
  encode() {
    return Object.keys(this.__v)
      .sort()
      .map((k) => this.__v[k].map((v) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&"))
      .join("&");
  }
}

// A readable body: toString(reader), toBytes(reader) and
// readerToString(reader) give its content.
class __PbReader {
  constructor(bytes) {
    Object.defineProperty(this, "__pbBytes", { value: bytes });
  }
  toJSON() {
    return this.__pbBytes;
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
  setAll(values) {
    Object.assign(this.__state.store, values || {});
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
  remoteIP() {
    return __pb.hostOf(this.__native.remoteAddr);
  }
  written() {
    return this.__state.written;
  }
  status() {
    return this.__state.written ? this.__state.status : 0;
  }
  flush() {}
  setCookie(cookie) {
    this.response.header().add("Set-Cookie", __pb.cookieString(cookie));
  }
  // The files uploaded under a multipart key, as `File` objects (none for
  // another body).
  findUploadedFiles(key) {
    const n = this.__native;
    return typeof n.uploadedFiles === "function" ? n.uploadedFiles(String(key)) : [];
  }
  // Reads the request body (JSON, form or multipart fields) into `dst`: a
  // DynamicModel gets its shape's types, a Record its fields, any other
  // object the body's keys.
  bindBody(dst) {
    __pb.bindBody(dst, this.__native.body());
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
  // `force`: the content type replaces one the handler set (blob); the
  // other helpers keep it, like PocketBase.
  __write(status, contentType, body, force) {
    const s = this.__state;
    if (!s.written) {
      s.written = true;
      s.status = Number(status) || 200;
      if (contentType) {
        if (s.response !== undefined) {
          const h = s.response.header();
          if (force || !h.has("Content-Type")) {
            h.set("Content-Type", contentType);
          }
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
  xml(status, data) {
    const text = typeof data === "string" ? data : toString(data);
    this.__write(status, "application/xml; charset=utf-8", '<?xml version="1.0" encoding="UTF-8"?>\n' + text);
  }
  blob(status, contentType, bytes) {
    this.__write(status, contentType, bytes, true);
  }
  // `reader` is read whole: a string, bytes or anything toBytes() takes.
  stream(status, contentType, reader) {
    this.response.header().set("Content-Type", String(contentType));
    this.__write(status, "", typeof reader === "string" ? reader : toBytes(reader));
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
    // async handlers: the Rust side drives the loop until `pending` clears
    if (r && typeof r.then === "function") {
      out.pending = true;
      r.then(
        () => {
          out.pending = false;
        },
        (err) => {
          out.pending = false;
          out.failed = true;
          out.error = err;
        },
      );
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

// `e.requestEvent` of a request hook (onRecordCreateRequest, …): the
// route event API over the API request behind it. What it writes
// (`json`, `string`, …) is what the API answers; headers set on its
// `response` go out with the API's answer.
class __PbHookRequestEvent extends RequestEvent {
  constructor(hookEvent) {
    super(hookEvent.__http, [], null);
    Object.defineProperty(this, "__hook", { value: hookEvent });
    this.app = hookEvent.app;
  }
  get response() {
    const s = this.__state;
    if (s.response === undefined) {
      s.response = new __PbResponse();
      s.response.__header = new __PbSyncedHeader(this.__native);
    }
    return s.response;
  }
  set response(v) {
    this.__state.response = v;
  }
  get auth() {
    return this.__hook.auth;
  }
  set auth(v) {
    this.__hook.auth = v;
  }
  next() {
    return this.__hook.next();
  }
  requestInfo() {
    return this.__hook.requestInfo();
  }
  bindBody(dst) {
    __pb.bindBody(dst, this.__hook.requestInfo().body);
  }
  // the API's own answer was written inside next()
  written() {
    return this.__state.written || this.__hook.__written === true;
  }
  status() {
    if (this.__state.written) return this.__state.status;
    return this.__hook.__written === true ? 200 : 0;
  }
  __write(status, contentType, body, force) {
    const s = this.__state;
    if (!s.written) {
      s.written = true;
      s.status = Number(status) || 200;
      const h = this.response.header();
      if (contentType && (force || !h.has("Content-Type"))) {
        h.set("Content-Type", contentType);
      }
    }
    this.__native.write(s.status, typeof body === "string" ? body : toBytes(body));
  }
}

// The event of the request hooks: PocketBase's request event API (json,
// string, bindBody, setCookie, realIP, …) over `e.requestEvent`. Like in
// PocketBase, `e.request` and `e.response` are not set on it; they are on
// `e.requestEvent`.
class __PbRequestHookEvent extends __PbHookEvent {
  // Present but unset, as in PocketBase: the request is on `requestEvent`.
  get request() {
    return undefined;
  }
  set request(v) {
    Object.defineProperty(this, "request", { value: v, writable: true, enumerable: true, configurable: true });
  }
  get response() {
    return undefined;
  }
  set response(v) {
    Object.defineProperty(this, "response", { value: v, writable: true, enumerable: true, configurable: true });
  }
  get requestEvent() {
    if (this.__reqEvent === undefined) {
      if (this.__http === undefined) {
        throw new TypeError("this event did not come from an HTTP request");
      }
      this.__reqEvent = new __PbHookRequestEvent(this);
    }
    return this.__reqEvent;
  }
}

for (const name of [
  "json", "string", "html", "xml", "blob", "stream", "noContent", "redirect", "setCookie", "written",
  "status", "flush", "bindBody", "realIP", "remoteIP", "isTLS", "getAll", "setAll", "error",
  "badRequestError", "notFoundError", "forbiddenError", "unauthorizedError", "tooManyRequestsError",
  "internalServerError",
]) {
  Object.defineProperty(__PbRequestHookEvent.prototype, name, {
    value: function (...args) {
      return this.requestEvent[name](...args);
    },
    writable: true,
    configurable: true,
  });
}

__pb.RequestHookEvent = __PbRequestHookEvent;

// The host part of `host:port` (`[v6]:port` too).
__pb.hostOf = function (addr) {
  const s = String(addr || "");
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    return end > 0 ? s.slice(1, end) : s;
  }
  const i = s.lastIndexOf(":");
  return i >= 0 && s.indexOf(":") === i ? s.slice(0, i) : s;
};

// A `Set-Cookie` value from a Cookie (or plain object): name, value, path,
// domain, expires, maxAge, secure, httpOnly, sameSite.
__pb.cookieString = function (c) {
  c = c || {};
  let out = String(c.name || "") + "=" + String(c.value == null ? "" : c.value);
  if (c.path) out += "; Path=" + c.path;
  if (c.domain) out += "; Domain=" + c.domain;
  if (c.expires) {
    const e = c.expires;
    const ms = e instanceof Date ? e.getTime() : e instanceof DateTime ? e.time().unixMilli()
      : e instanceof __PbTime ? e.unixMilli() : Date.parse(String(e));
    if (!isNaN(ms) && ms > 0) out += "; Expires=" + new Date(ms).toUTCString();
  }
  if (c.maxAge > 0) out += "; Max-Age=" + Math.floor(c.maxAge);
  if (c.maxAge < 0) out += "; Max-Age=0";
  if (c.httpOnly) out += "; HttpOnly";
  if (c.secure) out += "; Secure";
  const same = { 1: "", 2: "Lax", 3: "Strict", 4: "None", lax: "Lax", strict: "Strict", none: "None" }[
    typeof c.sameSite === "string" ? c.sameSite.toLowerCase() : c.sameSite
  ];
  if (same) out += "; SameSite=" + same;
  return out;
};

// `e.bindBody(dst)`: copies the parsed body into `dst`.
__pb.bindBody = function (dst, body) {
  if (dst === null || typeof dst !== "object") {
    throw new TypeError("bindBody: the destination must be an object");
  }
  body = body || {};
  if (dst instanceof Record) {
    dst.load(body);
    return;
  }
  const shape = dst.__pbShape;
  for (const key of Object.keys(body)) {
    const prop = shape ? __pb.lowerFirst(key) : key;
    if (shape) {
      if (prop in shape) dst[prop] = __pb.scanValue(shape[prop], body[key]);
    } else {
      dst[prop] = body[key];
    }
  }
};
