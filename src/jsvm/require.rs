//! CommonJS `require()` (QuickJS has none) with Node's resolution: paths
//! resolve against the requiring module's directory (the hooks dir for the
//! hook files themselves, so `require(`${__hooks}/utils.js`)` and
//! `require("./utils.js")` give the same cached module), `.js`/`.json` are
//! appended, directories load their `package.json` main or `index.js`, bare
//! names search `node_modules` upwards. JSON files are modules too. Modules
//! are compiled with their real file name so stack traces point into them.

use std::path::{Path, PathBuf};

use rquickjs::context::EvalOptions;
use rquickjs::{Ctx, Exception, Function, Object, Value};

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
    ["js", "json"].iter().map(|ext| append_extension(p, ext)).find(|c| c.is_file())
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
    let loaded = if path.extension().is_some_and(|e| e == "json") {
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
}
