// `$template`: a subset of Go's html/template, enough for typical hook
// pages. Supported: {{.}}, {{.a.b}}, {{$}}, {{$x := pipeline}}, {{$x}},
// string/number/bool literals, pipes, parentheses, {{if}}/{{else if}}/
// {{else}}, {{range}} (with {{else}}, `$i, $v :=`), {{with}}, {{define}},
// {{template "name" pipeline}}, {{block}}, comments, `{{-`/`-}}` trimming,
// and the functions and, or, not, eq, ne, lt, le, gt, ge, len, index,
// print, printf (%s %d %v %q %f), println, html, urlquery, js and raw
// (PocketBase's unescaped output). Output is HTML-escaped unless it comes
// from `raw`; the escaping is not context-aware like Go's.

class __PbRaw {
  constructor(s) { this.s = s; }
  toString() { return this.s; }
}

__pb.tpl = {};

__pb.tpl.escape = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
  .replace(/"/g, "&#34;").replace(/'/g, "&#39;");

__pb.tpl.show = function (v) {
  if (v === undefined || v === null) return "<no value>";
  if (v instanceof __PbRaw) return v.s;
  if (typeof v === "object" && typeof v.string === "function") return v.string();
  if (Array.isArray(v)) return "[" + v.map((x) => __pb.tpl.show(x)).join(" ") + "]";
  if (typeof v === "object") return "map[" + Object.keys(v).sort().map((k) => k + ":" + __pb.tpl.show(v[k])).join(" ") + "]";
  return String(v);
};

__pb.tpl.truthy = function (v) {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object" && !(v instanceof __PbRaw)) return Object.keys(v).length > 0 || typeof v.get === "function";
  return true;
};

__pb.tpl.printf = function (fmt, ...args) {
  let i = 0;
  return String(fmt).replace(/%([-+ #0]*\d*(?:\.\d+)?)([sdvqftx%])/g, (m, flags, verb) => {
    if (verb === "%") return "%";
    const a = args[i++];
    switch (verb) {
      case "d": return String(Math.trunc(Number(a)));
      case "f": { const p = /\.(\d+)/.exec(flags); return Number(a).toFixed(p ? Number(p[1]) : 6); }
      case "q": return JSON.stringify(String(a));
      case "t": return String(!!a);
      case "x": return Number(a).toString(16);
      default: return __pb.tpl.show(a);
    }
  });
};

__pb.tpl.funcs = {
  and: (...a) => { for (const x of a) if (!__pb.tpl.truthy(x)) return x; return a[a.length - 1]; },
  or: (...a) => { for (const x of a) if (__pb.tpl.truthy(x)) return x; return a[a.length - 1]; },
  not: (a) => !__pb.tpl.truthy(a),
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  len: (a) => (Array.isArray(a) || typeof a === "string" ? a.length : Object.keys(a || {}).length),
  index: (a, ...keys) => keys.reduce((o, k) => (o == null ? undefined : (typeof o.get === "function" && !Array.isArray(o) ? o.get(k) : o[k])), a),
  print: (...a) => a.map(__pb.tpl.show).join(""),
  println: (...a) => a.map(__pb.tpl.show).join(" ") + "\n",
  printf: (...a) => __pb.tpl.printf(...a),
  html: (...a) => new __PbRaw(__pb.tpl.escape(a.map(__pb.tpl.show).join(""))),
  urlquery: (...a) => encodeURIComponent(a.map(__pb.tpl.show).join("")),
  js: (...a) => JSON.stringify(a.map(__pb.tpl.show).join("")).slice(1, -1),
  raw: (s) => new __PbRaw(String(s == null ? "" : s)),
};

// Splits a template into text and action tokens (with trim markers applied).
__pb.tpl.lex = function (src) {
  const out = [];
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf("{{", pos);
    if (open < 0) { out.push({ text: src.slice(pos) }); break; }
    let text = src.slice(pos, open);
    let start = open + 2;
    if (src[start] === "-" && /\s/.test(src[start + 1] || "")) { text = text.replace(/\s+$/, ""); start += 1; }
    out.push({ text: text });
    const close = src.indexOf("}}", start);
    if (close < 0) throw new Error("template: unclosed action");
    let body = src.slice(start, close);
    pos = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^\s*/.exec(src.slice(pos));
      pos += m[0].length;
    }
    out.push({ action: body.trim() });
  }
  return out;
};

