//! CommonJS `require()` (QuickJS has none) with Node's resolution: paths
//! resolve against the requiring module's directory (the hooks dir for the
//! hook files themselves, so `require(`${__hooks}/utils.js`)` and
//! `require("./utils.js")` give the same cached module), `.js`/`.json` are
//! appended, directories load their `package.json` main or `index.js`, bare
//! names search `node_modules` upwards. JSON files are modules too. Modules
//! are compiled with their real file name so stack traces point into them.
//!
//! ES modules (`import`/`export`) go through the same resolution: hook
//! files and required files that use the syntax are evaluated as modules
//! (named by their absolute path, so relative imports resolve against
//! them), `import x from "./data.json"` gives the parsed JSON, importing a
//! CommonJS file gives its `module.exports` as the default export (and its
//! keys as named exports), and `require()` of an ES module gives its
//! namespace. `.ts` files have their types stripped.

use std::path::{Path, PathBuf};

use rquickjs::context::EvalOptions;
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Exception, Function, Module, Object, Value};

use super::bindings::{convert, state};

/// The global `require` of the hook files: relative to the hooks dir, and
/// to the working directory when not found there (PocketBase resolves the
/// hook files' requires against the working directory).
pub fn require_from_hooks<'js>(ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
    let base = state(&ctx)?.hooks_dir.clone();
    let cwd = std::env::current_dir().ok().filter(|cwd| *cwd != base);
    match cwd {
        Some(cwd) if resolve(&base, &base, &name).is_none() => require(&ctx, &cwd, &name),
        _ => require(&ctx, &base, &name),
    }
}

fn require_in<'js>(dir: PathBuf) -> impl Fn(Ctx<'js>, String) -> rquickjs::Result<Value<'js>> {
    move |ctx: Ctx<'js>, name: String| require(&ctx, &dir, &name)
}

/// `X`, `X.js`, `X.json` (Node's LOAD_AS_FILE: the extension is added,
/// never swapped, so `./form.user.event` finds `form.user.event.js`).
fn load_as_file(p: &Path) -> Option<PathBuf> {
    if p.is_file() {
        return Some(p.to_path_buf());
    }
    ["js", "json", "ts"].iter().map(|ext| append_extension(p, ext)).find(|c| c.is_file())
}

fn append_extension(p: &Path, ext: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// `X/package.json`'s `main`, then `X/index.js`, `X/index.json`.
fn load_as_dir(p: &Path) -> Option<PathBuf> {
    if !p.is_dir() {
        return None;
    }
    let main = std::fs::read_to_string(p.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|pkg| pkg.get("main").and_then(|m| m.as_str()).map(str::to_string));
    if let Some(main) = main.filter(|m| !m.is_empty()) {
        let target = p.join(main);
        if let Some(found) = load_as_file(&target).or_else(|| load_as_dir_index(&target)) {
            return Some(found);
        }
    }
    load_as_dir_index(p)
}

fn load_as_dir_index(p: &Path) -> Option<PathBuf> {
    ["index.js", "index.json"].iter().map(|i| p.join(i)).find(|c| c.is_file())
}

fn load(p: &Path) -> Option<PathBuf> {
    load_as_file(p).or_else(|| load_as_dir(p)).map(|c| c.canonicalize().unwrap_or(c))
}

/// The file a module name refers to, resolved like Node: a path relative
/// to `base` (the requiring module's directory) or absolute; a bare name
/// in the `node_modules` of `base` and each parent, then of the hooks dir,
/// then directly in the hooks dir.
fn resolve(base: &Path, hooks_dir: &Path, name: &str) -> Option<PathBuf> {
    if Path::new(name).is_absolute() {
        return load(Path::new(name));
    }
    if name == "." || name == ".." || name.starts_with("./") || name.starts_with("../") {
        return load(&base.join(name));
    }
    let parents = base.ancestors().map(|dir| dir.join("node_modules").join(name));
    let global = [hooks_dir.join("node_modules").join(name), hooks_dir.join(name)];
    parents.chain(global).find_map(|p| load(&p))
}

fn require<'js>(ctx: &Ctx<'js>, base: &Path, name: &str) -> rquickjs::Result<Value<'js>> {
    let hooks_dir = state(ctx)?.hooks_dir.clone();
    let Some(path) = resolve(base, &hooks_dir, name) else {
        return Err(Exception::throw_message(ctx, &format!("Cannot find module '{name}'")));
    };
    let key = path.to_string_lossy().into_owned();
    let pb: Object = ctx.globals().get("__pb")?;
    let cache: Object = pb.get("modules")?;
    if let Some(module) = cache.get::<_, Option<Object>>(key.as_str())? {
        return module.get("exports");
    }
    let source = std::fs::read_to_string(&path)
        .map_err(|e| Exception::throw_message(ctx, &format!("Cannot read module '{key}': {e}")))?;
    let module = Object::new(ctx.clone())?;
    module.set("id", key.as_str())?;
    module.set("exports", Object::new(ctx.clone())?)?;
    // cached before running so require cycles see the partial exports
    cache.set(key.as_str(), module.clone())?;
    let loaded = if is_es_module(&source) && path.extension().is_none_or(|e| e != "json") {
        // an ES module: its namespace, loaded once through the module loader
        let _ = cache.remove(key.as_str());
        return import_sync(ctx, &key);
    } else if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str::<serde_json::Value>(&source)
            .map_err(|e| Exception::throw_syntax(ctx, &format!("{key}: {e}")))
            .and_then(|j| convert::to_js(ctx, &j))
            .and_then(|v| module.set("exports", v))
    } else {
        run_module(ctx, &path, &key, &source, &module)
    };
    if let Err(e) = loaded {
        let _ = cache.remove(key.as_str());
        return Err(e);
    }
    module.get("exports")
}

