// `$os`, `$filepath`, `$http`, and the namespaces whose subsystem is not
// built yet (`$filesystem`: every function throws a clear error).
// The blocking host calls (`$os.cmd(...).output()`, `$http.send`) carry their
// own timeout (the rest of the handler's time budget at most), since the JS
// interrupt cannot stop them.

class __PbFileInfo {
  constructor(info) { Object.defineProperty(this, "__i", { value: info }); }
  name() { return this.__i.name; }
  size() { return this.__i.size; }
  isDir() { return this.__i.isDir; }
  mode() { return this.__i.mode; }
  modTime() { return new DateTime(new Date(this.__i.modTime)); }
  type() { return this.__i.isDir ? 2147483648 : 0; }
  info() { return this; }
}

class __PbCmd {
  constructor(name, args) {
    this.path = String(name);
    this.args = [String(name)].concat(args.map(String));
    this.dir = "";
    this.env = [];
    this.stdin = null;
  }
  __exec(combined) {
    const out = __native.osExec({
      path: this.path, args: this.args.slice(1), dir: this.dir || "", env: this.env || [],
      stdin: this.stdin == null ? null : toString(this.stdin), combined: combined,
    });
    if (out.code !== 0) {
      const err = new Error("exit status " + out.code + (out.stderr ? ": " + out.stderr.trim() : ""));
      err.output = out.stdout;
      throw err;
    }
    return out.stdout;
  }
  run() { this.__exec(false); }
  output() { return this.__exec(false); }
  combinedOutput() { return this.__exec(true); }
  string() { return this.args.join(" "); }
}

var $os = {
  args: __native.osArgs(),
  exit(code) { __native.osExit(Number(code) || 0); },
  getenv(key) { return __native.osGetenv(String(key)); },
  readFile(name) { return __native.osReadFile(String(name)); },
  writeFile(name, data, perm) { __native.osWriteFile(String(name), typeof data === "string" ? data : toBytes(data), Number(perm) || 0o644); },
  stat(name) { return new __PbFileInfo(__native.osStat(String(name))); },
  readDir(name) { return __native.osReadDir(String(name)).map((i) => new __PbFileInfo(i)); },
  tempDir() { return __native.osTempDir(); },
  getwd() { return __native.osGetwd(); },
  mkdir(name, perm) { __native.osMkdir(String(name), false, Number(perm) || 0o755); },
  mkdirAll(name, perm) { __native.osMkdir(String(name), true, Number(perm) || 0o755); },
  rename(from, to) { __native.osRename(String(from), String(to)); },
  remove(name) { __native.osRemove(String(name), false); },
  removeAll(name) { __native.osRemove(String(name), true); },
  truncate(name, size) { __native.osTruncate(String(name), Number(size) || 0); },
  cmd(name, ...args) { return new __PbCmd(name, args); },
  exec(name, ...args) { return new __PbCmd(name, args); },
  dirFS() { throw __pb.notAvailable("$os.dirFS"); },
  openRoot() { throw __pb.notAvailable("$os.openRoot"); },
  openInRoot() { throw __pb.notAvailable("$os.openInRoot"); },
};