// Tokenizes one action's pipeline.
__pb.tpl.words = function (s) {
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||:=|,|[^\s()|,]+)/g;
  const out = [];
  let m;
  while ((m = re.exec(s)) && m[0] !== "") out.push(m[1]);
  return out;
};

__pb.tpl.parse = function (src, defs) {
  const toks = __pb.tpl.lex(src);
  let i = 0;
  const block = (stops) => {
    const nodes = [];
    while (i < toks.length) {
      const t = toks[i];
      if (t.text !== undefined) { if (t.text) nodes.push({ kind: "text", text: t.text }); i++; continue; }
      const a = t.action;
      if (a.startsWith("/*")) { i++; continue; }
      const word = a.split(/\s+/)[0];
      if (stops.includes(word)) return { nodes: nodes, stop: a };
      i++;
      if (word === "if" || word === "with" || word === "range") {
        nodes.push(control(word, a.slice(word.length).trim()));
      } else if (word === "define" || word === "block") {
        const m = /^(?:define|block)\s+"([^"]*)"\s*(.*)$/.exec(a);
        if (!m) throw new Error("template: bad " + word);
        const body = block(["end"]);
        if (body.stop === undefined) throw new Error("template: missing {{end}}");
        i++;
        if (word === "block" && defs[m[1]]) { /* an earlier define wins */ } else defs[m[1]] = body.nodes;
        if (word === "block") nodes.push({ kind: "template", name: m[1], pipe: m[2] || "." });
      } else if (word === "template") {
        const m = /^template\s+"([^"]*)"\s*(.*)$/.exec(a);
        if (!m) throw new Error("template: bad template call");
        nodes.push({ kind: "template", name: m[1], pipe: m[2] || "" });
      } else {
        nodes.push({ kind: "out", pipe: a });
      }
    }
    return { nodes: nodes };
  };
  const control = (word, pipe) => {
    const node = { kind: word, pipe: pipe, body: [], elseBody: null };
    const b = block(["else", "end"]);
    if (b.stop === undefined) throw new Error("template: missing {{end}} for " + word);
    node.body = b.nodes;
    i++;
    if (b.stop.startsWith("else")) {
      const rest = b.stop.slice(4).trim();
      if (rest.startsWith("if ") || rest.startsWith("with ")) {
        const w = rest.split(/\s+/)[0];
        node.elseBody = [control(w, rest.slice(w.length).trim())];
        return node;
      }
      const e = block(["end"]);
      if (e.stop === undefined) throw new Error("template: missing {{end}}");
      node.elseBody = e.nodes;
      i++;
    }
    return node;
  };
  return block([]).nodes;
};