fn run_module<'js>(ctx: &Ctx<'js>, path: &Path, key: &str, source: &str, module: &Object<'js>) -> rquickjs::Result<()> {
    let source = js_source(ctx, key, source.to_string())?;
    // the wrapper opens on the first line so line numbers stay the file's
    let wrapped = format!("(function (exports, require, module, __filename, __dirname) {{{source}\n}})");
    let mut opts = EvalOptions::default();
    opts.strict = false;
    opts.filename = Some(key.to_string());
    let f: Function = ctx.eval_with_options(wrapped, opts)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let local_require = Function::new(ctx.clone(), require_in(dir.clone()))?;
    let exports: Value = module.get("exports")?;
    f.call::<_, Value>((exports, local_require, module.clone(), key, dir.to_string_lossy().into_owned()))?;
    Ok(())
}

/// The JavaScript of a module file: `.ts` files have their types stripped.
fn js_source(ctx: &Ctx<'_>, key: &str, source: String) -> rquickjs::Result<String> {
    if !key.ends_with(".ts") {
        return Ok(source);
    }
    super::typescript::strip_types(key, source).map_err(|e| Exception::throw_syntax(ctx, &e))
}

/// Whether a file uses ES module syntax: a line starting with an `import`
/// declaration (not `import(`/`import.meta` alone) or an `export`.
pub fn is_es_module(source: &str) -> bool {
    source.lines().any(|line| {
        let l = line.trim_start();
        if let Some(rest) = l.strip_prefix("export") {
            return rest.starts_with(|c: char| c.is_whitespace() || c == '{' || c == '*');
        }
        if let Some(rest) = l.strip_prefix("import") {
            let rest = rest.trim_start();
            return (l.len() - rest.len() > "import".len() && !rest.starts_with('(') && !rest.starts_with('.'))
                || rest.starts_with('{')
                || rest.starts_with('*')
                || rest.starts_with('"')
                || rest.starts_with('\'');
        }
        false
    })
}

/// Loads the ES module at the absolute path `key` now (its imports too) and
/// returns its namespace: what `require()` of an ES module gives.
fn import_sync<'js>(ctx: &Ctx<'js>, key: &str) -> rquickjs::Result<Value<'js>> {
    let promise = Module::import(ctx, key)?;
    super::event_loop::await_value(ctx, promise.into_value())
}

/// Resolves `import` specifiers like `require()` does, against the
/// importing module's directory.
pub struct ModuleResolver;

impl Resolver for ModuleResolver {
    fn resolve<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        let hooks_dir = state(ctx)?.hooks_dir.clone();
        let base_path = Path::new(base);
        let dir = if base_path.is_absolute() {
            base_path.parent().map(Path::to_path_buf).unwrap_or_else(|| hooks_dir.clone())
        } else {
            hooks_dir.clone()
        };
        match resolve(&dir, &hooks_dir, name) {
            Some(p) => Ok(p.to_string_lossy().into_owned()),
            None => Err(Exception::throw_message(ctx, &format!("Cannot find module '{name}' imported from '{base}'"))),
        }
    }
}

