"""Extracts PocketBase's table-driven API test scenarios (`apis/*_test.go`)
into plain JSON, so they can be replayed over HTTP against any server.

It reads Go source with a small tokenizer and an evaluator for the constant
expressions the scenarios use (string literals and `+`, `strings.NewReader`,
`strings.Repeat`, `http.Method*`, `core.CollectionName*`, local string
constants). A scenario whose request cannot be known without running Go
(a `BeforeTestFunc`/`TestAppFactory`, a body built by a closure, a multipart
buffer) is kept with a `skip` reason instead of being guessed.

Usage: python3 extract.py REPO_GIT_DIR [REF] > scenarios.json
"""

import json
import re
import subprocess
import sys


class Unsupported:
    """A value the evaluator cannot compute statically."""

    def __init__(self, why):
        self.why = why

    def __repr__(self):
        return f"Unsupported({self.why})"


PUNCT = [
    "...", "<<=", ">>=", "&^=", "&&", "||", "<-", "++", "--", "==", "!=", "<=", ">=", ":=", "+=", "-=", "*=",
    "/=", "%=", "&=", "|=", "^=", "<<", ">>", "&^",
]


def tokenize(src):
    """Go tokens as (kind, value, offset); comments dropped."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c in " \t\r\n":
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "`":
            j = src.find("`", i + 1)
            out.append(("str", src[i + 1 : j].replace("\r", ""), i))
            i = j + 1
        elif c == '"':
            j, buf = i + 1, []
            while src[j] != '"':
                if src[j] == "\\":
                    buf.append(src[j : j + 2])
                    j += 2
                else:
                    buf.append(src[j])
                    j += 1
            out.append(("str", decode_go_string("".join(buf)), i))
            i = j + 1
        elif c == "'":
            j = i + 1
            while src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            out.append(("rune", src[i + 1 : j], i))
            i = j + 1
        elif c.isdigit():
            m = re.match(r"0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9]+)?([eE][+-]?[0-9]+)?", src[i:])
            out.append(("num", m.group(0), i))
            i += len(m.group(0))
        elif c.isalpha() or c == "_":
            m = re.match(r"\w+", src[i:])
            out.append(("id", m.group(0), i))
            i += len(m.group(0))
        else:
            for p in PUNCT:
                if src.startswith(p, i):
                    out.append(("op", p, i))
                    i += len(p)
                    break
            else:
                out.append(("op", c, i))
                i += 1
    return out


def decode_go_string(body):
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
    while i < len(body):
        if body[i] == "\\":
            k = body[i + 1]
            if k in simple:
                out.append(simple[k])
                i += 2
            elif k == "u":
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
            elif k == "U":
                out.append(chr(int(body[i + 2 : i + 10], 16)))
                i += 10
            elif k == "x":
                out.append(chr(int(body[i + 2 : i + 4], 16)))
                i += 4
            else:
                out.append(body[i : i + 2])
                i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


# Go constants the scenarios refer to, with their values in PocketBase 0.40.
KNOWN = {
    "http.MethodGet": "GET",
    "http.MethodPost": "POST",
    "http.MethodPatch": "PATCH",
    "http.MethodPut": "PUT",
    "http.MethodDelete": "DELETE",
    "http.MethodHead": "HEAD",
    "http.MethodOptions": "OPTIONS",
    "core.CollectionNameSuperusers": "_superusers",
    "core.CollectionNameExternalAuths": "_externalAuths",
    "core.CollectionNameMFAs": "_mfas",
    "core.CollectionNameOTPs": "_otps",
    "core.CollectionNameAuthOrigins": "_authOrigins",
    "core.FieldTypeText": "text",
    "core.FieldTypeNumber": "number",
    "core.FieldTypeBool": "bool",
    "core.FieldTypeEmail": "email",
    "core.FieldTypeURL": "url",
    "core.FieldTypeEditor": "editor",
    "core.FieldTypeDate": "date",
    "core.FieldTypeAutodate": "autodate",
    "core.FieldTypeSelect": "select",
    "core.FieldTypeJSON": "json",
    "core.FieldTypeFile": "file",
    "core.FieldTypeRelation": "relation",
    "core.FieldTypePassword": "password",
    "core.FieldTypeGeoPoint": "geoPoint",
    "core.CollectionTypeBase": "base",
    "core.CollectionTypeAuth": "auth",
    "core.CollectionTypeView": "view",
    "http.StatusOK": 200,
    "http.StatusNoContent": 204,
    "http.StatusBadRequest": 400,
    "http.StatusUnauthorized": 401,
    "http.StatusForbidden": 403,
    "http.StatusNotFound": 404,
    "http.StatusTemporaryRedirect": 307,
    "http.StatusTooManyRequests": 429,
    "http.StatusRequestEntityTooLarge": 413,
    "http.StatusInternalServerError": 500,
    "true": True,
    "false": False,
    "nil": None,
}


class Parser:
    def __init__(self, toks, consts):
        self.t = toks
        self.i = 0
        self.consts = consts

    def peek(self, k=0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else ("eof", "", -1)

    def at(self, value, k=0):
        tok = self.peek(k)
        return tok[0] in ("op", "id") and tok[1] == value

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise SyntaxError(f"expected {value!r}, got {tok[1]!r} at {tok[2]}")
        self.i += 1
        return tok

    def skip_balanced(self):
        """Skips from an opening bracket to its match."""
        pairs = {"(": ")", "[": "]", "{": "}"}
        stack = [pairs[self.take()[1]]]
        while stack:
            tok = self.take()
            if tok[0] == "op" and tok[1] in pairs:
                stack.append(pairs[tok[1]])
            elif tok[0] == "op" and tok[1] == stack[-1]:
                stack.pop()

    def skip_type(self):
        """Skips a type expression (`[]string`, `map[string]any`, `*tests.X`)."""
        while True:
            if self.at("["):
                self.skip_balanced()
            elif self.at("*"):
                self.take()
            elif self.at("map"):
                self.take()
                self.skip_balanced()
            elif self.at("func"):
                self.take()
                self.skip_balanced()
                if self.at("("):
                    self.skip_balanced()
                elif self.peek()[0] == "id":
                    self.skip_type()
                return
            elif self.peek()[0] == "id":
                self.take()
                while self.at("."):
                    self.take()
                    self.take()
                return
            else:
                return

    def expr(self):
        left = self.unary()
        while self.at("+") or self.at("*") or self.at("-"):
            op = self.take()[1]
            right = self.unary()
            if op == "+" and isinstance(left, str) and isinstance(right, str):
                left = left + right
            elif isinstance(left, int) and isinstance(right, int) and not isinstance(left, bool):
                left = left + right if op == "+" else left * right if op == "*" else left - right
            else:
                left = Unsupported(f"operator {op}")
        return left

    def unary(self):
        if self.at("&"):
            self.take()
        if self.at("-"):
            self.take()
            v = self.unary()
            return -v if isinstance(v, int) else Unsupported("negation")
        return self.primary()

    def primary(self):
        kind, value, pos = self.peek()
        if kind == "str":
            self.take()
            return value
        if kind == "num":
            self.take()
            try:
                return int(value.replace("_", ""), 0)
            except ValueError:
                return float(value)
        if kind == "rune":
            self.take()
            return Unsupported("rune")
        if self.at("("):
            self.take()
            v = self.expr()
            self.take(")")
            return v
        if self.at("func"):
            self.take()
            self.skip_balanced()  # params
            if not self.at("{"):
                self.skip_type_results()
            self.skip_balanced()  # body
            v = Unsupported("func literal")
            if self.at("("):  # immediately invoked
                self.skip_balanced()
                v = Unsupported("closure call")
            return v
        if self.at("[") or self.at("map"):
            is_map = self.at("map")
            self.skip_type()
            if self.at("("):  # conversion like []byte(x)
                self.take()
                v = self.expr()
                self.take(")")
                return v
            if not self.at("{"):  # a bare type, e.g. make([]byte, n)
                return Unsupported("type")
            return self.composite(is_map)
        if kind == "id":
            name = self.take()[1]
            while self.at(".") and self.peek(1)[0] == "id":
                self.take()
                name += "." + self.take()[1]
            if self.at("["):  # indexing: not static
                while self.at("[") or self.at("(") or (self.at(".") and self.peek(1)[0] == "id"):
                    if self.at("."):
                        self.take()
                        self.take()
                    else:
                        self.skip_balanced()
                return Unsupported(f"index {name}")
            if self.at("("):
                return self.call(name)
            if self.at("{") and (name[:1].isupper() or "." in name) and name not in self.consts:
                v = self.composite(False)
                if self.at(".") and self.peek(1)[0] == "id":  # e.g. url.Values{...}.Encode()
                    while self.at("(") or (self.at(".") and self.peek(1)[0] == "id"):
                        if self.at("."):
                            self.take()
                            self.take()
                        else:
                            self.skip_balanced()
                    return Unsupported(f"method on {name}")
                return v
            if name in self.consts:
                return self.consts[name]
            if name in KNOWN:
                return KNOWN[name]
            return Unsupported(f"identifier {name}")
        raise SyntaxError(f"unexpected {value!r} at {pos}")

    def skip_type_results(self):
        if self.at("("):
            self.skip_balanced()
        else:
            self.skip_type()

    def call(self, name):
        self.take("(")
        args = []
        while not self.at(")"):
            args.append(self.expr())
            if self.at(","):
                self.take()
        self.take(")")
        # method calls on the result (e.g. `.String()`) keep the value
        while self.at(".") and self.peek(1)[0] == "id" and self.at("(", 2):
            self.take()
            self.take()
            self.skip_balanced()
        if any(isinstance(a, Unsupported) for a in args):
            return next(a for a in args if isinstance(a, Unsupported))
        if name in ("strings.NewReader", "bytes.NewReader", "bytes.NewBufferString", "string") and len(args) == 1:
            return args[0]
        if name == "strings.Repeat" and isinstance(args[0], str) and isinstance(args[1], int):
            return args[0] * args[1]
        if name == "fmt.Sprintf" and isinstance(args[0], str):
            return sprintf(args[0], args[1:])
        return Unsupported(f"call {name}")

    def composite(self, is_map):
        self.take("{")
        if is_map:
            out = {}
        else:
            out = None
        items = []
        while not self.at("}"):
            if self.at("{"):
                v = self.composite(False)
                items.append(v)
            else:
                # key: value or value
                start = self.i
                key_is_field = self.peek()[0] == "id" and self.at(":", 1)
                if key_is_field:
                    key = self.take()[1]
                    self.take(":")
                    if self.at("{"):
                        val = self.composite(False)
                    else:
                        val = self.expr()
                    if out is None:
                        out = {}
                    out[key] = val
                else:
                    self.i = start
                    v = self.at("{") and self.composite(False) or self.expr()
                    if self.at(":"):
                        self.take()
                        val = self.composite(False) if self.at("{") else self.expr()
                        if out is None:
                            out = {}
                        out[v if not isinstance(v, Unsupported) else repr(v)] = val
                    else:
                        items.append(v)
            if self.at(","):
                self.take()
        self.take("}")
        if out is not None:
            return out
        return items


def sprintf(fmt, args):
    it = iter(args)

    def repl(m):
        if m.group(0) == "%%":
            return "%"
        v = next(it, "")
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, Unsupported):
            raise ValueError
        return str(v)

    try:
        return re.sub(r"%%|%[-+# 0-9.]*[a-zA-Z]", repl, fmt)
    except ValueError:
        return Unsupported("sprintf argument")


def collect_consts(toks):
    """`name := "lit" [+ "lit"]` and `const name = ...` string/int definitions."""
    consts = {}
    for i, tok in enumerate(toks):
        if tok[0] != "id" or i + 2 >= len(toks):
            continue
        nxt = toks[i + 1]
        if nxt[0] == "op" and nxt[1] in (":=", "=") and toks[i + 2][0] in ("str", "num"):
            p = Parser(toks, consts)
            p.i = i + 2
            try:
                v = p.expr()
            except (SyntaxError, IndexError):
                continue
            if isinstance(v, (str, int)) and not (p.at(",") or p.at(".")):
                consts[tok[1]] = v
    return consts


AREAS = [
    ("record_crud_superuser", "superusers"),
    ("record_crud_auth_origin", "auth"),
    ("record_crud_external_auth", "auth"),
    ("record_crud_mfa", "auth"),
    ("record_crud_otp", "auth"),
    ("record_crud", "records"),
    ("record_auth", "auth"),
    ("collection", "collections"),
    ("settings", "settings"),
    ("health", "health"),
    ("batch", "batch"),
    ("logs", "logs"),
    ("sql", "sql"),
    ("file", "files"),
    ("realtime", "realtime"),
    ("backup", "backups"),
    ("cron", "crons"),
    ("middlewares", "middlewares"),
    ("extensions", "extensions"),
]


def area_of(path):
    base = path.split("/")[-1]
    for prefix, area in AREAS:
        if base.startswith(prefix):
            return area
    return "other"


def scenarios_in(path, src):
    toks = tokenize(src)
    consts = collect_consts(toks)
    funcs = [(t[2], toks[k + 1][1]) for k, t in enumerate(toks) if t[1] == "func" and toks[k + 1][1].startswith("Test")]
    found = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok[0] == "id" and tok[1] == "ApiScenario" and i + 1 < len(toks) and toks[i + 1][1] == "{":
            is_slice = i >= 4 and toks[i - 1][1] == "." and toks[i - 3][1] == "]" and toks[i - 4][1] == "["
            p = Parser(toks, consts)
            p.i = i + 1
            try:
                value = p.composite(False)
            except (SyntaxError, IndexError) as e:
                print(f"warning: {path}: cannot parse scenarios at {tok[2]}: {e}", file=sys.stderr)
                i += 1
                continue
            elems = value if is_slice and isinstance(value, list) else [value]
            func = ""
            for pos, name in funcs:
                if pos < tok[2]:
                    func = name
            for el in elems:
                if isinstance(el, dict):
                    found.append(normalize(path, func, el))
            i = p.i
        else:
            i += 1
    return found


def normalize(path, func, el):
    sc = {
        "file": path,
        "area": area_of(path),
        "test": func,
        "name": el.get("Name", ""),
        "method": el.get("Method", "GET"),
        "url": el.get("URL", ""),
        "body": el.get("Body"),
        "headers": el.get("Headers") or {},
        "status": el.get("ExpectedStatus", 0),
        "content": el.get("ExpectedContent") or [],
        "notContent": el.get("NotExpectedContent") or [],
    }
    skip = []
    for hook in ("BeforeTestFunc", "TestAppFactory"):
        if hook in el:
            skip.append(f"needs {hook}")
    for key in ("name", "method", "url", "body", "status"):
        if isinstance(sc[key], Unsupported):
            skip.append(f"{key}: {sc[key].why}")
    if isinstance(sc["headers"], Unsupported) or any(isinstance(v, Unsupported) for v in sc["headers"].values()):
        skip.append("headers not static")
    for key in ("content", "notContent"):
        if isinstance(sc[key], Unsupported) or any(isinstance(v, Unsupported) for v in sc[key]):
            skip.append(f"{key} not static")
    if skip:
        sc["skip"] = "; ".join(skip)
    # keep the JSON clean of the evaluator's markers
    for key, val in list(sc.items()):
        if isinstance(val, Unsupported):
            sc[key] = None
        elif isinstance(val, dict):
            sc[key] = {k: v for k, v in val.items() if not isinstance(v, Unsupported)}
        elif isinstance(val, list):
            sc[key] = [v for v in val if not isinstance(v, Unsupported)]
    sc["afterCheck"] = "AfterTestFunc" in el
    return sc


def main():
    repo = sys.argv[1]
    ref = sys.argv[2] if len(sys.argv) > 2 else "develop"
    names = subprocess.run(
        ["git", "-C", repo, "ls-tree", "--name-only", ref, "apis/"], capture_output=True, text=True, check=True
    ).stdout.split()
    out = []
    for path in sorted(n for n in names if n.endswith("_test.go")):
        src = subprocess.run(["git", "-C", repo, "show", f"{ref}:{path}"], capture_output=True, text=True, check=True).stdout
        out.extend(scenarios_in(path, src))
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