// Go's path/filepath for slash-separated paths.
var $filepath = {
  clean(p) {
    p = String(p);
    if (p === "") return ".";
    const abs = p.startsWith("/");
    const out = [];
    for (const part of p.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (out.length && out[out.length - 1] !== "..") out.pop();
        else if (!abs) out.push("..");
        continue;
      }
      out.push(part);
    }
    const s = (abs ? "/" : "") + out.join("/");
    return s === "" ? "." : s;
  },
  join(...parts) {
    const kept = parts.map(String).filter((p) => p !== "");
    return kept.length ? $filepath.clean(kept.join("/")) : "";
  },
  base(p) {
    p = String(p);
    if (p === "") return ".";
    p = p.replace(/\/+$/, "");
    if (p === "") return "/";
    return p.slice(p.lastIndexOf("/") + 1);
  },
  dir(p) {
    p = String(p);
    const i = p.lastIndexOf("/");
    return $filepath.clean(i < 0 ? "." : p.slice(0, i + 1));
  },
  ext(p) {
    p = String(p);
    for (let i = p.length - 1; i >= 0 && p[i] !== "/"; i--) {
      if (p[i] === ".") return p.slice(i);
    }
    return "";
  },
  isAbs(p) { return String(p).startsWith("/"); },
  split(p) {
    p = String(p);
    const i = p.lastIndexOf("/");
    return [p.slice(0, i + 1), p.slice(i + 1)];
  },
  splitList(p) { return String(p) === "" ? [] : String(p).split(":"); },
  toSlash(p) { return String(p); },
  fromSlash(p) { return String(p); },
  rel(basepath, targpath) {
    const b = $filepath.clean(basepath), t = $filepath.clean(targpath);
    if (b === t) return ".";
    if ($filepath.isAbs(b) !== $filepath.isAbs(t)) throw new Error("Rel: can't make " + targpath + " relative to " + basepath);
    const bs = b === "." ? [] : b.split("/").filter(Boolean), ts = t === "." ? [] : t.split("/").filter(Boolean);
    let i = 0;
    while (i < bs.length && i < ts.length && bs[i] === ts[i]) i++;
    if (bs.slice(i).includes("..")) throw new Error("Rel: can't make " + targpath + " relative to " + basepath);
    return bs.slice(i).map(() => "..").concat(ts.slice(i)).join("/") || ".";
  },
  match(pattern, name) {
    let re = "^";
    const p = String(pattern);
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === "*") re += "[^/]*";
      else if (c === "?") re += "[^/]";
      else if (c === "[") {
        const j = p.indexOf("]", i);
        if (j < 0) throw new Error("syntax error in pattern");
        re += "[" + p.slice(i + 1, j).replace(/^\^/, "^").replace(/\\/g, "\\\\") + "]";
        i = j;
      } else if (c === "\\" && i + 1 < p.length) re += "\\" + p[++i];
      else re += c.replace(/[.+^${}()|\]\\]/g, "\\$&");
    }
    return new RegExp(re + "$").test(String(name));
  },
  glob(pattern) {
    const dir = $filepath.dir(pattern), base = $filepath.base(pattern);
    let entries;
    try { entries = __native.osReadDir(dir); } catch (_) { return []; }
    return entries.filter((e) => $filepath.match(base, e.name)).map((e) => $filepath.join(dir, e.name)).sort();
  },
  walkDir(root, fn) {
    const visit = (path, info) => {
      const r = fn(path, info, null);
      if (r && String(r).includes("skip")) return;
      if (info.isDir()) {
        for (const e of __native.osReadDir(path)) visit($filepath.join(path, e.name), new __PbFileInfo(e));
      }
    };
    visit(String(root), $os.stat(root));
  },
  walk(root, fn) { $filepath.walkDir(root, fn); },
};

function __pbMultipart(form) {
  const boundary = "----ferrobase" + $security.randomString(24);
  let body = "";
  for (const [k, v] of form.entries()) {
    if (v && typeof v === "object" && !Array.isArray(v)) throw __pb.notAvailable("sending files in FormData");
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k.replace(/"/g, "%22") + "\"\r\n\r\n" + String(v) + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return { body: body, contentType: "multipart/form-data; boundary=" + boundary };
}

var $http = {
  send(config) {
    const c = config || {};
    const headers = {};
    for (const k of Object.keys(c.headers || {})) headers[k] = String(c.headers[k]);
    const hasHeader = (name) => Object.keys(headers).some((k) => k.toLowerCase() === name);
    let body = c.body;
    if (body instanceof FormData) {
      const mp = __pbMultipart(body);
      body = mp.body;
      if (!hasHeader("content-type")) headers["Content-Type"] = mp.contentType;
    } else if (body == null && c.data != null) {
      body = JSON.stringify(c.data);
      if (!hasHeader("content-type")) headers["Content-Type"] = "application/json";
    }
    const res = __native.httpSend(String(c.url || ""), String(c.method || "GET").toUpperCase(),
      body == null ? null : (typeof body === "string" ? body : toString(body)), headers, Number(c.timeout) || 120);
    let json = null;
    try { json = res.raw === "" ? null : JSON.parse(res.raw); } catch (_) { json = null; }
    res.json = json;
    return res;
  },
};

__pb.unavailableNamespace = function (what, names) {
  const ns = {};
  for (const n of names) ns[n] = function () { throw __pb.notAvailable(what + "." + n); };
  return ns;
};

// The app's mail client: `send(message)` goes through onMailerSend.
__pb.newMailClient = function (app) {
  return {
    send(message) {
      __native.mailSend(app, message);
    },
  };
};

// PocketBase's record mails (templates of the record's collection).
var $mails = {
  sendRecordPasswordReset(app, record) { __native.mailsSend(app, "passwordReset", record); },
  sendRecordVerification(app, record) { __native.mailsSend(app, "verification", record); },
  sendRecordChangeEmail(app, record, newEmail) { __native.mailsSend(app, "changeEmail", record, String(newEmail)); },
  sendRecordOTP(app, record, otpId, pass) { __native.mailsSend(app, "otp", record, String(otpId), String(pass)); },
  sendRecordAuthAlert(app, record, info) { __native.mailsSend(app, "authAlert", record, String(info == null ? "" : info)); },
};

var $filesystem = __pb.unavailableNamespace("$filesystem (file storage)", [
  "fileFromPath", "fileFromBytes", "fileFromMultipart", "fileFromURL", "s3", "local",
]);