/// Loads resolved modules: ES modules as they are, JSON as a default
/// export, CommonJS files through `require()` (default export
/// `module.exports`, its identifier keys as named exports).
pub struct ModuleLoader;

impl Loader for ModuleLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        let path = Path::new(name);
        let source = std::fs::read_to_string(path)
            .map_err(|e| Exception::throw_message(ctx, &format!("Cannot read module '{name}': {e}")))?;
        if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str::<serde_json::Value>(&source)
                .map_err(|e| Exception::throw_syntax(ctx, &format!("{name}: {e}")))?;
            return Module::declare(ctx.clone(), name, format!("export default {source}\n;"));
        }
        if is_es_module(&source) {
            return Module::declare(ctx.clone(), name, js_source(ctx, name, source)?);
        }
        // CommonJS: run it once through require(), then re-export
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let exports = require(ctx, &dir, name)?;
        let mut shim = format!(
            "const m = globalThis.__pb.modules[{}].exports;\nexport default m;\n",
            serde_json::Value::String(name.to_string())
        );
        if let Some(obj) = exports.as_object()
            && !exports.is_function()
        {
            let keys: Vec<String> = obj.keys::<String>().filter_map(Result::ok).filter(|k| is_export_name(k)).collect();
            if !keys.is_empty() {
                shim.push_str(&format!("export const {{ {} }} = m;\n", keys.join(", ")));
            }
        }
        Module::declare(ctx.clone(), name, shim)
    }
}

/// Whether a CommonJS export key can be a named export of the shim.
fn is_export_name(k: &str) -> bool {
    const RESERVED: [&str; 38] = [
        "default",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "m",
    ];
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&k)
        && !["let", "static", "await", "implements", "interface", "package", "private", "protected", "public"]
            .contains(&k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_like_node() {
        let dir = tempfile::tempdir().expect("tmp");
        let hooks = dir.path().join("pb_hooks");
        let write = |rel: &str, text: &str| {
            let p = hooks.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        };
        write("routes/form.user.event.js", "");
        write("routes/lib/index.js", "");
        write("data.json", "{}");
        write("pkg/package.json", r#"{"main": "dist/main"}"#);
        write("pkg/dist/main.js", "");
        write("node_modules/dep/index.js", "");
        write("routes/node_modules/near/index.js", "");
        let found = |base: &Path, name: &str| {
            resolve(base, &hooks, name)
                .map(|p| p.strip_prefix(hooks.canonicalize().expect("abs")).expect("in hooks").to_path_buf())
        };
        let routes = hooks.join("routes");
        assert_eq!(found(&hooks, "./routes/form.user.event"), Some("routes/form.user.event.js".into()));
        assert_eq!(found(&hooks, "./routes/lib"), Some("routes/lib/index.js".into()));
        assert_eq!(found(&hooks, "./data"), Some("data.json".into()));
        assert_eq!(found(&hooks, "./pkg"), Some("pkg/dist/main.js".into()));
        assert_eq!(found(&routes, "dep"), Some("node_modules/dep/index.js".into()));
        assert_eq!(found(&routes, "near"), Some("routes/node_modules/near/index.js".into()));
        assert_eq!(found(&hooks, "near"), None);
        assert_eq!(found(&routes, "../data.json"), Some("data.json".into()));
        assert_eq!(found(&hooks, "./missing"), None);
    }

    #[test]
    fn es_module_syntax_is_detected() {
        for esm in [
            "import x from './a.js';",
            "  import {a} from \"./a\"",
            "import * as ns from './a'",
            "import './side.js'",
            "export default 1",
            "export const a = 1",
            "export { a }",
            "export * from './x'",
            "export async function f() {}",
        ] {
            assert!(is_es_module(esm), "{esm}");
        }
        for script in [
            "routerAdd('GET', '/', (e) => {})",
            "const m = import('./a.js')",
            "import('./x').then(() => {})",
            "exports.a = 1",
            "module.exports = { importer: 1 }",
            "const importance = 1; exporter()",
            "// import x from 'y' in a comment",
        ] {
            assert!(!is_es_module(script), "{script}");
        }
    }
}