__pb.tpl.Exec = class {
  constructor(defs, funcs) { this.defs = defs; this.funcs = funcs || __pb.tpl.funcs; }
  field(base, path) {
    let v = base;
    for (const p of path.split(".").filter(Boolean)) {
      if (v == null) return undefined;
      if (typeof v.get === "function" && !(p in v)) v = v.get(p);
      else v = typeof v[p] === "function" ? v[p]() : v[p];
    }
    return v;
  }
  operand(w, dot, vars, rest) {
    if (w.startsWith('"')) return JSON.parse(w);
    if (w.startsWith("`")) return w.slice(1, -1);
    if (/^-?\d+(\.\d+)?$/.test(w)) return Number(w);
    if (w === "true" || w === "false") return w === "true";
    if (w === "nil") return null;
    if (w === ".") return dot;
    if (w.startsWith(".")) return this.field(dot, w);
    if (w.startsWith("$")) {
      const dotAt = w.indexOf(".");
      const name = dotAt < 0 ? w : w.slice(0, dotAt);
      if (!(name in vars)) throw new Error("template: undefined variable " + name);
      return dotAt < 0 ? vars[name] : this.field(vars[name], w.slice(dotAt));
    }
    const f = this.funcs[w];
    if (!f) throw new Error('template: function "' + w + '" not defined');
    return f(...rest);
  }
  // Evaluates words[pos..] up to `)` or the end; returns [value, pos].
  pipeline(words, pos, dot, vars) {
    let value;
    let first = true;
    while (pos < words.length && words[pos] !== ")") {
      const args = [];
      let head = null;
      while (pos < words.length && words[pos] !== "|" && words[pos] !== ")") {
        let v;
        if (words[pos] === "(") {
          const r = this.pipeline(words, pos + 1, dot, vars);
          v = r[0];
          pos = r[1] + 1;
        } else {
          if (head === null && this.funcs[words[pos]]) { head = words[pos++]; continue; }
          v = this.operand(words[pos++], dot, vars, []);
        }
        args.push(v);
      }
      if (!first) args.push(value);
      value = head !== null ? this.funcs[head](...args) : args[args.length - 1];
      first = false;
      if (words[pos] === "|") pos++;
    }
    return [value, pos];
  }
  eval(pipe, dot, vars) {
    const words = __pb.tpl.words(pipe);
    const decl = words.indexOf(":=");
    if (decl > 0) {
      const v = this.pipeline(words, decl + 1, dot, vars)[0];
      for (const name of words.slice(0, decl).filter((w) => w !== ",")) vars[name] = v;
      return { value: v, declared: true };
    }
    return { value: this.pipeline(words, 0, dot, vars)[0], declared: false };
  }
  run(nodes, dot, vars, out) {
    for (const n of nodes) {
      switch (n.kind) {
        case "text": out.push(n.text); break;
        case "out": {
          const r = this.eval(n.pipe, dot, vars);
          if (!r.declared) out.push(r.value instanceof __PbRaw ? r.value.s : __pb.tpl.escape(__pb.tpl.show(r.value)));
          break;
        }
        case "if": case "with": {
          const v = this.eval(n.pipe, dot, vars).value;
          if (__pb.tpl.truthy(v)) this.run(n.body, n.kind === "with" ? v : dot, Object.assign({}, vars), out);
          else if (n.elseBody) this.run(n.elseBody, dot, Object.assign({}, vars), out);
          break;
        }
        case "range": {
          let pipe = n.pipe, names = [];
          const m = /^(\$\w+)\s*(?:,\s*(\$\w+))?\s*:=\s*(.*)$/.exec(pipe);
          if (m) { names = m[2] ? [m[1], m[2]] : [m[1]]; pipe = m[3]; }
          const v = this.eval(pipe, dot, vars).value;
          const entries = Array.isArray(v) ? v.map((x, i) => [i, x])
            : typeof v === "number" ? Array.from({ length: v }, (_, i) => [i, i])
              : v && typeof v === "object" ? Object.keys(v).sort().map((k) => [k, v[k]]) : [];
          if (!entries.length) { if (n.elseBody) this.run(n.elseBody, dot, vars, out); break; }
          for (const [k, x] of entries) {
            const scope = Object.assign({}, vars);
            if (names.length === 1) scope[names[0]] = x;
            if (names.length === 2) { scope[names[0]] = k; scope[names[1]] = x; }
            this.run(n.body, x, scope, out);
          }
          break;
        }
        case "template": {
          const body = this.defs[n.name];
          if (!body) throw new Error('template: no such template "' + n.name + '"');
          const v = n.pipe ? this.eval(n.pipe, dot, vars).value : undefined;
          this.run(body, v, { $: v }, out);
          break;
        }
      }
    }
  }
};

__pb.tpl.userFuncs = {};

class __PbTemplate {
  constructor(sources, funcs) {
    const defs = {};
    let root = null;
    for (const src of sources) {
      const nodes = __pb.tpl.parse(src, defs);
      if (root === null) root = nodes;
    }
    Object.defineProperty(this, "__t", { value: { root: root || [], defs: defs, funcs: funcs } });
  }
  render(data) {
    const out = [];
    new __pb.tpl.Exec(this.__t.defs, this.__t.funcs).run(this.__t.root, data, { $: data }, out);
    return out.join("");
  }
}

var $template = {
  // Functions templates loaded afterwards can call: addFuncs({upper: (s) => s.toUpperCase()}).
  addFuncs(funcs) {
    for (const [name, fn] of Object.entries(funcs || {})) {
      if (typeof fn !== "function") throw new TypeError("addFuncs: " + name + " is not a function");
      __pb.tpl.userFuncs[name] = fn;
    }
    return this;
  },
  loadFiles(...files) {
    return new __PbTemplate(files.map((f) => toString($os.readFile(f))), Object.assign({}, __pb.tpl.funcs, __pb.tpl.userFuncs));
  },
  loadString(...templates) {
    return new __PbTemplate(templates.map(String), Object.assign({}, __pb.tpl.funcs, __pb.tpl.userFuncs));
  },
  loadFS() {
    throw __pb.notAvailable("$template.loadFS");
  },
};
