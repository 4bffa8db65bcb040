// The event loop of a handler call (driven by src/jsvm/event_loop.rs):
// timers (setTimeout/setInterval) and a WHATWG fetch() subset (Headers,
// Request, Response) whose requests run off the JS thread. Everything still
// pending when the handler call ends is dropped.

(function () {
  const native = __native;
  const timers = new Map();
  const fetches = new Map();
  let nextTimer = 1;

  // ---- timers -------------------------------------------------------------

  function delayOf(ms) {
    const n = Number(ms);
    return Number.isFinite(n) && n > 0 ? n : 0;
  }

  // `weak` timers (intervals, AbortSignal.timeout) keep the loop waiting
  // only while the handler's own promise is pending
  function addTimer(fn, ms, args, repeat, weak) {
    if (typeof fn !== "function") {
      throw new TypeError("the timer callback must be a function");
    }
    const id = nextTimer++;
    const delay = delayOf(ms);
    timers.set(id, { due: native.loopNow() + delay, fn, args, every: repeat ? Math.max(delay, 1) : 0, weak: !!(repeat || weak) });
    return id;
  }

  function clearTimer(id) {
    timers.delete(Number(id));
  }

  globalThis.setTimeout = function setTimeout(fn, ms, ...args) {
    return addTimer(fn, ms, args, false);
  };
  globalThis.setInterval = function setInterval(fn, ms, ...args) {
    return addTimer(fn, ms, args, true);
  };
  globalThis.clearTimeout = clearTimer;
  globalThis.clearInterval = clearTimer;

  // ---- Headers ------------------------------------------------------------

  const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

  function headerName(name) {
    const n = String(name);
    if (!HEADER_NAME.test(n)) {
      throw new TypeError(`invalid header name ${JSON.stringify(n)}`);
    }
    return n.toLowerCase();
  }

  function headerValue(value) {
    const v = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
    if (/[\0\r\n]/.test(v)) {
      throw new TypeError("invalid header value");
    }
    return v;
  }

  class Headers {
    constructor(init) {
      Object.defineProperty(this, "__list", { value: [], writable: true });
      if (init === undefined || init === null) {
        return;
      }
      if (init instanceof Headers) {
        for (const [k, v] of init.__list) {
          this.__list.push([k, v]);
        }
      } else if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) {
            throw new TypeError("a header init pair must have a name and a value");
          }
          this.append(p[0], p[1]);
        }
      } else if (typeof init === "object") {
        for (const k of Object.keys(init)) {
          this.append(k, init[k]);
        }
      } else {
        throw new TypeError("invalid headers init");
      }
    }
    append(name, value) {
      this.__list.push([headerName(name), headerValue(value)]);
    }
    set(name, value) {
      const n = headerName(name);
      const v = headerValue(value);
      const i = this.__list.findIndex((p) => p[0] === n);
      this.__list = this.__list.filter((p, j) => p[0] !== n || j === i);
      if (i < 0) {
        this.__list.push([n, v]);
      } else {
        this.__list.find((p) => p[0] === n)[1] = v;
      }
    }
    get(name) {
      const n = headerName(name);
      const values = this.__list.filter((p) => p[0] === n).map((p) => p[1]);
      if (!values.length) {
        return null;
      }
      return values.join(", ");
    }
    getSetCookie() {
      return this.__list.filter((p) => p[0] === "set-cookie").map((p) => p[1]);
    }
    has(name) {
      const n = headerName(name);
      return this.__list.some((p) => p[0] === n);
    }
    delete(name) {
      const n = headerName(name);
      this.__list = this.__list.filter((p) => p[0] !== n);
    }
    forEach(fn, thisArg) {
      for (const [k, v] of this.entries()) {
        fn.call(thisArg, v, k, this);
      }
    }
    *entries() {
      const names = Array.from(new Set(this.__list.map((p) => p[0]))).sort();
      for (const n of names) {
        if (n === "set-cookie") {
          for (const v of this.getSetCookie()) {
            yield [n, v];
          }
        } else {
          yield [n, this.get(n)];
        }
      }
    }
    *keys() {
      for (const [k] of this.entries()) {
        yield k;
      }
    }
    *values() {
      for (const [, v] of this.entries()) {
        yield v;
      }
    }
    [Symbol.iterator]() {
      return this.entries();
    }
  }

  // ---- bodies -------------------------------------------------------------

  // A body init as stored data (null, a string, an ArrayBuffer, or the
  // native bytes of a fetched response) plus the content type it implies.
  function bodyOf(body) {
    if (body === undefined || body === null) {
      return { data: null, type: null };
    }
    if (body instanceof ArrayBuffer) {
      return { data: body.slice(0), type: null };
    }
    if (ArrayBuffer.isView(body)) {
      return { data: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength), type: null };
    }
    if (typeof body === "string") {
      return { data: body, type: "text/plain;charset=UTF-8" };
    }
    if (typeof body === "object" && (Object.getPrototypeOf(body) === Object.prototype || Array.isArray(body))) {
      // not in the WHATWG spec: a plain object or array is sent as JSON
      return { data: JSON.stringify(body), type: "application/json" };
    }
    return { data: String(body), type: "text/plain;charset=UTF-8" };
  }

  function bufferOf(data) {
    if (data === null) {
      return new ArrayBuffer(0);
    }
    if (typeof data === "string") {
      return native.utf8Encode(data);
    }
    if (data instanceof ArrayBuffer) {
      return data.slice(0);
    }
    return data.arrayBuffer();
  }

  function textOf(data) {
    if (data === null) {
      return "";
    }
    if (typeof data === "string") {
      return data;
    }
    if (data instanceof ArrayBuffer) {
      return native.utf8Decode(data);
    }
    return data.text();
  }

  class Body {
    __initBody(data) {
      Object.defineProperty(this, "__data", { value: data, writable: true });
      Object.defineProperty(this, "__used", { value: false, writable: true });
    }
    get bodyUsed() {
      return this.__used;
    }
    get body() {
      return this.__data === null ? null : new Uint8Array(bufferOf(this.__data));
    }
    __consume(read) {
      if (this.__used) {
        return Promise.reject(new TypeError("the body has already been read"));
      }
      this.__used = true;
      try {
        return Promise.resolve(read(this.__data));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    arrayBuffer() {
      return this.__consume(bufferOf);
    }
    bytes() {
      return this.__consume((d) => new Uint8Array(bufferOf(d)));
    }
    text() {
      return this.__consume(textOf);
    }
    json() {
      return this.__consume((d) => JSON.parse(textOf(d)));
    }
  }

  // ---- Request ------------------------------------------------------------

  const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"];

  class Request extends Body {
    constructor(input, init) {
      super();
      init = init || {};
      const from = input instanceof Request ? input : null;
      const url = from ? from.url : String(input);
      let method = init.method !== undefined ? String(init.method) : from ? from.method : "GET";
      if (METHODS.includes(method.toUpperCase())) {
        method = method.toUpperCase();
      }
      const headers = new Headers(init.headers !== undefined ? init.headers : from ? from.headers : undefined);
      let data = from && init.body === undefined ? from.__data : null;
      if (init.body !== undefined && init.body !== null) {
        if (method === "GET" || method === "HEAD") {
          throw new TypeError(`a ${method} request cannot have a body`);
        }
        const b = bodyOf(init.body);
        data = b.data;
        if (b.type && !headers.has("content-type")) {
          headers.set("content-type", b.type);
        }
      }
      this.__initBody(data);
      Object.defineProperty(this, "url", { value: url, enumerable: true });
      Object.defineProperty(this, "method", { value: method, enumerable: true });
      Object.defineProperty(this, "headers", { value: headers, enumerable: true });
      const timeout = init.timeout !== undefined ? init.timeout : from ? from.timeout : undefined;
      const limit = init.maxResponseSize !== undefined ? init.maxResponseSize : from ? from.maxResponseSize : undefined;
      Object.defineProperty(this, "timeout", { value: timeout, enumerable: true });
      Object.defineProperty(this, "maxResponseSize", { value: limit, enumerable: true });
      Object.defineProperty(this, "signal", { value: init.signal || (from ? from.signal : null), enumerable: true });
    }
    clone() {
      if (this.bodyUsed) {
        throw new TypeError("the body has already been read");
      }
      return new Request(this);
    }
  }

  // ---- Response -----------------------------------------------------------

  class Response extends Body {
    constructor(body, init) {
      super();
      init = init || {};
      const status = init.__status !== undefined ? init.__status : init.status === undefined ? 200 : Number(init.status);
      if (init.__status === undefined && (!Number.isInteger(status) || status < 200 || status > 599)) {
        throw new RangeError(`invalid response status ${init.status}`);
      }
      const headers = new Headers(init.headers);
      const b = bodyOf(body);
      if (b.type && !headers.has("content-type")) {
        headers.set("content-type", b.type);
      }
      this.__initBody(b.data);
      Object.defineProperty(this, "status", { value: status, enumerable: true });
      Object.defineProperty(this, "statusText", {
        value: init.statusText === undefined ? "" : String(init.statusText),
        enumerable: true,
      });
      Object.defineProperty(this, "headers", { value: headers, enumerable: true });
      Object.defineProperty(this, "url", { value: init.__url || "", enumerable: true });
      Object.defineProperty(this, "redirected", { value: !!init.__redirected, enumerable: true });
      Object.defineProperty(this, "type", { value: init.__url ? "basic" : "default", enumerable: true });
    }
    get ok() {
      return this.status >= 200 && this.status <= 299;
    }
    clone() {
      if (this.bodyUsed) {
        throw new TypeError("the body has already been read");
      }
      const r = new Response(null, {
        __status: this.status,
        statusText: this.statusText,
        headers: this.headers,
        __url: this.url,
        __redirected: this.redirected,
      });
      r.__data = this.__data;
      return r;
    }
    static json(data, init) {
      const headers = new Headers(init && init.headers);
      if (!headers.has("content-type")) {
        headers.set("content-type", "application/json");
      }
      return new Response(JSON.stringify(data), Object.assign({}, init, { headers }));
    }
    static error() {
      const r = Object.create(Response.prototype);
      r.__initBody(null);
      Object.defineProperty(r, "status", { value: 0, enumerable: true });
      Object.defineProperty(r, "statusText", { value: "", enumerable: true });
      Object.defineProperty(r, "headers", { value: new Headers(), enumerable: true });
      Object.defineProperty(r, "url", { value: "", enumerable: true });
      Object.defineProperty(r, "type", { value: "error", enumerable: true });
      return r;
    }
    static redirect(url, status) {
      const s = status === undefined ? 302 : status;
      if (![301, 302, 303, 307, 308].includes(s)) {
        throw new RangeError(`invalid redirect status ${s}`);
      }
      return new Response(null, { status: s, headers: { location: String(url) } });
    }
  }

  // ---- AbortController ----------------------------------------------------

  class AbortSignal {
    constructor() {
      Object.defineProperty(this, "__listeners", { value: [] });
      this.aborted = false;
      this.reason = undefined;
      this.onabort = null;
    }
    throwIfAborted() {
      if (this.aborted) {
        throw this.reason;
      }
    }
    addEventListener(type, fn) {
      if (type === "abort" && typeof fn === "function") {
        this.__listeners.push(fn);
      }
    }
    removeEventListener(type, fn) {
      const i = this.__listeners.indexOf(fn);
      if (i >= 0) {
        this.__listeners.splice(i, 1);
      }
    }
    __abort(reason) {
      if (this.aborted) {
        return;
      }
      this.aborted = true;
      this.reason = reason === undefined ? abortError("This operation was aborted", "AbortError") : reason;
      const ev = { type: "abort", target: this };
      if (typeof this.onabort === "function") {
        this.onabort(ev);
      }
      for (const fn of this.__listeners.slice()) {
        fn.call(this, ev);
      }
    }
    static abort(reason) {
      const s = new AbortSignal();
      s.__abort(reason);
      return s;
    }
    static timeout(ms) {
      const s = new AbortSignal();
      addTimer(() => s.__abort(abortError("The operation timed out.", "TimeoutError")), ms, [], false, true);
      return s;
    }
  }

  function abortError(message, name) {
    const e = new Error(message);
    e.name = name;
    return e;
  }

  class AbortController {
    constructor() {
      Object.defineProperty(this, "signal", { value: new AbortSignal(), enumerable: true });
    }
    abort(reason) {
      this.signal.__abort(reason);
    }
  }

  // ---- fetch --------------------------------------------------------------

  globalThis.fetch = function fetch(input, init) {
    let req;
    try {
      req = input instanceof Request && init === undefined ? input : new Request(input, init);
      if (req.bodyUsed) {
        throw new TypeError("the request body has already been read");
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = req.signal;
    if (signal && signal.aborted) {
      return Promise.reject(signal.reason);
    }
    return new Promise((resolve, reject) => {
      let id;
      try {
        const headers = [];
        for (const [k, v] of req.headers.__list) {
          headers.push([k, v]);
        }
        id = native.fetchStart(
          req.url,
          req.method,
          headers,
          req.__data,
          req.timeout === undefined ? -1 : Number(req.timeout),
          req.maxResponseSize === undefined ? -1 : Number(req.maxResponseSize),
        );
      } catch (err) {
        reject(err);
        return;
      }
      const entry = { resolve, reject, url: req.url };
      fetches.set(id, entry);
      if (signal) {
        signal.addEventListener("abort", () => {
          if (fetches.delete(id)) {
            reject(signal.reason);
          }
        });
      }
    });
  };

  globalThis.Headers = Headers;
  globalThis.Request = Request;
  globalThis.Response = Response;
  globalThis.AbortController = AbortController;
  globalThis.AbortSignal = AbortSignal;

  // ---- what the Rust loop calls -------------------------------------------

  __pb.loop = {
    // the next timer's due time (ms on loopNow's clock), -1 when none;
    // intervals count only while something waits for the handler
    nextDue(withIntervals) {
      let next = -1;
      for (const t of timers.values()) {
        if ((withIntervals || !t.weak) && (next < 0 || t.due < next)) {
          next = t.due;
        }
      }
      return next;
    },
    // runs the earliest timer due by `now`; whether one ran
    runDue(now) {
      let id = -1;
      let due = 0;
      for (const [i, t] of timers) {
        if (t.due <= now && (id < 0 || t.due < due)) {
          id = i;
          due = t.due;
        }
      }
      if (id < 0) {
        return false;
      }
      const t = timers.get(id);
      if (t.every) {
        t.due = Math.max(now, t.due + t.every);
      } else {
        timers.delete(id);
      }
      t.fn.apply(undefined, t.args);
      return true;
    },
    fetching() {
      return fetches.size;
    },
    settle(id, error, status, statusText, headers, body, url) {
      const f = fetches.get(id);
      if (!f) {
        return;
      }
      fetches.delete(id);
      if (error !== null) {
        f.reject(new TypeError(`fetch ${f.url}: ${error}`));
        return;
      }
      const nullBody = [101, 103, 204, 205, 304].includes(status);
      const res = new Response(null, {
        __status: status,
        statusText,
        headers,
        __url: url,
        __redirected: url !== f.url,
      });
      if (!nullBody) {
        res.__data = body;
      }
      f.resolve(res);
    },
    reset() {
      timers.clear();
      fetches.clear();
    },
  };
})();
